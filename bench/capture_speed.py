"""Streaming speed of capture networks at 48 kHz in fixed blocks on one CPU thread.

Peers in the same run: the plain pedalboard chain a bundled capture imitates, and Neural Amp Modeler's
standard WaveNet (two arrays of 10 dilated layers, 16 then 8 channels) built with random weights by the
``neural-amp-modeler`` package (``pip install -e ".[bench]"``). NAM's model has no streaming cache, so it
is given the receptive field of past input with every block, which is how a stateless host must run it.

    python bench/capture_speed.py --seconds 20 --block 512 [--lengths 5 60] [--out bench/results/capture_speed.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from synth_plugins.capture_effect import BUNDLED
from synth_plugins.models.capture_nets import SIZES, build_capture_net
from synth_train.capture.excitation import RATE, heldout_program
from synth_train.capture.session import BUNDLED_CHAINS


def stream_speed(net, x: np.ndarray, block: int) -> float:
    """Seconds of audio per second of compute when ``x`` is fed ``block`` samples at a time."""
    t = torch.from_numpy(x)[None]
    with torch.inference_mode():
        net.stream(t[:, :block], None)  # warm-up
        state, start = None, time.perf_counter()
        for i in range(0, t.shape[1], block):
            _, state = net.stream(t[:, i : i + block], state)
        return len(x) / RATE / (time.perf_counter() - start)


class GRUProbe(torch.nn.Module):
    """A GRU of the LSTM-lite's width with the same read-out, timed only to show why captures are not GRUs."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.gru = torch.nn.GRU(1, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def stream(self, x: torch.Tensor, state=None):
        h, state = self.gru(x.unsqueeze(-1), state)
        return self.head(h).squeeze(-1), state


def plugin_speed(plugin_id: str, x: np.ndarray, block: int) -> float:
    """The bundled plugin as a chain runs it: its wrapper, silence offset and parameter ramps included."""
    from host.registry import PluginHost

    plugin = PluginHost().create(plugin_id)
    plugin.prepare(RATE, 1, block, "cpu")
    t = torch.from_numpy(x)[None, None]
    with torch.inference_mode():
        plugin.process(t[..., :block])
        plugin.reset()
        start = time.perf_counter()
        for i in range(0, t.shape[-1], block):
            plugin.process(t[..., i : i + block])
        return len(x) / RATE / (time.perf_counter() - start)


def nam_standard_wavenet():
    """NAM's standard WaveNet with random weights, or None when the package is not installed."""
    try:
        from nam.models.wavenet import WaveNet
    except ImportError:
        return None
    dilations = [2**i for i in range(10)]
    array = dict(condition_size=1, kernel_size=3, dilations=dilations, activation="Tanh", gated=False)
    config = {"layers_configs": [
        dict(array, input_size=1, channels=16, head={"out_channels": 8, "kernel_size": 1, "bias": False}),
        dict(array, input_size=16, channels=8, head={"out_channels": 1, "kernel_size": 1, "bias": True})],
              "head_scale": 0.02}
    return WaveNet.init_from_config(config).eval()


def nam_speed(net, x: np.ndarray, block: int) -> float:
    rf = net.receptive_field
    padded = torch.from_numpy(np.concatenate([np.zeros(rf - 1, np.float32), x]))
    with torch.inference_mode():
        net(padded[None, : rf - 1 + block], pad_start=False)
        start = time.perf_counter()
        for i in range(0, len(x), block):
            net(padded[None, i : i + rf - 1 + block], pad_start=False)
        return len(x) / RATE / (time.perf_counter() - start)


def pedalboard_speed(chain_text: str, x: np.ndarray, block: int) -> float:
    from host.chain import build_chain
    from host.chain_spec import parse_chain
    from host.registry import PluginHost

    board = build_chain(PluginHost(), parse_chain(chain_text), RATE, 1, block_size=block).stages[0].board
    start = time.perf_counter()
    for i in range(0, len(x), block):
        board.process(x[None, i : i + block], RATE, buffer_size=block, reset=False)
    return len(x) / RATE / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--block", type=int, default=512)
    parser.add_argument("--lengths", type=float, nargs="*", default=[], help="Extra input lengths (s), lite LSTM only.")
    parser.add_argument("--out", default="bench/results/capture_speed.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = heldout_program(7, args.seconds)
    rows: dict[str, float] = {}
    for arch, sizes in SIZES.items():
        for size, config in sizes.items():
            torch.manual_seed(0)
            rows[f"{arch}-{size}"] = stream_speed(build_capture_net(arch, config).eval(), x, args.block)
    torch.manual_seed(0)
    rows["gru-16, not offered"] = stream_speed(GRUProbe().eval(), x, args.block)
    for cls in BUNDLED:
        rows[f"{cls.info.id} (plugin)"] = plugin_speed(cls.info.id, x, args.block)
        rows[f"{cls.info.id} (plain pedalboard chain)"] = pedalboard_speed(BUNDLED_CHAINS[cls.info.id], x, args.block)
    nam = nam_standard_wavenet()
    if nam is not None:
        rows["NAM standard WaveNet (random weights)"] = nam_speed(nam, x, args.block)
    scaling = {f"{s:g} s": stream_speed(build_capture_net("lstm", SIZES["lstm"]["lite"]).eval(),
                                        heldout_program(8, s), args.block) for s in args.lengths}
    report = {"machine": platform.processor() or platform.machine(), "threads": 1, "rate": RATE,
              "block": args.block, "seconds": args.seconds, "realtime_factor": {k: round(v, 1) for k, v in rows.items()},
              "lstm-lite_by_length": {k: round(v, 1) for k, v in scaling.items()}}
    for name, value in rows.items():
        print(f"{name:48s} {value:8.1f}x real time")
    for name, value in scaling.items():
        print(f"lstm-lite on {name:35s} {value:8.1f}x real time")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

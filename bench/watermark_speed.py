"""Watermark embed and detect speed, one CPU thread, against AudioSeal's architecture in the same run.

AudioSeal's weights come from a model hub, which this machine cannot reach, so its generator and detector
are built from the package's own model cards with random weights: the speed is the architecture's, which is
all a speed ratio needs. Results go to bench/results/watermark.json.

    pip install audioseal    # optional peer
    python bench/watermark_speed.py [--seconds 30] [--lengths 10 60 300]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
import torch

from measure import best_of

RATE = 16000


def ours(plugin_id: str, seconds: float) -> dict[str, float]:
    from host.registry import PluginHost

    wm = PluginHost().create(plugin_id)
    wm.prepare(RATE, 1, 8192, "cpu")
    x = (0.05 * np.random.default_rng(0).standard_normal((1, int(seconds * RATE)))).astype(np.float32)
    wm.embed(x[:, :RATE], "a5a5")
    marked = wm.embed(x, "a5a5")
    return {"embed_x_realtime": seconds / best_of(lambda: wm.embed(x, "a5a5")),
            "detect_x_realtime": seconds / best_of(lambda: wm.detect(marked))}


def audioseal(seconds: float) -> dict[str, float] | None:
    try:
        from audioseal.builder import AudioSealDetectorConfig, AudioSealWMConfig, create_detector, create_generator
        from audioseal.loader import AudioSeal, load_local_model_config
    except ImportError:
        return None
    gen_cfg = AudioSeal.parse_config(dict(load_local_model_config("audioseal_wm_16bits")), AudioSealWMConfig, 16)
    det_cfg = AudioSeal.parse_config(dict(load_local_model_config("audioseal_detector_16bits")),
                                     AudioSealDetectorConfig, 16)
    generator, detector = create_generator(gen_cfg).eval(), create_detector(det_cfg).eval()
    x = 0.05 * torch.randn(1, 1, int(seconds * RATE), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        generator.get_watermark(x[..., :RATE], RATE)
        embed = best_of(lambda: generator.get_watermark(x, RATE))
        detect = best_of(lambda: detector(x, RATE))
    return {"embed_x_realtime": seconds / embed, "detect_x_realtime": seconds / detect,
            "parameters": int(sum(p.numel() for p in generator.parameters()) + sum(p.numel() for p in detector.parameters()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--lengths", type=float, nargs="*", default=[10.0, 60.0, 300.0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "watermark.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {"machine": f"{platform.machine()}, {platform.processor() or 'cpu'}", "threads": 1, "rate": RATE,
               "seconds": args.seconds}
    from host.registry import PluginHost

    known = {record.id for record in PluginHost().listing() if record.kind == "watermark"}
    for pid in ("neural-watermark", "spread-spectrum-watermark"):
        if pid not in known:  # the neural weights are not shipped yet
            continue
        results[pid] = ours(pid, args.seconds)
        results[pid]["by_length"] = {f"{s:g} s": ours(pid, s) for s in args.lengths}
    peer = audioseal(args.seconds)
    results["audioseal_random_weights"] = peer
    if peer:
        results["ratio_vs_audioseal"] = {pid: {k: results[pid][k] / peer[k] for k in ("embed_x_realtime", "detect_x_realtime")}
                                         for pid in ("neural-watermark", "spread-spectrum-watermark") if pid in results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

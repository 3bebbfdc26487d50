"""One capture, end to end: material through the chain (or a recorded pair), training, and the capture file."""

from __future__ import annotations

import datetime
import platform
from pathlib import Path
from typing import Any, Callable

import numpy as np

from plugin_specs import SynthHostError

from .align import align_pair
from .excitation import EXCITATION_VERSION, RATE, excitation, heldout_program
from .fit import CaptureConfig, fit_capture

#: The bundled captures: plugin id -> the chain they imitate.
BUNDLED_CHAINS = {
    "capture-overdrive": "HighpassFilter cutoff_frequency_hz=120 | PeakFilter cutoff_frequency_hz=800 gain_db=6 q=0.8"
                         " | Distortion drive_db=14 | LowpassFilter cutoff_frequency_hz=5000 | Gain gain_db=-8",
    "capture-bus-glue": "Compressor threshold_db=-24 ratio=4 attack_ms=10 release_ms=120 | Distortion drive_db=6"
                        " | Gain gain_db=-4",
    "capture-lofi": "HighpassFilter cutoff_frequency_hz=300 | LowpassFilter cutoff_frequency_hz=3400"
                    " | Distortion drive_db=15 | Bitcrush bit_depth=12 | Gain gain_db=-6",
}


def render_through_chain(chain_text: str, audio: np.ndarray, rate: int = RATE, host: Any = None) -> np.ndarray:
    """Mono in, mono out (a stereo result is averaged), aligned and the same length as ``audio``."""
    from host.chain import build_chain
    from host.chain_spec import parse_chain
    from host.registry import PluginHost

    chain = build_chain(host or PluginHost(), parse_chain(chain_text), rate, 1, device="cpu")
    out = chain.process(audio[None, :].astype(np.float32))[:, : len(audio)]
    if not np.all(np.isfinite(out)):
        raise SynthHostError(f"chain {chain_text!r} produced non-finite samples from the excitation")
    return out.mean(axis=0).astype(np.float32)


def read_mono(path: str, rate: int) -> np.ndarray:
    """A whole file as mono float32 at ``rate``; unreadable files fail with the host's one-line errors."""
    from host.audio_io import probe, read_blocks, resampled

    info = probe(path)
    blocks = resampled(read_blocks(info, 1 << 16), info.sample_rate, rate, info.channels)
    return np.concatenate([b.mean(axis=0) for b in blocks]).astype(np.float32)


def pair_material(dry_path: str, wet_path: str, rate: int = RATE) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """A user's recorded pair, aligned; the last 15% is held out for the ESR report."""
    dry, wet = read_mono(dry_path, rate), read_mono(wet_path, rate)
    dry, wet, delay = align_pair(dry, wet, rate)
    return dry, wet, {"pair": [str(dry_path), str(wet_path)], "pair_delay_samples": delay}


def capture(out: Path, cfg: CaptureConfig, chain_text: str | None = None, pair: tuple[str, str] | None = None,
            name: str | None = None, device: str = "cpu", phrase_seconds: float = 60.0,
            heldout_seconds: float = 16.0, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train a capture of ``chain_text`` (excitation through the chain) or of ``pair``; write ``out``."""
    from synth_plugins.capture_file import save_capture
    from synth_plugins.models.capture_nets import SIZES

    meta: dict[str, Any] = {"name": name or out.stem, "arch": cfg.arch, "size": cfg.size,
                            "created": datetime.date.today().isoformat(), "machine": platform.machine()}
    if pair is not None:
        dry, wet, info = pair_material(*pair)
        cut = int(len(dry) * 0.85)
        train_x, train_y, val_x, val_y = dry[:cut], wet[:cut], dry[cut:], wet[cut:]
        meta.update(info, captured=f"the recorded pair {Path(pair[0]).name} -> {Path(pair[1]).name}",
                    heldout="last 15% of the pair")
    elif chain_text is not None:
        log("rendering the excitation through the chain")
        train_x = excitation(cfg.seed, phrase_seconds)
        val_x = heldout_program(1000 + cfg.seed, heldout_seconds)
        train_y = render_through_chain(chain_text, train_x)
        val_y = render_through_chain(chain_text, val_x)
        meta.update(captured=chain_text, chain=chain_text, excitation_version=EXCITATION_VERSION,
                    excitation_seconds=round(len(train_x) / RATE, 2),
                    heldout=f"{heldout_seconds:g} s of phrases from seed {1000 + cfg.seed}, not in the excitation")
    else:
        raise SynthHostError("capture needs --chain or --pair")
    if float(np.sum(train_y.astype(np.float64) ** 2)) < 1e-9 or float(np.sum(val_y.astype(np.float64) ** 2)) < 1e-12:
        raise SynthHostError("the captured output is silent; nothing to learn")
    net, metrics = fit_capture(train_x, train_y, val_x, val_y, cfg, device, log)
    save_capture(out, net, cfg.arch, dict(SIZES[cfg.arch][cfg.size]), RATE, meta, metrics)
    return {"output": str(out), **{k: v for k, v in metrics.items() if k != "history"}}

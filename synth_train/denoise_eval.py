"""neural-denoise against RNNoise and noisereduce on the same noisy test speech.

Test speech (the held-out festival voice and espeak variants) is mixed with test-split noise at 0, 5, 10 and 15
dB SNR, and each mixture is scaled so the speech sits at -26 dBFS RMS, the usual speech level (ITU-T P.56). Every system's output is lined up with the clean speech by cross-correlation before scoring, so a
system's delay never counts against it. RNNoise runs at its native 48 kHz on the upsampled mixture (the
``pyrnnoise`` package ships the C library and its trained weights); noisereduce uses its default
non-stationary spectral gating.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from .evaluate import x_realtime
from .metrics import pesq_wb, si_snr, stoi
from .tasks.denoise import RATE, DenoiseTask

SNRS = (0.0, 5.0, 10.0, 15.0)
SPEECH_DBFS = -26.0


def test_set(corpus: Path, per_snr: int = 30, seconds: float = 4.0, seed: int = 7,
             split: str = "test") -> list[tuple[float, np.ndarray, np.ndarray]]:
    task = DenoiseTask(corpus)
    rng = np.random.default_rng(seed)
    out = []
    for snr in SNRS:
        for _ in range(per_snr):
            noisy, clean = task.example(split, rng, int(seconds * RATE), snr, augment=False)
            gain = 10 ** (SPEECH_DBFS / 20) / max(float(np.sqrt(np.mean(clean.astype(np.float64) ** 2))), 1e-9)
            gain = min(gain, 0.99 / max(float(np.abs(noisy).max()), 1e-9))
            out.append((snr, (noisy * gain).astype(np.float32), (clean * gain).astype(np.float32)))
    return out


def aligned(output: np.ndarray, reference: np.ndarray, max_lag: int = 1600) -> np.ndarray:
    """``output`` shifted so it lines up with ``reference``, trimmed or zero-padded to its length."""
    from .capture.align import find_delay

    lag = find_delay(reference, output, max_lag)
    out = output[lag:] if lag >= 0 else np.concatenate([np.zeros(-lag, np.float32), output])
    out = out[: len(reference)]
    return np.pad(out, (0, len(reference) - len(out)))


def ours(device: str = "cpu", **params: Any) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    from host.registry import PluginHost

    plugin = PluginHost().create("neural-denoise", params)
    plugin.prepare(RATE, 1, 8192, device)

    def run(x: np.ndarray) -> np.ndarray:
        plugin.reset()
        n = -(-len(x) // 160) * 160
        padded = np.pad(x, (0, n - len(x) + 160))
        with torch.inference_mode():
            y = plugin.process(torch.from_numpy(padded)[None, None].to(device))[0, 0].cpu().numpy()
        return y[160 : 160 + len(x)]

    return run


def rnnoise() -> Callable[[np.ndarray], np.ndarray] | None:
    try:
        from pyrnnoise import rnnoise as lib
    except ImportError:
        return None
    from synth_plugins.resampling import resample

    def run(x: np.ndarray) -> np.ndarray:
        up = resample(x[None], RATE, 48000)[0]
        frames = -(-len(up) // lib.FRAME_SIZE)
        up = np.pad(up, (0, frames * lib.FRAME_SIZE - len(up)))
        state = lib.create()
        try:
            out = np.concatenate([lib.process_mono_frame(state, np.clip(f, -1, 1))[0]
                                  for f in up.reshape(frames, lib.FRAME_SIZE)])
        finally:
            lib.destroy(state)
        return resample((out.astype(np.float32) / 32767.0)[None], 48000, RATE)[0][: len(x)]

    return run


def noisereduce() -> Callable[[np.ndarray], np.ndarray] | None:
    try:
        import noisereduce as nr
    except ImportError:
        return None
    return lambda x: nr.reduce_noise(y=x, sr=RATE).astype(np.float32)


def _level_change_on_clean(run: Callable[[np.ndarray], np.ndarray] | None, corpus: Path) -> dict[str, float] | None:
    """How much a system turns down clean test speech: RNNoise's speech detector misses some synthetic voices."""
    if run is None:
        return None
    clean = [c for snr, _, c in test_set(corpus, 30) if snr == SNRS[-1]]
    change = np.array([10 * np.log10(np.mean(run(c) ** 2) / np.mean(c**2)) for c in clean])
    return {"median_level_change_db": round(float(np.median(change)), 2),
            "share_turned_down_over_3db": round(float(np.mean(change < -3.0)), 3), "clips": len(clean)}


def evaluate_denoise(corpus: Path, device: str = "cpu", per_snr: int = 30) -> dict[str, Any]:
    systems = {"neural-denoise": ours(device), "rnnoise": rnnoise(), "noisereduce": noisereduce()}
    systems = {k: v for k, v in systems.items() if v is not None}
    rows: dict[str, dict[str, list[float]]] = {}
    for snr, noisy, clean in test_set(corpus, per_snr):
        key = f"{snr:g} dB"
        row = rows.setdefault(key, {})
        base = (pesq_wb(clean, noisy), stoi(clean, noisy), si_snr(clean, noisy))
        row.setdefault("input pesq", []).append(base[0])
        row.setdefault("input stoi", []).append(base[1])
        for name, run in systems.items():
            out = aligned(run(noisy), clean)
            row.setdefault(f"{name} pesq", []).append(pesq_wb(clean, out))
            row.setdefault(f"{name} stoi", []).append(stoi(clean, out))
            row.setdefault(f"{name} si_snri", []).append(si_snr(clean, out) - base[2])
    table = {snr: {k: round(float(np.mean(v)), 3) for k, v in row.items()} for snr, row in rows.items()}
    rnnoise_on_clean = _level_change_on_clean(systems.get("rnnoise"), corpus)
    speeds = {f"{name}_x_realtime_1_thread": round(x_realtime(run, RATE, 30.0), 1) for name, run in systems.items()}
    wins = {snr: {"pesq_gain_over_rnnoise": round(t["neural-denoise pesq"] - t.get("rnnoise pesq", np.nan), 3),
                  "si_snri_over_rnnoise": round(t["neural-denoise si_snri"] - t.get("rnnoise si_snri", np.nan), 3),
                  "stoi_change": round(t["neural-denoise stoi"] - t["input stoi"], 3)}
            for snr, t in table.items()}
    headline = {
        "PESQ gain over input (0/5/10/15 dB)": " / ".join(
            f"{t['neural-denoise pesq'] - t['input pesq']:+.2f}" for t in table.values()),
        "RNNoise PESQ gain (0/5/10/15 dB)": " / ".join(
            f"{t['rnnoise pesq'] - t['input pesq']:+.2f}" for t in table.values()) if "rnnoise" in systems else "n/a",
        "SI-SNRi dB (0/5/10/15 dB)": " / ".join(f"{t['neural-denoise si_snri']:.1f}" for t in table.values()),
        "RNNoise SI-SNRi dB": " / ".join(f"{t['rnnoise si_snri']:.1f}" for t in table.values())
        if "rnnoise" in systems else "n/a",
        "speed, 1 CPU thread": f"{speeds['neural-denoise_x_realtime_1_thread']:.0f}x real time",
    }
    return {"rnnoise_on_clean_speech": rnnoise_on_clean, "test_set": f"{per_snr} mixtures of 4 s per SNR: test-split speech (held-out festival voice, espeak "
                        "variants) under test-split noise", "by_snr": table, "vs_rnnoise": wins, **speeds,
            "headline": headline}


def attenuation_sweep(corpus: Path, values: list[float], per_snr: int = 10) -> dict[str, dict[str, list[float]]]:
    """Mean PESQ, STOI and SI-SNR gains per input SNR on the validation split, for each ``attenuation_db``:
    how the plugin's default was chosen without looking at the test split."""
    items = test_set(corpus, per_snr, seed=99, split="val")
    out: dict[str, dict[str, list[float]]] = {}
    for value in values:
        run = ours(attenuation_db=value)
        gains: dict[float, list[tuple[float, float, float]]] = {snr: [] for snr in SNRS}
        for snr, noisy, clean in items:
            y = aligned(run(noisy), clean)
            gains[snr].append((pesq_wb(clean, y) - pesq_wb(clean, noisy), stoi(clean, y) - stoi(clean, noisy),
                               si_snr(clean, y) - si_snr(clean, noisy)))
        out[f"{value:g} dB"] = {f"{snr:g} dB": [round(float(v), 3) for v in np.mean(g, axis=0)]
                                for snr, g in gains.items()}
    return out


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Choose neural-denoise's attenuation_db on the validation split.")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--sweep", type=float, nargs="+", default=[25.0, 40.0], metavar="DB")
    args = parser.parse_args()
    print("attenuation -> input SNR -> [PESQ gain, STOI change, SI-SNR improvement]")
    print(json.dumps(attenuation_sweep(args.corpus, args.sweep), indent=1))


if __name__ == "__main__":
    main()

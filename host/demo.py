"""Built-in demo material, so a fresh install can render something with no files at hand."""

from __future__ import annotations

import numpy as np

DEMO_CHAIN = ("HighpassFilter cutoff_frequency_hz=60 | Compressor threshold_db=-20 ratio=3 | "
              "Chorus mix=0.3 | Delay delay_seconds=0.375 feedback=0.35 mix=0.25 | Reverb room_size=0.5 wet_level=0.25 | "
              "Limiter threshold_db=-1")


def demo_signal(seconds: float = 12.0, sample_rate: int = 48000, seed: int = 0) -> np.ndarray:
    """A stereo arpeggio over a bass line with noise hi-hats: float32 ``(2, samples)``."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    out = np.zeros((2, n), dtype=np.float64)
    step = 0.125
    notes = [57, 60, 64, 67, 69, 67, 64, 60]
    for i in range(int(seconds / step)):
        start = int(i * step * sample_rate)
        length = min(int(0.4 * sample_rate), n - start)
        tt = t[:length]
        f0 = 440.0 * 2 ** ((notes[i % len(notes)] + 12 * ((i // 16) % 2) - 69) / 12)
        env = np.exp(-tt * 6.0)
        tone = sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in (1, 2, 3)) * env * 0.25
        pan = 0.5 + 0.4 * np.sin(i * 0.7)
        out[0, start : start + length] += tone * (1 - pan)
        out[1, start : start + length] += tone * pan
        if i % 2:
            hat = min(int(0.05 * sample_rate), n - start)
            noise = rng.standard_normal(hat) * np.exp(-np.arange(hat) / (0.01 * sample_rate)) * 0.08
            out[:, start : start + hat] += noise
    bass_f = 440.0 * 2 ** ((np.array([45, 45, 41, 43])[(t // 1.0).astype(int) % 4] - 69) / 12)
    out += 0.2 * np.sin(2 * np.pi * np.cumsum(bass_f) / sample_rate) * (0.6 + 0.4 * np.cos(2 * np.pi * 2 * t))
    return (out / max(1.0, np.abs(out).max() * 1.25)).astype(np.float32)

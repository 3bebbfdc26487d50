"""Test signals shared by the validator and the pytest plugin.

Each is float32 ``(channels, samples)``; levels are chosen to find specific bugs:
full scale finds clipping and overflow, DC finds missing high-pass state, the
impulse measures latency and tails, silence finds denormals and noise floors.
"""

from __future__ import annotations

import numpy as np

SIGNALS = ("sine", "noise", "impulse", "silence", "dc", "full_scale")


def make_signal(kind: str, seconds: float = 1.0, sample_rate: int = 48000, channels: int = 2,
                seed: int = 0, frames: int | None = None) -> np.ndarray:
    """One named test signal; ``frames`` overrides ``seconds`` when given."""
    n = int(round(seconds * sample_rate)) if frames is None else frames
    rng = np.random.default_rng(seed)
    if kind == "sine":  # 440 Hz at -12 dBFS, a quarter-cycle phase offset per channel
        t = np.arange(n) / sample_rate
        out = np.stack([0.25 * np.sin(2 * np.pi * 440.0 * t + 0.5 * np.pi * c) for c in range(channels)])
    elif kind == "noise":  # white, about -14 dBFS RMS
        out = 0.2 * rng.standard_normal((channels, n))
    elif kind == "impulse":  # one full-scale sample a quarter of the way in
        out = np.zeros((channels, n))
        out[:, n // 4] = 1.0
    elif kind == "silence":
        out = np.zeros((channels, n))
    elif kind == "dc":
        out = np.full((channels, n), 0.5)
    elif kind == "full_scale":  # random +-1 square-ish noise: every sample at full scale
        out = np.where(rng.random((channels, n)) < 0.5, -1.0, 1.0)
    else:
        raise ValueError(f"unknown test signal {kind!r} (known: {', '.join(SIGNALS)})")
    return np.ascontiguousarray(out, dtype=np.float32)

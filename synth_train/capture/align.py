"""Lining up a recorded dry/wet pair: the wet side's delay is the peak of their cross-correlation."""

from __future__ import annotations

import numpy as np

from plugin_specs import SynthHostError


def find_delay(dry: np.ndarray, wet: np.ndarray, max_lag: int) -> int:
    """Samples by which ``wet`` lags ``dry`` (negative: it leads), searched within ``max_lag``."""
    n = min(len(dry), len(wet))
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(wet[:n], size) * np.conj(np.fft.rfft(dry[:n], size))
    xc = np.fft.irfft(spec, size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([xc[: max_lag + 1], xc[size - max_lag :]])
    return int(lags[int(np.argmax(np.abs(values)))])


def align_pair(dry: np.ndarray, wet: np.ndarray, rate: int, max_seconds: float = 1.0) -> tuple[np.ndarray, np.ndarray, int]:
    """Trim both to the span they share once the delay is removed; fails if they barely overlap."""
    delay = find_delay(dry, wet, int(max_seconds * rate))
    if delay >= 0:
        wet = wet[delay:]
    else:
        dry = dry[-delay:]
    n = min(len(dry), len(wet))
    if n < rate:
        raise SynthHostError(f"the aligned pair shares only {n / rate:.2f} s; a capture needs at least 1 s")
    return dry[:n], wet[:n], delay

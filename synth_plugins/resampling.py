"""Whole-buffer resampling with pedalboard's StreamResampler: band-limited, fractional ratios, no added delay."""

from __future__ import annotations

import numpy as np


def resample(audio: np.ndarray, source_rate: float, target_rate: float) -> np.ndarray:
    """``(channels, n)`` float32 at ``source_rate`` -> ``(channels, round(n * target / source))`` at ``target_rate``."""
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if source_rate == target_rate:
        return audio.copy()
    from pedalboard.io import StreamResampler

    stream = StreamResampler(float(source_rate), float(target_rate), audio.shape[0])
    out = np.concatenate([stream.process(np.ascontiguousarray(audio)), stream.process(None)], axis=1)
    want = int(round(audio.shape[1] * target_rate / source_rate))
    if out.shape[1] < want:
        out = np.pad(out, ((0, 0), (0, want - out.shape[1])))
    return np.ascontiguousarray(out[:, :want], dtype=np.float32)

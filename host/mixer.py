"""Mixing arithmetic: fader gain, pan law and summing.

Pan uses the constant-power law: a mono track at centre sits 3 dB down in each side (cos/sin of
(pan + 1) * pi / 4), so it sounds equally loud anywhere across the field. A stereo track is balanced
instead: centre leaves both sides untouched, and panning fades the opposite side out along the same
constant-power curve. Gain and pan are evaluated per sample, so fader automation is smooth and exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .automation import Curve


def pan_gains(pan: Any, source_channels: int) -> tuple[Any, Any]:
    """(left, right) gains for ``pan`` in [-1, 1] (scalar or per-sample array)."""
    theta = (np.asarray(pan, dtype=np.float64) + 1.0) * (np.pi / 4)
    left, right = np.cos(theta), np.sin(theta)
    if source_channels == 2:
        left, right = np.minimum(1.0, np.sqrt(2) * left), np.minimum(1.0, np.sqrt(2) * right)
    return left, right


def fader_gains(block: np.ndarray, mix_channels: int, gain_db: float, pan: float, gain_curve: Curve | None,
                pan_curve: Curve | None, times: np.ndarray) -> np.ndarray:
    """A track block ``(1 or 2, n)`` after its fader, as ``(mix_channels, n)``."""
    gain_value = gain_curve.at(times) if gain_curve is not None else gain_db
    gain = np.power(10.0, np.asarray(gain_value, dtype=np.float64) / 20.0)
    if mix_channels == 1:
        mono = block.mean(axis=0, keepdims=True) if block.shape[0] > 1 else block
        return (mono * gain).astype(np.float32)
    left, right = pan_gains(pan_curve.at(times) if pan_curve is not None else pan, block.shape[0])
    if block.shape[0] == 1:
        return np.concatenate([block * (gain * left), block * (gain * right)], axis=0).astype(np.float32)
    return np.stack([block[0] * (gain * left), block[1] * (gain * right)]).astype(np.float32)


def sum_into(acc: np.ndarray, block: np.ndarray, gain: Any) -> None:
    """``acc += block * gain`` in place; ``gain`` a scalar or per-sample array."""
    if np.ndim(gain) == 0 and float(gain) == 1.0:
        acc += block
    else:
        acc += block * gain

"""Sliding-window minimum and mean in O(n), independent of window length."""

from __future__ import annotations

import numpy as np


def sliding_min(x: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = min(x[i : i + width])`` for every full window (van Herk / Gil-Werman)."""
    count = len(x) - width + 1
    if count <= 0:
        return np.empty(0)
    pad = (-len(x)) % width
    blocks = np.concatenate([x, np.full(pad, np.inf)]).reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:count], prefix[width - 1 : width - 1 + count])


def box_mean(x: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = mean(x[i : i + width])`` for every full window."""
    sums = np.concatenate([[0.0], np.cumsum(x)])
    return (sums[width:] - sums[:-width]) / width

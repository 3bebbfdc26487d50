"""Tiny helpers that treat numpy arrays and torch tensors alike along the time axis."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def is_numpy(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def length(x: Any) -> int:
    return int(x.shape[-1])


def cat(parts: Sequence[Any]) -> Any:
    """Concatenate along time; an empty sequence is not allowed."""
    if len(parts) == 1:
        return parts[0]
    if is_numpy(parts[0]):
        return np.concatenate(parts, axis=-1)
    import torch

    return torch.cat(list(parts), dim=-1)


def empty_like(x: Any) -> Any:
    return x[..., :0]


def zeros_like(x: Any, samples: int) -> Any:
    """Zeros with ``x``'s leading shape, dtype and device, and ``samples`` long."""
    shape = tuple(x.shape[:-1]) + (samples,)
    if is_numpy(x):
        return np.zeros(shape, dtype=x.dtype)
    import torch

    return torch.zeros(shape, dtype=x.dtype, device=x.device)


def interleave(block: np.ndarray) -> np.ndarray:
    """``(channels, samples)`` as one frame-major float32 vector, the layout C audio libraries take.

    One strided copy per channel: much faster than ``ascontiguousarray(block.T)``, whose transpose
    walks memory in the wrong order for small channel counts.
    """
    channels = block.shape[0]
    out = np.empty(block.size, dtype=np.float32)
    for c in range(channels):
        out[c::channels] = block[c]
    return out


_TINY = 1.1754944e-38  # smallest normal float32


def flush_denormals(block: Any) -> Any:
    """Zero subnormal samples: they cost 10-100x per operation in downstream DSP.

    Returns a new array only when there is something to flush, so a plugin that
    hands back a view of its input never has that input changed.
    """
    if not isinstance(block, np.ndarray) or not block.size:
        return block
    small = np.abs(block) < _TINY
    if not small.any() or not np.any(block[small]):
        return block
    return np.where(small, np.float32(0.0), block)

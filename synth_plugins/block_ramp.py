"""Parameter changes between blocks, applied as a ramp across the next block so they never click."""

from __future__ import annotations

from typing import Any


def ramp(start: float, target: float, n: int, like: Any) -> Any:
    """``target`` when the value is steady, else a linear ramp from ``start`` over ``n`` samples shaped like ``like``."""
    if start == target:
        return target
    import torch

    return start + (target - start) * torch.linspace(0.0, 1.0, n, device=like.device, dtype=like.dtype)

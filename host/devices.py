"""Device choice for neural steps; torch is imported only when a chain needs it."""

from __future__ import annotations

from plugin_specs import SynthHostError

DEVICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str) -> str:
    """``auto`` prefers CUDA, then Apple's MPS, then the CPU."""
    if name not in DEVICES:
        raise SynthHostError(f"--device {name!r}: expected one of {', '.join(DEVICES)}")
    if name == "cpu":
        return "cpu"
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SynthHostError("--device cuda: no CUDA device is available (is a CUDA build of torch installed?)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SynthHostError("--device mps: Apple MPS is not available")
    return name

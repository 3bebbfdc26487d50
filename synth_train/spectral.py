"""Multi-resolution STFT loss for waveform generators (torch, batched): linear and log magnitudes at six sizes,
so both the harmonic peaks and the quiet noise floor between them are matched."""

from __future__ import annotations

from typing import Any, Sequence

FFTS = (2048, 1024, 512, 256, 128, 64)


def mr_stft_loss(estimate: Any, target: Any, ffts: Sequence[int] = FFTS, eps: float = 1e-5) -> Any:
    import torch

    total = estimate.new_zeros(())
    for n in ffts:
        window = torch.hann_window(n, device=estimate.device)
        e = torch.stft(estimate, n, n // 4, window=window, return_complex=True).abs()
        t = torch.stft(target, n, n // 4, window=window, return_complex=True).abs()
        total = total + (e - t).abs().mean() + (torch.log(e + eps) - torch.log(t + eps)).abs().mean()
    return total / len(ffts)

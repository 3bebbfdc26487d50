"""Spectral losses for waveform generators (torch, batched).

The multi-resolution STFT loss compares linear and log magnitudes at six sizes, so both the harmonic peaks
and the quiet noise floor between them are matched. The texture distance compares how much each log-mel band
flickers from frame to frame, which beating detuned voices cause and which no phase-exact loss can ask for.
"""

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


def log_mel_flicker(audio: Any, mels: int = 64, n_fft: int = 2048, hop: int = 256) -> Any:
    """(B, mels): mean absolute frame-to-frame change of each log-mel band."""
    import torch

    from synth_plugins.models.ddsp_nets import RATE, mel_filters

    window = torch.hann_window(n_fft, device=audio.device)
    power = torch.stft(audio, n_fft, hop, window=window, return_complex=True).abs().square()
    bands = torch.log(mel_filters(mels, n_fft, RATE).to(audio.device) @ power + 1e-6)
    return (bands[..., 1:] - bands[..., :-1]).abs().mean(-1)


def texture_distance(estimate: Any, target: Any) -> Any:
    """How differently two batches of notes flicker, band by band: blind to the phase of any beating."""
    return (log_mel_flicker(estimate) - log_mel_flicker(target)).abs().mean()

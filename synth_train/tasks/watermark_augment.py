"""The edit layer between generator and detector during training.

Differentiable edits run in torch (filters, gain and clipping, polarity, noise, echo, reverb, speed, crop);
codecs, compression and pitch shift run through pedalboard with a straight-through gradient, so the generator
still learns from them. Each edit returns the edited batch and the per-sample mark mask moved with it (speed and
crop change where the mark is).
"""

from __future__ import annotations

import numpy as np
import pedalboard
import torch

from synth_plugins.models.watermark_nets import RATE


def _fft_filter(y: torch.Tensor, lo: float | None, hi: float | None) -> torch.Tensor:
    """Zero-phase filter with a 2nd-order-like magnitude response (like pedalboard's HP/LP filters)."""
    spec = torch.fft.rfft(y, dim=-1)
    f = torch.fft.rfftfreq(y.shape[-1], 1.0 / RATE).to(y.device)
    gain = torch.ones_like(f)
    if lo is not None:
        gain = gain * (f / lo) ** 2 / torch.sqrt(1 + (f / lo) ** 4)
    if hi is not None:
        gain = gain / torch.sqrt(1 + (f / hi) ** 4)
    return torch.fft.irfft(spec * gain, n=y.shape[-1], dim=-1)


def _noise(y: torch.Tensor, rng: np.random.Generator, pink: bool) -> torch.Tensor:
    snr = float(rng.uniform(12, 30))
    n = torch.randn_like(y)
    if pink:
        spec = torch.fft.rfft(n, dim=-1)
        f = torch.fft.rfftfreq(y.shape[-1], 1.0 / RATE).to(y.device).clamp(min=20.0)
        n = torch.fft.irfft(spec / f.sqrt(), n=y.shape[-1], dim=-1)
    p_sig = y.pow(2).mean(dim=-1, keepdim=True)
    p_n = n.pow(2).mean(dim=-1, keepdim=True) + 1e-12
    return y + n * torch.sqrt(p_sig / p_n * 10 ** (-snr / 10))


def _echo(y: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    d = int(rng.uniform(0.05, 0.4) * RATE)
    g = float(rng.uniform(0.2, 0.6))
    out = y.clone()
    out[:, d:] = out[:, d:] + g * y[:, :-d]
    return out


def _reverb(y: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    t60 = float(rng.uniform(0.2, 1.2))
    n = int(0.5 * RATE)
    t = torch.arange(n, device=y.device) / RATE
    ir = torch.randn(n, generator=torch.Generator().manual_seed(int(rng.integers(1 << 31)))).to(y.device)
    ir = ir * torch.exp(-6.9 * t / t60) * float(rng.uniform(0.1, 0.5))
    ir[0] = 1.0
    size = y.shape[-1] + n
    wet = torch.fft.irfft(torch.fft.rfft(y, n=size) * torch.fft.rfft(ir, n=size), n=size)[:, : y.shape[-1]]
    return wet / (wet.abs().amax(dim=-1, keepdim=True) / y.abs().amax(dim=-1, keepdim=True).clamp(min=1e-6)).clamp(min=1.0)


def _speed(y: torch.Tensor, mask: torch.Tensor, factor: float) -> tuple[torch.Tensor, torch.Tensor]:
    n = int(round(y.shape[-1] / factor))
    out = torch.nn.functional.interpolate(y[:, None], size=n, mode="linear", align_corners=False)[:, 0]
    m = torch.nn.functional.interpolate(mask[:, None], size=n, mode="nearest")[:, 0]
    return out, m


def _straight_through(y: torch.Tensor, board: pedalboard.Pedalboard) -> torch.Tensor:
    x = y.detach().cpu().numpy().astype(np.float32)
    out = np.stack([board(row[None], RATE, reset=True)[0][: row.size] for row in x])
    if out.shape[-1] < x.shape[-1]:
        out = np.pad(out, ((0, 0), (0, x.shape[-1] - out.shape[-1])))
    return y + (torch.from_numpy(out).to(y.device) - y).detach()


EDIT_NAMES = ("none", "bandpass", "highpass", "lowpass", "gain", "polarity", "white", "pink", "echo", "reverb",
              "speed", "resample", "mp3", "compressor", "pitch", "crop")


def random_edit(y: torch.Tensor, mask: torch.Tensor, rng: np.random.Generator,
                name: str | None = None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """One edit (random unless ``name`` is given) applied to the whole batch: edited audio, moved mask, name."""
    if name is None:
        name = EDIT_NAMES[int(rng.integers(len(EDIT_NAMES)))]
    elif name not in EDIT_NAMES:
        raise KeyError(f"unknown training edit {name!r}")
    if name == "bandpass":
        y = _fft_filter(y, float(rng.uniform(300, 800)), float(rng.uniform(3000, 6000)))
    elif name == "highpass":
        y = _fft_filter(y, float(rng.uniform(800, 2500)), None)
    elif name == "lowpass":
        y = _fft_filter(y, None, float(rng.uniform(350, 1200)))
    elif name == "gain":
        y = torch.clamp(y * float(np.exp(rng.uniform(np.log(0.1), np.log(12)))), -1.0, 1.0)
    elif name == "polarity":
        y = -y
    elif name in ("white", "pink"):
        y = _noise(y, rng, name == "pink")
    elif name == "echo":
        y = _echo(y, rng)
    elif name == "reverb":
        y = _reverb(y, rng)
    elif name == "speed":
        y, mask = _speed(y, mask, float(np.exp(rng.uniform(np.log(0.78), np.log(1.28)))))
    elif name == "resample":
        y = _fft_filter(y, None, float(rng.uniform(3500, 7500)))
    elif name == "mp3":
        y = _straight_through(y, pedalboard.Pedalboard([pedalboard.MP3Compressor(vbr_quality=float(rng.uniform(4, 9.99)))]))
    elif name == "compressor":
        y = _straight_through(y, pedalboard.Pedalboard([pedalboard.Compressor(
            threshold_db=float(rng.uniform(-40, -15)), ratio=float(rng.uniform(2, 8)))]))
    elif name == "pitch":
        y = _straight_through(y, pedalboard.Pedalboard([pedalboard.PitchShift(semitones=float(rng.uniform(-1.5, 1.5)))]))
    elif name == "crop":
        n = y.shape[-1]
        keep = int(rng.uniform(0.5, 0.9) * n)
        start = int(rng.integers(0, n - keep + 1))
        y, mask = y[:, start:start + keep], mask[:, start:start + keep]
    return y, mask, name

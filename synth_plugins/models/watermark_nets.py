"""The neural watermark pair, AudioSeal-style: a generator that adds a small learned residual carrying 16 bits,
and a detector that gives a per-frame presence probability and decodes the bits.

Both work on 32 log-spaced band energies of a 16 kHz STFT. The generator writes its mark as smooth per-band gain
changes (so the residual hides under the audio's own spectrum and survives codecs), and the detector reads band
energies normalised per frame and per band trend (so gain, polarity and equalisation do not move its input).
"""

from __future__ import annotations

import math

import torch
from torch import nn

RATE = 16000
N_FFT = 512
HOP = 256


def band_matrix(bands: int, fmin: float = 100.0, fmax: float = 7600.0) -> torch.Tensor:
    """``(bins, bands)`` triangular weights on a log-frequency axis; the columns sum to one per bin region."""
    bins = N_FFT // 2 + 1
    freqs = torch.linspace(0, RATE / 2, bins)
    centres = torch.logspace(math.log10(fmin), math.log10(fmax), bands + 2)
    m = torch.zeros(bins, bands)
    for b in range(bands):
        lo, mid, hi = centres[b], centres[b + 1], centres[b + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        m[:, b] = torch.clamp(torch.minimum(up, down), min=0.0)
    return m


class BandAnalysis(nn.Module):
    """sqrt-Hann STFT and band energies in dB; the inverse applies per-bin gains and resynthesises."""

    def __init__(self, bands: int) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True).sqrt(), persistent=False)
        m = band_matrix(bands)
        self.register_buffer("to_bands", m, persistent=False)
        # bands -> bins for gains: each bin takes the weighted mean of the bands that cover it
        spread = m / m.sum(dim=1, keepdim=True).clamp(min=1e-6)
        self.register_buffer("to_bins", spread.T.contiguous(), persistent=False)

    def spectrum(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stft(x, N_FFT, HOP, window=self.window, center=True, return_complex=True)

    def band_db(self, spec: torch.Tensor) -> torch.Tensor:
        power = spec.real ** 2 + spec.imag ** 2
        return 10.0 * torch.log10(torch.einsum("kb,nkt->nbt", self.to_bands, power) + 1e-10)

    def resynth(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        return torch.istft(spec, N_FFT, HOP, window=self.window, center=True, length=length)


def normalise_bands(db: torch.Tensor, trend_frames: int = 15) -> torch.Tensor:
    """Remove each frame's mean level and each band's slow trend: what is left is fine spectro-temporal shape.

    Everything here is local in time (no clip-wide statistics), so a long file processed in windows gives the
    same result as processed whole.
    """
    x = db - db.mean(dim=1, keepdim=True)
    pad = trend_frames // 2
    trend = nn.functional.avg_pool1d(nn.functional.pad(x, (pad, pad), mode="replicate"), trend_frames, stride=1)
    return (x - trend) / 6.0


class ConvBlock(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 5, padding=2 * dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(nn.functional.gelu(self.conv(x)))


class WatermarkGenerator(nn.Module):
    """Gains = a learned, audio-dependent envelope (where the mark can hide) times a learned band code.

    The code is a sync vector plus one ±vector per message bit, so the message is linear in the band domain
    and the detector can learn to read it; the envelope network decides how much each band and frame can take.
    """

    def __init__(self, bands: int = 32, hidden: int = 96, bits: int = 16, max_db: float = 2.0) -> None:
        super().__init__()
        self.bits, self.max_db = bits, max_db
        self.sync = nn.Parameter(torch.randn(bands) * 0.5)
        self.patterns = nn.Parameter(torch.randn(bits, bands) * 0.5)
        self.inp = nn.Conv1d(bands, hidden, 3, padding=1)
        self.blocks = nn.Sequential(*[ConvBlock(hidden, d) for d in (1, 2, 4, 1)])
        self.out = nn.Conv1d(hidden, bands, 3, padding=1)

    def forward(self, db: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        """Per-band gain in dB ``(batch, bands, frames)`` for band energies ``db`` and 0/1 ``bits``."""
        code = (self.sync + (2.0 * bits.float() - 1.0) @ self.patterns) / math.sqrt(self.bits + 1)
        envelope = nn.functional.softplus(self.out(self.blocks(nn.functional.gelu(self.inp(normalise_bands(db))))))
        return self.max_db * torch.tanh(envelope * code[:, :, None])


class WatermarkDetector(nn.Module):
    """Presence from a dilated conv stack; the bits by matched demodulation of the carrier.

    The mark rides on a known carrier (see :func:`carrier`) whose phase the detector cannot know after cuts,
    so it demodulates the (learned, whitened) band features at all six phases, reads the sync and the bits
    with one learned linear map, and weights each phase by how strongly its sync answers. Only the whitening,
    the map and the presence head are learned; the demodulation is fixed structure, which is what lets the
    bits train in minutes on a CPU.
    """

    def __init__(self, bands: int = 32, hidden: int = 96, bits: int = 16, pool_frames: int = 36) -> None:
        super().__init__()
        self.pool_frames = pool_frames
        self.inp = nn.Conv1d(bands, hidden, 3, padding=1)
        self.blocks = nn.Sequential(*[ConvBlock(hidden, d) for d in (1, 2, 4, 8, 16, 1)])
        self.presence = nn.Conv1d(hidden + 1, 1, 1)
        self.whiten = nn.Conv1d(bands, bands, 1)
        nn.init.eye_(self.whiten.weight[:, :, 0])
        nn.init.zeros_(self.whiten.bias)
        self.read = nn.Linear(bands, 1 + bits, bias=False)
        self.sharpness = nn.Parameter(torch.tensor(4.0))
        self.bit_scale = nn.Parameter(torch.tensor(8.0))

    def _local_mean(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.pool_frames // 2
        shape = x.shape
        flat = x.reshape(-1, 1, shape[-1])
        out = nn.functional.avg_pool1d(nn.functional.pad(flat, (pad, self.pool_frames - 1 - pad), mode="replicate"),
                                       self.pool_frames, stride=1)
        return out.reshape(shape)

    def forward(self, db: torch.Tensor) -> torch.Tensor:
        """``(batch, 1 + bits, frames)`` logits: presence, then one per message bit."""
        z = normalise_bands(db)
        frames = z.shape[-1]
        w = self.whiten(z)
        phases = torch.stack([carrier(frames, k, z.device) for k in range(CARRIER_PERIOD)])  # (6, T)
        demod = self._local_mean(w[:, None] * phases[None, :, None, :])  # (B, 6, bands, T)
        read = torch.einsum("bpkt,ok->bpot", demod, self.read.weight)  # (B, 6, 1 + bits, T)
        norm = torch.sqrt(self._local_mean(w.pow(2)).mean(dim=1) + 1e-6)[:, None, None, :]  # (B, 1, 1, T)
        read = read / norm
        weight = torch.softmax(self.sharpness * read[:, :, 0], dim=1)  # which phase the sync picks
        chosen = (weight[:, :, None, :] * read).sum(dim=1)  # (B, 1 + bits, T)
        h = self.blocks(nn.functional.gelu(self.inp(z)))
        presence = self.presence(torch.cat([h, chosen[:, :1]], dim=1))
        return torch.cat([presence, self.bit_scale * chosen[:, 1:]], dim=1)


CARRIER_PERIOD = 6


def carrier(frames: int, offset: int, device: torch.device) -> torch.Tensor:
    """+1, +1, -0.5, -0.5, -0.5, -0.5, ... (96 ms) by absolute frame index: zero mean, slow enough to survive
    the STFT's frame overlap, and no shift of it equals its negation, so the detector can tell a band pushed
    up from one pushed down without knowing the phase."""
    t = torch.arange(frames, device=device) + offset
    return torch.where(t % CARRIER_PERIOD < 2, 1.0, -0.5)


class WatermarkPair(nn.Module):
    """Generator and detector trained together; the plugin uses each half on its own."""

    def __init__(self, bands: int = 32, hidden: int = 96, bits: int = 16, max_db: float = 2.0) -> None:
        super().__init__()
        self.analysis = BandAnalysis(bands)
        self.generator = WatermarkGenerator(bands, hidden, bits, max_db)
        self.detector = WatermarkDetector(bands, hidden, bits)

    def residual(self, x: torch.Tensor, bits: torch.Tensor, frame_offset: int = 0) -> torch.Tensor:
        """The mark to add to 16 kHz mono ``x`` ``(batch, samples)``; ``frame_offset`` is x's first frame in its file.

        The generator's gains ride on a 96 ms carrier (see :func:`carrier`): a per-band offset that stayed
        constant would be indistinguishable from the audio's own spectral envelope, which the detector removes.
        """
        spec = self.analysis.spectrum(x)
        gains = self.generator(self.analysis.band_db(spec), bits) * carrier(spec.shape[-1], frame_offset, x.device)
        bins = torch.einsum("bk,nbt->nkt", self.analysis.to_bins, gains)
        factor = torch.pow(10.0, bins / 20.0) - 1.0
        return self.analysis.resynth(spec * factor, x.shape[-1])

    def detect(self, y: torch.Tensor) -> torch.Tensor:
        return self.detector(self.analysis.band_db(self.analysis.spectrum(y)))

"""DDSP-style voices: a GRU turns f0, loudness and a timbre vector into the controls of a harmonic
oscillator bank plus filtered noise, so the network only has to learn the spectral envelope and its motion.

Shared by ``neural-instrument`` (timbre = family + GM program embedding) and ``timbre-vae`` (timbre = a
latent z encoded from MFCCs). An envelope GRU maps MIDI (gate, velocity, time since on/off) to the loudness
curve the decoder expects, which is how both play notes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .ddsp_constants import FLOOR_DB, HOP, LOUD_WINDOW, RATE


def exp_sigmoid(x: torch.Tensor, top: float = 2.0) -> torch.Tensor:
    """Positive, smooth and bounded: the scaling DDSP uses for amplitudes (10 ** -7 floor keeps logs finite)."""
    return top * torch.sigmoid(x) ** math.log(10.0) + 1e-7


def upsample(frames: torch.Tensor, n: int) -> torch.Tensor:
    """``(B, T, C)`` control frames -> ``(B, n, C)`` per sample, linearly between frame centres."""
    return F.interpolate(frames.transpose(1, 2), size=n, mode="linear", align_corners=False).transpose(1, 2)


def loudness_db(audio: torch.Tensor) -> torch.Tensor:
    """``(B, n)`` -> ``(B, n // HOP)`` frame RMS in dB, each window centred on its frame's middle."""
    left = LOUD_WINDOW // 2 - HOP // 2
    padded = F.pad(audio, (left, LOUD_WINDOW - left))
    frames = padded.unfold(-1, LOUD_WINDOW, HOP)[:, : audio.shape[-1] // HOP]
    power = frames.square().mean(-1)
    return (10.0 * torch.log10(power + 1e-10)).clamp_min(FLOOR_DB)


def harmonic_bank(f0: torch.Tensor, amplitudes: torch.Tensor, phase0: torch.Tensor | None = None,
                  rate: int = RATE) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of harmonics of ``f0`` (B, T) Hz with per-frame amplitudes (B, T, K); returns audio and end phase.

    Harmonics at or above Nyquist are silenced; the running phase is wrapped before it is multiplied by the
    harmonic number, so float32 stays exact over long notes.
    """
    b, t, k = amplitudes.shape
    n = t * HOP
    numbers = torch.arange(1, k + 1, device=f0.device, dtype=f0.dtype)
    amplitudes = amplitudes * (f0[..., None] * numbers < rate / 2)
    f0_up = upsample(f0[..., None], n)[..., 0]
    amp_up = upsample(amplitudes, n)
    increment = (2 * math.pi / rate) * f0_up.double()
    phase = torch.cumsum(increment, dim=-1)
    if phase0 is not None:
        phase = phase + phase0.double()[:, None]
    wrapped = torch.remainder(phase, 2 * math.pi).float()
    audio = (amp_up * torch.sin(wrapped[..., None] * numbers)).sum(-1)
    return audio, wrapped[:, -1] if n else torch.zeros(b, device=f0.device)


def steady_harmonic_bank(f0: torch.Tensor, amplitudes: torch.Tensor, rate: int = RATE) -> torch.Tensor:
    """:func:`harmonic_bank` for a constant f0 per voice (a MIDI note), as matrix products instead of sines.

    With a steady f0, sin(k w (n0 + m)) = sin(k w n0) cos(k w m) + cos(k w n0) sin(k w m): one (HOP, K) table
    of cos(k w m) and sin(k w m) per voice serves every frame, and amplitudes ramp linearly across each frame
    between the means of neighbouring frames. ``f0`` is (B,), ``amplitudes`` (B, T, K); returns (B, T * HOP).
    """
    b, t, k = amplitudes.shape
    numbers = torch.arange(1, k + 1, device=f0.device, dtype=torch.float64)
    omega = (2 * math.pi / rate) * f0.double()[:, None] * numbers  # (B, K) radians per sample
    amplitudes = amplitudes * (f0[:, None, None] * numbers.float() < rate / 2)
    previous = torch.cat([amplitudes[:, :1], amplitudes[:, :-1]], dim=1)
    knots = 0.5 * (previous + amplitudes)  # amplitude at each frame's first sample
    following = torch.cat([knots[:, 1:], amplitudes[:, -1:]], dim=1)
    start = torch.arange(t, device=f0.device, dtype=torch.float64)[None, :, None] * HOP
    phase = torch.remainder(omega[:, None, :] * start, 2 * math.pi).float()  # (B, T, K)
    sin0, cos0 = torch.sin(phase), torch.cos(phase)
    offsets = torch.arange(HOP, device=f0.device, dtype=torch.float64)[None, :, None]
    within = (omega[:, None, :] * offsets).float()  # (B, HOP, K)
    table = torch.cat([torch.cos(within), torch.sin(within)], dim=2)  # (B, HOP, 2K)
    level = torch.cat([knots * sin0, knots * cos0], dim=2)  # (B, T, 2K)
    slope = torch.cat([(following - knots) * sin0, (following - knots) * cos0], dim=2)
    ramp = torch.arange(HOP, device=f0.device, dtype=amplitudes.dtype)[None, :, None] / HOP
    frames = table @ level.transpose(1, 2) + ramp * (table @ slope.transpose(1, 2))  # (B, HOP, T)
    return frames.transpose(1, 2).reshape(b, t * HOP)


def filtered_noise(magnitudes: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """White noise shaped per frame by ``magnitudes`` (B, T, M) spread over 0..Nyquist; (B, T * HOP) audio."""
    b, t, m = magnitudes.shape
    n_fft = 2 * HOP
    bins = n_fft // 2 + 1
    gains = F.interpolate(magnitudes.reshape(b * t, 1, m), size=bins, mode="linear", align_corners=True)
    gains = gains.reshape(b, t, bins).transpose(1, 2)
    # time-major draws: a frame's noise does not depend on how many frames follow it
    noise = (torch.rand(b, t, bins, 2, generator=generator, device=magnitudes.device) * 2 - 1).transpose(1, 2)
    spectrum = torch.complex(noise[..., 0], noise[..., 1]) * gains
    window = torch.hann_window(n_fft, device=magnitudes.device)
    return torch.istft(spectrum, n_fft, HOP, window=window, center=True, length=t * HOP)


class Decoder(nn.Module):
    """(pitch, loudness, timbre) per frame -> audio through the harmonic and noise synthesizers."""

    def __init__(self, timbre_dim: int, hidden: int = 192, harmonics: int = 60, noise_bands: int = 65) -> None:
        super().__init__()
        self.harmonics, self.noise_bands = harmonics, noise_bands
        self.inp = nn.Sequential(nn.Linear(2 + timbre_dim, hidden), nn.LayerNorm(hidden), nn.LeakyReLU(0.1))
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Sequential(nn.Linear(hidden + 2 + timbre_dim, hidden), nn.LayerNorm(hidden), nn.LeakyReLU(0.1),
                                 nn.Linear(hidden, 1 + harmonics + noise_bands))

    def controls(self, f0: torch.Tensor, loudness: torch.Tensor, timbre: torch.Tensor,
                 state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.cat([pitch_feature(f0)[..., None], loudness_feature(loudness)[..., None],
                       timbre[:, None, :].expand(-1, f0.shape[1], -1)], dim=-1)
        h, state = self.gru(self.inp(x), state)
        y = self.out(torch.cat([h, x], dim=-1))
        amp = exp_sigmoid(y[..., :1])
        dist = exp_sigmoid(y[..., 1 : 1 + self.harmonics])
        numbers = torch.arange(1, self.harmonics + 1, device=f0.device)
        dist = dist * (f0[..., None] * numbers < RATE / 2)
        dist = dist / dist.sum(-1, keepdim=True).clamp_min(1e-7)
        noise = exp_sigmoid(y[..., 1 + self.harmonics :] - 5.0)
        return amp * dist, noise, state

    def forward(self, f0: torch.Tensor, loudness: torch.Tensor, timbre: torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        harmonics, noise, _ = self.controls(f0, loudness, timbre)
        audio, _ = harmonic_bank(f0, harmonics)
        return audio + filtered_noise(noise, generator)


class Ensemble(nn.Module):
    """A two-voice chorus (modulated delays) mixed in per instrument: the detuned, beating sound of synth pads
    and sections that one harmonic bank on one f0 cannot make.

    The delays' motion is fixed; only the wet share is learned, from the timbre vector. The LFOs run on the
    absolute sample index, so ``start`` (the first sample's index) keeps a render in pieces seamless.
    """

    RATES_HZ = (0.7, 1.1)
    DEPTHS_S = (0.0020, 0.0015)  # peak pitch swing 2 pi r d: about 15 and 18 cents
    PHASES = (0.0, math.pi / 2)
    CENTRE_S = 0.012

    def __init__(self, timbre_dim: int) -> None:
        super().__init__()
        self.mix = nn.Linear(timbre_dim, 1)
        nn.init.zeros_(self.mix.weight)
        nn.init.constant_(self.mix.bias, -3.0)  # 5% wet until fitted

    @classmethod
    def history(cls) -> int:
        """Samples of past input the delays reach back to."""
        return int(math.ceil((cls.CENTRE_S + max(cls.DEPTHS_S)) * RATE)) + 2

    def wet_share(self, timbre: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.mix(timbre))  # (B, 1)

    def forward(self, audio: torch.Tensor, timbre: torch.Tensor, start: int = 0,
                past: torch.Tensor | None = None) -> torch.Tensor:
        """``audio`` (B, n) with ``past`` (B, history()) samples before it (silence if omitted)."""
        n, reach = audio.shape[-1], self.history()
        if past is None:
            past = audio.new_zeros(audio.shape[0], reach)
        padded = torch.cat([past[:, -reach:], audio], dim=-1)
        t = torch.arange(n, device=audio.device, dtype=torch.float64)
        wet = torch.zeros_like(audio)
        for rate_hz, depth, phase in zip(self.RATES_HZ, self.DEPTHS_S, self.PHASES):
            lfo = torch.sin((2 * math.pi * rate_hz / RATE) * (t + start) + phase)
            position = t + reach - (self.CENTRE_S + depth * lfo) * RATE
            index = position.floor().long()
            frac = (position - index).to(audio.dtype)
            wet = wet + padded[:, index] * (1 - frac) + padded[:, index + 1] * frac
        share = self.wet_share(timbre)
        return (1 - share) * audio + share * wet / len(self.RATES_HZ)


class Envelope(nn.Module):
    """MIDI note events per frame -> the loudness curve (dB) the decoder is conditioned on."""

    def __init__(self, timbre_dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.gru = nn.GRU(5 + timbre_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, events: torch.Tensor, timbre: torch.Tensor) -> torch.Tensor:
        x = torch.cat([events, timbre[:, None, :].expand(-1, events.shape[1], -1)], dim=-1)
        h, _ = self.gru(x)
        return (FLOOR_DB + 90.0 * torch.sigmoid(self.out(h)[..., 0])).clamp_min(FLOOR_DB)


def pitch_feature(f0: torch.Tensor) -> torch.Tensor:
    return (12.0 * torch.log2(f0.clamp_min(1.0) / 440.0) + 9.0) / 24.0  # 0 at middle C, 1 per two octaves


def loudness_feature(db: torch.Tensor) -> torch.Tensor:
    return (db + 40.0) / 20.0


def note_events(frames: int, hold_frames: torch.Tensor, velocity: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
    """Envelope inputs for notes starting at frame 0: gate, velocity, pitch, time since on and since off."""
    t = torch.arange(frames, dtype=torch.float32, device=hold_frames.device)[None, :]
    hold = hold_frames.float()[:, None]
    gate = (t < hold).float()
    since_on = (t * HOP / RATE).clamp_max(4.0).expand_as(gate) / 4.0
    since_off = ((t - hold).clamp_min(0.0) * HOP / RATE).clamp_max(2.0) / 2.0
    vel = (velocity.float() / 127.0)[:, None].expand(-1, frames)
    pit = ((pitch.float() - 60.0) / 24.0)[:, None].expand(-1, frames)
    return torch.stack([gate, vel, pit, since_on, since_off], dim=-1)


def midi_to_hz(pitch: torch.Tensor) -> torch.Tensor:
    return 440.0 * 2.0 ** ((pitch.float() - 69.0) / 12.0)


class NeuralInstrument(nn.Module):
    """Decoder plus envelope, timbre = family embedding + GM program embedding (0 = family only)."""

    def __init__(self, families: int, programs: int = 129, timbre_dim: int = 16, hidden: int = 192,
                 harmonics: int = 60, noise_bands: int = 65, ensemble: bool = False) -> None:
        super().__init__()
        self.family = nn.Embedding(families, timbre_dim)
        self.program = nn.Embedding(programs, timbre_dim)
        nn.init.zeros_(self.program.weight)  # an unseen program sounds like its family
        self.decoder = Decoder(timbre_dim, hidden, harmonics, noise_bands)
        self.envelope = Envelope(timbre_dim)
        self.ensemble = Ensemble(timbre_dim) if ensemble else None

    def timbre(self, family: torch.Tensor, program: torch.Tensor) -> torch.Tensor:
        return self.family(family) + self.program(program)


class TimbreVAE(nn.Module):
    """Encoder from MFCC + loudness frames to a global latent z; the same decoder and envelope read z."""

    def __init__(self, latent: int = 16, mfcc: int = 30, hidden: int = 192, harmonics: int = 60,
                 noise_bands: int = 65, mels: int = 80, anchors: int = 0, ensemble: bool = False) -> None:
        super().__init__()
        self.register_buffer("anchors", torch.zeros(anchors, latent))  # mean z of named instruments
        self.latent, self.mfcc, self.mels = latent, mfcc, mels
        self.encoder = nn.GRU(mfcc + 1, 128, batch_first=True, bidirectional=True)
        self.to_stats = nn.Linear(256, 2 * latent)
        self.decoder = Decoder(latent, hidden, harmonics, noise_bands)
        self.envelope = Envelope(latent)
        self.ensemble = Ensemble(latent) if ensemble else None
        self.register_buffer("mel_basis", mel_filters(mels), persistent=False)
        self.register_buffer("dct", dct_matrix(mels, mfcc), persistent=False)

    def features(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """MFCC frames (B, T, mfcc) aligned with :func:`loudness_db` frames, and those loudness frames."""
        loud = loudness_db(audio)
        t = loud.shape[1]
        window = torch.hann_window(1024, device=audio.device)
        spec = torch.stft(F.pad(audio, (384, 384)), 1024, HOP, window=window, center=False, return_complex=True)
        mel = torch.log(self.mel_basis @ spec.abs()[:, :, :t].square() + 1e-6)
        mfcc = (mel.transpose(1, 2) @ self.dct) / 10.0
        return mfcc, loud

    def encode(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of z, pooled over the frames louder than -60 dB."""
        mfcc, loud = self.features(audio)
        h, _ = self.encoder(torch.cat([mfcc, loudness_feature(loud)[..., None]], dim=-1))
        weight = (loud > -60.0).float()[..., None] + 1e-3
        pooled = (h * weight).sum(1) / weight.sum(1)
        stats = self.to_stats(pooled)
        return stats[:, : self.latent], stats[:, self.latent :].clamp(-8.0, 4.0)


def mel_filters(mels: int, n_fft: int = 1024, rate: int = RATE, fmin: float = 30.0) -> torch.Tensor:
    """Triangular mel filters (HTK mel scale) as a (mels, n_fft // 2 + 1) matrix."""
    def to_mel(f: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    edges_mel = torch.linspace(float(to_mel(torch.tensor(fmin))), float(to_mel(torch.tensor(rate / 2))), mels + 2)
    edges = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
    freqs = torch.linspace(0, rate / 2, n_fft // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None] - lower) / (centre - lower)
    falling = (upper - freqs[None]) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def dct_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """Orthonormal DCT-II basis as an (n_in, n_out) matrix: log-mel frames @ it gives MFCCs."""
    n = torch.arange(n_in, dtype=torch.float32)[:, None]
    k = torch.arange(n_out, dtype=torch.float32)[None, :]
    basis = torch.cos(math.pi / n_in * (n + 0.5) * k) * math.sqrt(2.0 / n_in)
    basis[:, 0] /= math.sqrt(2.0)
    return basis

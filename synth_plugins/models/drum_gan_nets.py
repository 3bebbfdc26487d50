"""drum-gan: a class-conditional WaveGAN-style generator of 0.51 s drum one-shots at 16 kHz.

The generator upsamples a latent and a class embedding with nearest-neighbour steps and convolutions
(no transposed convolutions, so no checkerboard whine). Beside that waveform path, a filtered-noise branch
shapes white noise with a time-varying spectral mask read from the generator's 256-frame features: hats and
cymbals are mostly bright noise, which the eight-channel last convolutions could not make (their hits came
out an octave dull and an open hat passed for a clap). Two discriminators judge the result: one on the
waveform (attack shape, phase) and one on the log-mel spectrogram (the decay's colour). Both condition on
the class by projection and also predict it, so every class keeps its own character.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

RATE = 16000
SAMPLES = 8192
LATENT = 64
NOISE_FFT, NOISE_HOP = 128, 32  # 65 bins of 125 Hz; the mask changes every 2 ms


class Generator(nn.Module):
    def __init__(self, classes: int, latent: int = LATENT, width: int = 192, kernel: int = 9) -> None:
        super().__init__()
        self.latent = latent
        self.embed = nn.Embedding(classes, 32)
        self.start = 16
        self.project = nn.Linear(latent + 32, width * self.start)
        widths = [width, width // 2, width // 4, width // 8, width // 16]
        self.width = width
        blocks = []
        for a, b in zip(widths[:-1], widths[1:]):
            blocks.append(nn.Sequential(nn.Upsample(scale_factor=4), nn.Conv1d(a, b, kernel, padding=kernel // 2),
                                        nn.BatchNorm1d(b), nn.LeakyReLU(0.2)))
        self.blocks = nn.Sequential(*blocks)  # 16 -> 4096 samples
        self.final = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv1d(widths[-1], widths[-1], kernel, padding=kernel // 2),
                                   nn.LeakyReLU(0.2), nn.Conv1d(widths[-1], 1, kernel, padding=kernel // 2))
        # a learned output level per class (starts at 1)
        self.gain = nn.Embedding(classes, 1)
        nn.init.zeros_(self.gain.weight)
        # filtered noise: a per-frame mask over the noise's STFT bins, from the 256-long features; it starts
        # flat, about 43 dB under full scale, so weights trained without it load (with that faint noise floor
        # until fine-tuned: synth_train/recipes/drum-gan-critics.json, then drum-gan-noise.json)
        self.noise_mask = nn.Conv1d(widths[2], NOISE_FFT // 2 + 1, 3, padding=1)
        nn.init.zeros_(self.noise_mask.weight)
        nn.init.constant_(self.noise_mask.bias, -5.0)
        fixed = torch.randn(SAMPLES, generator=torch.Generator().manual_seed(0))
        self.register_buffer("fixed_noise", fixed, persistent=False)

    def forward(self, z: torch.Tensor, label: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Hits for latents ``z`` and class indices; ``noise`` (hits, SAMPLES) is the white noise the noise
        branch filters (one fixed draw for every hit if omitted)."""
        x = self.project(torch.cat([z, self.embed(label)], dim=-1)).view(-1, self.width, self.start)
        h = self.blocks[:2](F.leaky_relu(x, 0.2))
        wave = self.final(self.blocks[2:](h))[:, 0]
        if noise is None:
            noise = self.fixed_noise.expand(len(z), -1)
        return torch.tanh(wave + self.filtered_noise(h, noise)) * torch.exp(self.gain(label))

    def filtered_noise(self, features: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        mask = F.softplus(self.noise_mask(features))  # (hits, bins, 256): one frame per NOISE_HOP samples
        mask = F.pad(mask, (0, 1), mode="replicate")  # the centred STFT has one frame more
        window = torch.hann_window(NOISE_FFT, device=noise.device)
        spec = torch.stft(noise, NOISE_FFT, NOISE_HOP, window=window, return_complex=True)
        return torch.istft(spec * mask, NOISE_FFT, NOISE_HOP, window=window, length=noise.shape[-1])


class WaveDiscriminator(nn.Module):
    def __init__(self, classes: int, width: int = 32) -> None:
        super().__init__()
        chans = [1, width, width * 2, width * 4, width * 8, width * 8]
        layers = []
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [spectral_norm(nn.Conv1d(a, b, 25, stride=4, padding=12)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)  # 8192 -> 8 frames
        self.head = ConditionalHead(chans[-1], classes)

    def forward(self, audio: torch.Tensor, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        feats, x = [], audio[:, None]
        for layer in self.features:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                feats.append(x)
        return (*self.head(x.mean(-1), label), feats)


class SpectralDiscriminator(nn.Module):
    def __init__(self, classes: int, width: int = 32, mels: int = 64) -> None:
        super().__init__()
        from .ddsp_nets import mel_filters

        self.register_buffer("mel", mel_filters(mels, 512, RATE, 20.0), persistent=False)
        chans = [1, width, width * 2, width * 4, width * 4]
        layers = []
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [spectral_norm(nn.Conv2d(a, b, 3, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.head = ConditionalHead(chans[-1], classes)

    def forward(self, audio: torch.Tensor, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        window = torch.hann_window(512, device=audio.device)
        spec = torch.stft(audio, 512, 128, window=window, return_complex=True).abs().square()
        x = torch.log(self.mel @ spec + 1e-5)[:, None]
        feats = []
        for layer in self.features:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                feats.append(x)
        return (*self.head(x.mean((-1, -2)), label), feats)


class ConditionalHead(nn.Module):
    """Real/fake score with a class projection term, plus class logits (AC-GAN style)."""

    def __init__(self, width: int, classes: int) -> None:
        super().__init__()
        self.score = spectral_norm(nn.Linear(width, 1))
        self.embed = spectral_norm(nn.Embedding(classes, width))
        self.classify = nn.Linear(width, classes)

    def forward(self, h: torch.Tensor, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        score = self.score(h)[:, 0] + (self.embed(label) * h).sum(-1)
        return score, self.classify(h)


class DrumGAN(nn.Module):
    def __init__(self, classes: int, width: int = 192, kernel: int = 9, disc_width: int = 32) -> None:
        super().__init__()
        self.generator = Generator(classes, LATENT, width, kernel)
        self.wave = WaveDiscriminator(classes, disc_width)
        self.spectral = SpectralDiscriminator(classes, disc_width)

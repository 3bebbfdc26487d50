"""The two classifier networks. Both read log-mel spectrograms from :mod:`synth_plugins.features`."""

from __future__ import annotations

import torch
from torch import nn


class ResidualDilatedBlock(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(torch.relu(self.norm(self.conv(x))))


class FrameTagger(nn.Module):
    """Per-frame multi-label logits from ``(batch, n_mels, frames)`` log-mel in dB.

    Dilated convolutions see about 0.6 s either side of each 10 ms frame, enough to tell a pause
    inside speech from silence between sounds, and cheap enough for hundreds of times real time.
    """

    def __init__(self, n_mels: int = 64, channels: int = 80, n_labels: int = 4,
                 dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1)) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.inp = nn.Conv1d(n_mels, channels, 3, padding=1)
        self.blocks = nn.Sequential(*[ResidualDilatedBlock(channels, d) for d in dilations])
        self.out = nn.Conv1d(channels, n_labels, 1)
        self.receptive_frames = 1 + 2 * (1 + sum(dilations))

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.inp(self.input_norm(logmel)))
        return self.out(self.blocks(x))


class ClipClassifier(nn.Module):
    """Clip-level logits from ``(batch, n_mels, frames)``: a small 2-D CNN with global pooling,
    so any length of note or stem works. Input is taken relative to its own peak, so a quiet
    recording of an instrument looks like a loud one."""

    def __init__(self, n_mels: int = 96, n_labels: int = 11, widths: tuple[int, ...] = (24, 48, 64, 96)) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm2d(1)
        layers: list[nn.Module] = []
        previous = 1
        for width in widths:
            layers += [nn.Conv2d(previous, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                       nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(2 * previous, n_labels)

    def embed(self, logmel: torch.Tensor) -> torch.Tensor:
        """The pooled features the head reads: the embedding for Frechet distances between sound sets."""
        relative = logmel - logmel.amax(dim=(1, 2), keepdim=True)
        x = self.features(self.input_norm(relative.unsqueeze(1)))
        return torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(logmel)))

"""The speech denoiser: a GRU over log-spectral frames that predicts a gain for every STFT bin.

Frames are 20 ms sqrt-Hann windows every 10 ms at 16 kHz; analysis and synthesis windows multiply to a Hann
window, whose half-overlapped copies sum to one, so a unit mask reconstructs the input exactly, one hop
(10 ms) late. The GRU only looks back, so the look-ahead is that one hop. ``stream`` keeps the previous hop of
input, the GRU state and the overlap-add tail, and equals the whole-buffer ``forward``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

WINDOW = 320
HOP = 160
BINS = WINDOW // 2 + 1


class SpectralGRUDenoiser(nn.Module):
    def __init__(self, embed: int = 64, hidden: int = 112, layers: int = 2) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(WINDOW, periodic=True).sqrt(), persistent=False)
        self.embed = nn.Linear(BINS, embed)
        self.gru = nn.GRU(embed, hidden, num_layers=layers, batch_first=True)
        self.mask = nn.Linear(hidden, BINS)
        self.hidden, self.layers = hidden, layers

    # -- spectra -------------------------------------------------------------------

    def frames(self, padded: torch.Tensor) -> torch.Tensor:
        """``(batch, HOP * (n + 1))`` samples to ``(batch, n, BINS)`` complex spectra."""
        return torch.fft.rfft(padded.unfold(-1, WINDOW, HOP) * self.window, dim=-1)

    def masks(self, spec: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        power = spec.real.square() + spec.imag.square()
        features = torch.log10(power + 1e-9) * 0.25 + 1.0
        h, state = self.gru(torch.relu(self.embed(features)), state)
        return torch.sigmoid(self.mask(h)), state

    def synthesise(self, spec: torch.Tensor, tail: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Overlap-add; returns ``n * HOP`` finished samples and the next tail."""
        pieces = torch.fft.irfft(spec, n=WINDOW, dim=-1) * self.window  # (batch, n, WINDOW)
        batch, n, _ = pieces.shape
        out = torch.nn.functional.fold(pieces.transpose(1, 2), (1, HOP * (n + 1)), (1, WINDOW), stride=(1, HOP))
        out = out.reshape(batch, HOP * (n + 1))
        out[:, :HOP] += tail
        return out[:, : n * HOP], out[:, n * HOP :]

    # -- running -------------------------------------------------------------------

    def initial_state(self, batch: int, device: Any = "cpu") -> dict[str, Any]:
        zeros = torch.zeros(batch, HOP, device=device)
        return {"input": zeros, "tail": zeros.clone(), "gru": None}

    def stream(self, x: torch.Tensor, state: dict[str, Any] | None = None, floor: float = 0.0
               ) -> tuple[torch.Tensor, dict[str, Any]]:
        """``x`` is ``(batch, k * HOP)``; the output is the same length, one hop late."""
        if state is None:
            state = self.initial_state(x.shape[0], x.device)
        spec = self.frames(torch.cat([state["input"], x], dim=-1))
        mask, gru = self.masks(spec, state["gru"])
        if floor > 0.0:
            mask = floor + (1.0 - floor) * mask
        out, tail = self.synthesise(spec * mask, state["tail"])
        return out, {"input": x[:, -HOP:], "tail": tail, "gru": gru}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stream(x)[0]

    def training_spectra(self, noisy: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Enhanced and clean spectra on the same frames, for spectral losses."""
        pad = noisy.new_zeros(noisy.shape[0], HOP)
        spec = self.frames(torch.cat([pad, noisy], dim=-1))
        mask, _ = self.masks(spec)
        return spec * mask, self.frames(torch.cat([pad, clean], dim=-1))

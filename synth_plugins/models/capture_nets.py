"""Networks that imitate an effect chain sample by sample, in the manner of Neural Amp Modeler.

Both work on mono ``(batch, samples)`` audio and stream: ``stream(x, state)`` returns the output
and the state to pass with the next block, and feeding a signal block by block gives the same
samples as one call on the whole signal. An LSTM carries its hidden state; the WaveNet keeps the
last ``(kernel - 1) * dilation`` inputs of each layer, so no block recomputes the receptive field.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "lstm": {
        "nano": {"hidden": 12},
        "lite": {"hidden": 16},
        "standard": {"hidden": 24},
    },
    "wavenet": {
        "nano": {"channels": 4, "kernel": 3, "dilations": [2**i for i in range(10)]},
        "lite": {"channels": 8, "kernel": 3, "dilations": [2**i for i in range(10)]},
        "standard": {"channels": 16, "kernel": 3, "dilations": [2**i for i in range(10)] * 2},
    },
}


class LSTMCapture(nn.Module):
    """One LSTM layer over the raw samples, a linear read-out, and a direct input path."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.direct = nn.Parameter(torch.zeros(1))

    @property
    def receptive_field(self) -> int:
        return 1

    def initial_state(self, batch: int, device: Any = "cpu") -> Any:
        return None

    @staticmethod
    def repeat_state(state: Any, rows: int) -> Any:
        return tuple(t.expand(-1, rows, -1).contiguous() for t in state)

    def stream(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        h, state = self.lstm(x.unsqueeze(-1), state)
        return self.head(h).squeeze(-1) + self.direct * x, state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stream(x)[0]


class _DilatedLayer(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.kernel, self.dilation = kernel, dilation
        self.conv = nn.Conv1d(channels, 2 * channels, kernel, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.context = (kernel - 1) * dilation

    def forward(self, x: torch.Tensor, history: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``x`` is this block, ``history`` the ``context`` inputs before it; returns (out, skip, new history)."""
        data = torch.cat([history, x], dim=-1)
        a, b = self.conv(data).chunk(2, dim=1)
        z = torch.tanh(a) * torch.sigmoid(b)
        return x + self.mix(z), z, data[..., data.shape[-1] - self.context :]


class WaveNetCapture(nn.Module):
    """Causal gated dilated convolutions with skip connections summed into a linear head."""

    def __init__(self, channels: int = 8, kernel: int = 3, dilations: tuple[int, ...] | list[int] = (1, 2, 4)) -> None:
        super().__init__()
        self.channels = channels
        self.inp = nn.Conv1d(1, channels, 1)
        self.layers = nn.ModuleList(_DilatedLayer(channels, kernel, d) for d in dilations)
        self.head = nn.Conv1d(channels, 1, 1)

    @property
    def receptive_field(self) -> int:
        return 1 + sum(layer.context for layer in self.layers)

    def initial_state(self, batch: int, device: Any = "cpu") -> list[torch.Tensor]:
        return [torch.zeros(batch, self.channels, layer.context, device=device) for layer in self.layers]

    @staticmethod
    def repeat_state(state: Any, rows: int) -> Any:
        return [t.expand(rows, -1, -1).contiguous() for t in state]

    def stream(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        if state is None:
            state = self.initial_state(x.shape[0], x.device)
        h = self.inp(x.unsqueeze(1))
        skips = 0
        new_state = []
        for layer, history in zip(self.layers, state):
            h, skip, kept = layer(h, history)
            skips = skips + skip
            new_state.append(kept)
        return self.head(skips).squeeze(1), new_state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stream(x)[0]


def build_capture_net(arch: str, config: dict[str, Any]) -> nn.Module:
    """The network a capture file describes; unknown keys are an error, not ignored."""
    if arch == "lstm":
        return LSTMCapture(**config)
    if arch == "wavenet":
        return WaveNetCapture(**config)
    raise ValueError(f"unknown architecture {arch!r} (expected lstm or wavenet)")

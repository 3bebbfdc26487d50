"""``neural-denoise``: a small recurrent speech denoiser that streams with 10 ms of look-ahead.

It runs at 16 kHz (the chain resamples around it), one batch row per channel, and reports its one-hop
delay so the host lines the output up with the input.
"""

from __future__ import annotations

from typing import Any

from plugin_specs import Effect, Parameter, PluginInfo, hookimpl

from . import weights
from .block_ramp import ramp
from .torch_threads import one_thread

RATE = 16000
HOP = 160


class NeuralDenoise(Effect):
    """Suppresses stationary and fluctuating noise under speech; ``attenuation_db`` caps how much."""

    backend = "torch"
    model_name = "neural-denoise"
    info = PluginInfo(
        id="neural-denoise", name="Neural speech denoiser", version="1.0.0", authors=("synth-host developers",),
        description="GRU over 20 ms spectral frames predicting a gain per bin; RNNoise-sized, 10 ms look-ahead.",
        tags=("denoise", "speech", "neural", "rnn"), license="GPL-3.0-or-later", sample_rates=(RATE,),
        latency_samples=HOP, block_size=HOP, stateful=True,
        extra={"weights": "synth_plugins/weights/neural-denoise.safetensors"},
    )
    parameters = (
        Parameter("attenuation_db", "float", 40.0, 0.0, 80.0, unit="dB",
                  description="Most a bin is turned down; lower keeps more of the room and the noise"),
        Parameter("mix", "float", 1.0, 0.0, 1.0, description="Share of the denoised signal; the rest is the input"),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: Any = None
        self._device: str | None = None
        self.state_: Any = None

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        if self.model is None or self._device != device:
            from .models.denoise_nets import SpectralGRUDenoiser

            config = weights.load_card(self.model_name)["config"]
            net = SpectralGRUDenoiser(config["embed"], config["hidden"], config["layers"])
            self.model = weights.load_model(net, self.model_name, device=device)
            self._device = device
        self.reset()

    def reset(self) -> None:
        self.state_ = None
        self._mix: float | None = None

    def process(self, audio: Any) -> Any:
        batch, channels, n = audio.shape
        rows = audio.reshape(batch * channels, n)
        previous = None if self.state_ is None else self.state_["input"]
        floor = 10.0 ** (-self.params["attenuation_db"] / 20.0)
        with one_thread():
            wet, self.state_ = self.model.stream(rows, self.state_, floor=floor)
        target = float(self.params["mix"])
        start = target if self._mix is None else self._mix
        self._mix = target
        if start < 1.0 or target < 1.0:  # the dry path is delayed by the same hop as the wet one
            import torch

            lead = rows.new_zeros(rows.shape[0], HOP) if previous is None else previous
            dry = torch.cat([lead, rows], dim=-1)[:, :n]
            mix = ramp(start, target, n, rows)
            wet = mix * wet + (1.0 - mix) * dry
        return wet.reshape(batch, channels, n)


@hookimpl
def register_effects(register):
    register(NeuralDenoise)

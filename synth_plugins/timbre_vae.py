"""``timbre-vae`` (a generator) and ``timbre-transfer`` (an effect) over one learned timbre space.

A timbre is a point z: a named anchor (the mean z of a family or GM program in the training notes),
a draw from the prior (``timbre=random``, fixed by the seed), or a blend of two of them. The generator plays
notes with it; the effect tracks the f0 and loudness of its input and resynthesises them with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugin_specs import Effect, Parameter, ParameterError, PluginInfo, hookimpl

from . import weights
from .neural_instrument import DDSPGenerator
from .torch_threads import one_thread
from .transfer_stream import REPORTED_LATENCY

RANDOM = "random"


def build_vae(card: dict[str, Any]) -> Any:
    """The network a timbre-vae model card describes, anchors included."""
    from .models.ddsp_nets import TimbreVAE

    c = card["config"]
    return TimbreVAE(c["latent"], c["mfcc"], c["hidden"], c["harmonics"], c["noise_bands"], c["mels"],
                     anchors=len(card["anchors"]), ensemble=bool(c.get("ensemble", False)))


def load_vae(device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    card = weights.load_card("timbre-vae")
    return weights.load_model(build_vae(card), "timbre-vae", device=device), card


def timbre_vector(model: Any, card: dict[str, Any], name: str, other: str, blend: float, seed: int,
                  owner: str) -> Any:
    """z for ``name`` blended linearly towards ``other`` by ``blend`` (0 = name only)."""
    import torch

    def point(which: str, salt: int) -> Any:
        if which == RANDOM:
            rng = np.random.default_rng([int(seed), salt])
            return torch.from_numpy(rng.standard_normal(model.latent).astype(np.float32)).to(model.anchors.device)
        if which not in card["anchors"]:
            raise ParameterError(f"{owner}: unknown timbre {which!r} (a family, a GM program from the training "
                                 f"notes such as {card['anchors'][10]!r}, or {RANDOM!r})")
        return model.anchors[card["anchors"].index(which)]

    z = point(name, 0)
    if other and blend > 0:
        z = (1.0 - blend) * z + blend * point(other, 1)
    return z


TIMBRE_PARAMETERS = (
    Parameter("timbre", "str", "strings", description="Family, GM program name (violin, ...) or 'random' (from the seed)"),
    Parameter("blend_with", "str", "brass", description="Second timbre to interpolate towards (empty: none)"),
    Parameter("blend", "float", 0.0, 0.0, 1.0, description="0 = timbre only, 1 = blend_with only"),
)


class TimbreVAEGenerator(DDSPGenerator):
    """Plays notes with a timbre from the VAE's latent space: an instrument, a blend, or a new one."""

    model_name = "timbre-vae"
    info = PluginInfo(
        id="timbre-vae", name="Timbre VAE", version="1.0.0", authors=("synth-host developers",),
        description="VAE over instrument timbre (MFCC/loudness encoder, DDSP decoder): sample new timbres, "
                    "interpolate between instruments, play notes with them.",
        tags=("generator", "instrument", "neural", "vae", "ddsp"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/timbre-vae.safetensors"},
    )
    parameters = TIMBRE_PARAMETERS

    def build(self, config: dict[str, Any], card: dict[str, Any]) -> Any:
        return build_vae(card)

    def timbre(self, seed: int) -> Any:
        p = self.params
        return timbre_vector(self.model, self.card, p["timbre"], p["blend_with"], p["blend"], seed, self.info.id)


class TimbreTransfer(Effect):
    """Resynthesises a monophonic input (a sung or played melody) with another timbre.

    Runs at 22.05 kHz in fixed chunks of 16 control frames, so the output does not depend on the host's
    block size. The delay is the chunk plus the pitch tracker's look-ahead; the loudness window is centred on
    its frame, so a sound starts half a window early, and the reported latency is half a window less.
    """

    info = PluginInfo(
        id="timbre-transfer", name="Timbre transfer", version="1.0.0", authors=("synth-host developers",),
        description="Tracks f0 (YIN) and loudness of the input and replays them through the timbre VAE's decoder "
                    "with a chosen timbre.",
        tags=("effect", "timbre", "neural", "vae", "ddsp"), license="GPL-3.0-or-later", sample_rates=(22050,),
        latency_samples=REPORTED_LATENCY, tail_seconds=0.06, stateful=True,
        extra={"weights": "synth_plugins/weights/timbre-vae.safetensors"},
    )
    parameters = TIMBRE_PARAMETERS + (
        Parameter("octave", "int", 0, -3, 3, description="Shift the tracked pitch by octaves"),
        Parameter("seed", "int", 0, 0, 2**31 - 1, description="Seed for 'random' timbres and the noise", automatable=False),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: Any = None
        self.stream: Any = None

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        if self.model is None:
            self.model, self.card = load_vae("cpu")
        self.reset()

    def reset(self) -> None:
        from .transfer_stream import TransferStream

        p = self.params
        z = timbre_vector(self.model, self.card, p["timbre"], p["blend_with"], p["blend"], p["seed"], self.info.id)
        self.stream = TransferStream(self.model.decoder, z, p["seed"], self.model.ensemble)

    def set_parameter(self, name: str, value: Any) -> None:
        super().set_parameter(name, value)
        if self.stream is not None and name in ("timbre", "blend_with", "blend"):
            p = self.params
            self.stream.timbre = timbre_vector(self.model, self.card, p["timbre"], p["blend_with"], p["blend"],
                                               p["seed"], self.info.id)

    def process(self, audio: np.ndarray) -> np.ndarray:
        self.stream.shift = 2.0 ** self.params["octave"]
        with one_thread():
            wet = self.stream.process(np.asarray(audio, np.float32).mean(axis=0))
        return np.repeat(wet[None], audio.shape[0], axis=0)


@hookimpl
def register_generators(register):
    register(TimbreVAEGenerator)


@hookimpl
def register_effects(register):
    register(TimbreTransfer)


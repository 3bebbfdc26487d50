"""``neural-instrument``: a DDSP-style RNN instrument that plays notes (from MIDI or the Python API).

The model runs at 22.05 kHz and the result is resampled to the rate asked for. ``instrument`` is a family
(``strings``) or a GM program name (``violin``); a program the model never heard plays its family's sound.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from plugin_specs import Generator, Note, Parameter, PluginInfo, hookimpl

from . import weights
from .gm_names import FAMILIES, INSTRUMENT_NAMES, PROGRAM_BY_SLUG, program_family
from .torch_threads import one_thread

#: What a generator plays when given no notes: a C major arpeggio up and down, one note per 0.4 s.
DEFAULT_PHRASE = tuple(Note(0.4 * i, 0.35, p, 96) for i, p in enumerate((60, 64, 67, 72, 67, 64, 60)))


def phrase_for(duration: float) -> list[Note]:
    """The default phrase repeated to fill ``duration``."""
    span = 0.4 * len(DEFAULT_PHRASE)
    out = []
    for k in range(int(np.ceil(duration / span))):
        out += [n._replace(start=n.start + k * span) for n in DEFAULT_PHRASE if n.start + k * span < duration]
    return out


class DDSPGenerator(Generator):
    """Shared by the note-playing generators: load once, render notes at the model rate, resample."""

    model_name = ""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: Any = None
        self._device: str | None = None

    def build(self, config: dict[str, Any], card: dict[str, Any]) -> Any:
        raise NotImplementedError

    def load(self, device: str = "cpu") -> Any:
        if self.model is None or self._device != device:
            card = weights.load_card(self.model_name)
            self.card = card
            self.model = weights.load_model(self.build(card["config"], card), self.model_name, device=device)
            self._device = device
        return self.model

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        self.load(device)

    def timbre(self, seed: int) -> Any:
        raise NotImplementedError

    def generate(self, duration: float, sample_rate: int, seed: int = 0,
                 notes: Sequence[Any] | None = None) -> np.ndarray:
        from .models.ddsp_nets import RATE
        from .resampling import resample
        from .voice_render import as_notes, render_notes

        n = int(round(duration * sample_rate))
        chosen = phrase_for(duration) if notes is None else as_notes(notes, self.info.id)
        self.load(self.device)
        with one_thread():
            audio = render_notes(self.model, self.timbre(seed), chosen, int(np.ceil(duration * RATE)) + 1, seed)
        out = resample(audio[None], RATE, sample_rate)[:, :n]
        if out.shape[1] < n:
            out = np.pad(out, ((0, 0), (0, n - out.shape[1])))
        return np.ascontiguousarray(out, dtype=np.float32)


class NeuralInstrument(DDSPGenerator):
    """Plays notes with the timbre of an instrument family or GM program."""

    model_name = "neural-instrument"
    info = PluginInfo(
        id="neural-instrument", name="Neural instrument", version="1.0.0", authors=("synth-host developers",),
        description="GRU decoder driving a harmonic-plus-noise synthesizer (DDSP-style), conditioned on f0, "
                    "loudness and an instrument embedding; plays MIDI with velocity, polyphony and release tails.",
        tags=("generator", "instrument", "midi", "neural", "rnn", "ddsp"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/neural-instrument.safetensors"},
    )
    parameters = (
        Parameter("instrument", "str", "violin", choices=INSTRUMENT_NAMES,
                  description="A family (strings, brass, ...) or a GM program name (violin, trumpet, ...)"),
        Parameter("gain_db", "float", 0.0, -40.0, 20.0, unit="dB", description="Output level"),
    )

    def build(self, config: dict[str, Any], card: dict[str, Any]) -> Any:
        from .models.ddsp_nets import NeuralInstrument as Net

        return Net(len(card["families"]), 129, config["timbre_dim"], config["hidden"], config["harmonics"],
                   config["noise_bands"], ensemble=bool(config.get("ensemble", False)))

    def timbre(self, seed: int) -> Any:
        import torch

        name = self.params["instrument"]
        if name in FAMILIES:
            family, program = name, 0
        else:
            number = PROGRAM_BY_SLUG[name]
            family, program = program_family(number), number + 1
        with torch.inference_mode():
            index = torch.tensor([self.card["families"].index(family)], device=self._device)
            return self.model.timbre(index, torch.tensor([program], device=self._device))[0]

    def generate(self, duration: float, sample_rate: int, seed: int = 0,
                 notes: Sequence[Any] | None = None) -> np.ndarray:
        out = super().generate(duration, sample_rate, seed, notes)
        return out * np.float32(10 ** (self.params["gain_db"] / 20))


@hookimpl
def register_generators(register):
    register(NeuralInstrument)

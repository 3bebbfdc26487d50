"""Trainable models by name: ``synth-host train NAME`` and ``synth-host eval NAME`` look here."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .trainer import TrainConfig


def _content(corpus: Path) -> Any:
    from .tasks.content import ContentTask

    return ContentTask(corpus)


def _instrument(corpus: Path) -> Any:
    from .tasks.instrument import InstrumentTask

    return InstrumentTask(corpus)


def _watermark(corpus: Path) -> Any:
    from .tasks.watermark import WatermarkTask

    return WatermarkTask(corpus)


def _denoise(corpus: Path) -> Any:
    from .tasks.denoise import DenoiseTask

    return DenoiseTask(corpus)


def _neural_instrument(corpus: Path) -> Any:
    from .tasks.neural_instrument import NeuralInstrumentTask

    return NeuralInstrumentTask(corpus)


def _drums(corpus: Path) -> Any:
    from .tasks.drums import DrumTask

    return DrumTask(corpus)


def _drum_gan(corpus: Path) -> Any:
    from .tasks.drum_gan import DrumGANTask

    return DrumGANTask(corpus)


def _timbre_vae(corpus: Path) -> Any:
    from .tasks.timbre_vae import TimbreVAETask

    return TimbreVAETask(corpus)


MODELS: dict[str, tuple[Callable[[Path], Any], TrainConfig]] = {
    "content-classifier": (_content, TrainConfig(steps=3000, batch_size=16, lr=3e-3, val_every=250)),
    "instrument-classifier": (_instrument, TrainConfig(steps=2000, batch_size=32, lr=2e-3, val_every=250)),
    "neural-denoise": (_denoise, TrainConfig(steps=5000, batch_size=16, lr=2e-3, val_every=500)),
    "neural-watermark": (_watermark, TrainConfig(steps=6000, batch_size=16, lr=1e-3, val_every=500)),
    "drum-classifier": (_drums, TrainConfig(steps=1200, batch_size=32, lr=2e-3, val_every=200)),
    "drum-gan": (_drum_gan, TrainConfig(steps=3000, batch_size=24, lr=2e-4, val_every=300, weight_decay=0.0)),
    "timbre-vae": (_timbre_vae, TrainConfig(steps=2500, batch_size=12, lr=2e-3, val_every=250, weight_decay=0.0)),
    "neural-instrument": (_neural_instrument, TrainConfig(steps=2000, batch_size=12, lr=2e-3, val_every=250,
                                                          weight_decay=0.0)),
}

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


MODELS: dict[str, tuple[Callable[[Path], Any], TrainConfig]] = {
    "content-classifier": (_content, TrainConfig(steps=3000, batch_size=16, lr=3e-3, val_every=250)),
    "instrument-classifier": (_instrument, TrainConfig(steps=2000, batch_size=32, lr=2e-3, val_every=250)),
    "neural-denoise": (_denoise, TrainConfig(steps=5000, batch_size=16, lr=2e-3, val_every=500)),
    "neural-watermark": (_watermark, TrainConfig(steps=6000, batch_size=16, lr=1e-3, val_every=500)),
}

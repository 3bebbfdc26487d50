"""Shared adapter for the bundled neural classifiers: weights, resampling, windowing, segments.

The model card beside each safetensors file says how to build the network and its front end,
so a retrained model with another size loads without code changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from plugin_specs import Classifier, Segment

from . import weights
from .resampling import resample


def to_model_rate(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Mono float32 at ``target`` Hz: channels averaged, then pedalboard's resampler."""
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0, keepdims=True)
    return mono[0] if rate == target else resample(mono, rate, target)[0]


def runs(active: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` index pairs of the True runs in a boolean array."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


class NeuralClassifier(Classifier):
    """Loads ``weights/<id>.safetensors`` in ``prepare``; subclasses say how to build and run the net."""

    model_name: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: Any = None
        self.card: dict[str, Any] = {}

    def build_model(self, config: dict[str, Any]) -> Any:
        raise NotImplementedError

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        if self.model is None or str(self.card.get("_device")) != device:
            self.card = weights.load_card(self.model_name)
            self.front = self.build_front(self.card["config"])
            self.model = weights.load_model(self.build_model(self.card["config"]), self.model_name, device=device)
            self.card["_device"] = device

    def build_front(self, config: dict[str, Any]) -> Any:
        from .features import LogMel

        return LogMel(config["sample_rate"], config["n_fft"], config["hop"], config["n_mels"])

    def model_input(self, audio: np.ndarray) -> np.ndarray:
        return to_model_rate(audio, self.sample_rate or self.card["config"]["sample_rate"],
                             self.card["config"]["sample_rate"])

    def segments_from(self, active: np.ndarray, probs: np.ndarray, label: str, seconds_per_frame: float,
                      duration: float, min_seconds: float) -> list[Segment]:
        out = []
        for a, b in runs(active):
            start, end = a * seconds_per_frame, min(b * seconds_per_frame, duration)
            if end - start >= min_seconds and end > start:
                out.append(Segment(round(start, 4), round(end, 4), label, float(np.clip(probs[a:b].mean(), 0, 1))))
        return out

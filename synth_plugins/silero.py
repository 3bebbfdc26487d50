"""Silero VAD as a classifier plugin: a real external pretrained model, and a peer to compare with.

Optional: ``pip install synth-host[silero]``. The ``silero-vad`` package ships its TorchScript
model file and loads it offline; without the package this module registers nothing.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from plugin_specs import ClassificationResult, Classifier, Parameter, PluginError, PluginInfo, hookimpl

from .neural_classifier import runs, to_model_rate

RATE = 16000
CHUNK = 512  # samples per Silero decision at 16 kHz (32 ms)


class SileroVAD(Classifier):
    """Speech probability per 32 ms, thresholded into speech segments."""

    info = PluginInfo(
        id="silero-vad", name="Silero VAD", version="6", authors=("Silero Team",),
        description="Silero voice activity detector (pretrained, MIT), run through synth-host.",
        tags=("classifier", "vad", "speech", "external"), license="MIT",
        citation="Silero Team, Silero VAD, https://github.com/snakers4/silero-vad",
    )
    labels = ("speech",)
    parameters = (
        Parameter("threshold", "float", 0.5, 0.05, 0.95, description="Speech probability threshold"),
        Parameter("min_segment_s", "float", 0.2, 0.0, 10.0, unit="s", description="Shorter segments are dropped"),
    )

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        if getattr(self, "model", None) is None:
            try:
                from silero_vad import load_silero_vad
            except ImportError:
                raise PluginError("silero-vad: the silero-vad package is not installed (pip install synth-host[silero])") from None
            self.model = load_silero_vad()

    def chunk_probabilities(self, audio: np.ndarray) -> np.ndarray:
        import torch

        x = to_model_rate(np.asarray(audio), self.sample_rate or RATE, RATE)
        if len(x) == 0:
            return np.zeros(0, dtype=np.float32)
        self.model.reset_states()
        with torch.inference_mode():
            return self.model.audio_forward(torch.from_numpy(np.ascontiguousarray(x)), RATE)[0].numpy()

    def classify(self, audio: Any) -> ClassificationResult:
        from plugin_specs import Segment

        audio = np.asarray(audio)
        duration = audio.shape[-1] / self.sample_rate
        probs = self.chunk_probabilities(audio)
        step = CHUNK / RATE
        segments = []
        for a, b in runs(probs >= self.params["threshold"]):
            start, end = a * step, min(b * step, duration)
            if end - start >= self.params["min_segment_s"] and end > start:
                segments.append(Segment(round(start, 4), round(end, 4), "speech", float(probs[a:b].mean())))
        score = float(np.clip(probs.mean(), 0, 1)) if probs.size else 0.0
        return ClassificationResult({"speech": score}, segments)


@hookimpl
def register_classifiers(register):
    if importlib.util.find_spec("silero_vad") is not None:
        register(SileroVAD)

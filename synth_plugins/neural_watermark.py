"""neural-watermark: the trained generator/detector pair as a Watermarker plugin.

Any rate and channel count: the mark is made on a 16 kHz mono mixdown, resampled back and added to every
channel. Long inputs run in windows with enough context on both sides that the result equals a whole-buffer
run, so memory stays bounded and streaming equals whole-buffer embedding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugin_specs import Parameter, PluginInfo, WatermarkDetection, Watermarker, hookimpl

from . import weights
from .watermark_common import (
    INTERNAL_RATE, MESSAGE_BITS, format_message, parse_message, segments_from_mask, to_internal,
)
from .watermark_stream import StreamingEmbedder

MODEL_NAME = "neural-watermark"
WINDOW_FRAMES = 1875  # 30 s of 16 ms frames per window
CONTEXT_FRAMES = 96   # > the networks' receptive fields, plus the STFT overlap
SCORE_FRAMES = 62     # about 1 s of frames


def windows(frames: int) -> list[tuple[int, int, int, int]]:
    """(context start, window start, window end, context end) in frames, covering ``frames``."""
    out = []
    for start in range(0, max(frames, 1), WINDOW_FRAMES):
        end = min(start + WINDOW_FRAMES, frames)
        out.append((max(0, start - CONTEXT_FRAMES), start, end, min(frames, end + CONTEXT_FRAMES)))
    return out


def presence_score(presence: np.ndarray, frames: int = SCORE_FRAMES) -> float:
    """The best 1 s average of per-frame presence: a whole marked file and a marked 1 s splice both score high."""
    if presence.size == 0:
        return 0.0
    k = min(frames, presence.size)
    sums = np.convolve(presence.astype(np.float64), np.ones(k), mode="valid")
    return float(sums.max() / k)


class NeuralWatermark(Watermarker):
    """AudioSeal-style learned watermark: per-frame presence and a 16-bit message."""

    info = PluginInfo(
        id=MODEL_NAME, name="Neural watermark", version="1.0.0", authors=("synth-host developers",),
        description="Learned inaudible 16-bit watermark with per-frame detection; trained through real edits.",
        tags=("watermark", "neural"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/neural-watermark.safetensors"},
    )
    message_bits = MESSAGE_BITS
    parameters = (
        Parameter("strength", "float", 1.0, 0.25, 4.0, description="Scales the learned residual (1 = as trained)"),
        Parameter("threshold", "float", -1.0, -1.0, 1.0,
                  description="Presence score above which the mark is reported; -1 uses the calibrated value"),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: Any = None
        self.card: dict[str, Any] = {}

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        if self.model is None or self.card.get("_device") != device:
            from .models.watermark_nets import WatermarkPair

            self.card = weights.load_card(MODEL_NAME)
            cfg = self.card["config"]
            self.model = weights.load_model(WatermarkPair(cfg["bands"], cfg["hidden"], cfg["bits"], cfg["max_db"]),
                                            MODEL_NAME, device=device)
            self.card["_device"] = device

    def _ensure(self) -> None:
        if self.model is None:
            self.prepare(self.sample_rate or INTERNAL_RATE, self.channels or 1, self.block_size or 4096)

    @property
    def threshold(self) -> float:
        t = self.params["threshold"]
        return float(self.card.get("threshold", {}).get("value", 0.5)) if t < 0 else float(t)

    def residual_chunk(self, x: np.ndarray, bits: np.ndarray, first_frame: int) -> np.ndarray:
        """The mark for 16 kHz mono ``x`` whose first frame is ``first_frame`` in the stream (the carrier's phase)."""
        import torch

        b = torch.from_numpy(bits[None]).to(self.device)
        with torch.inference_mode():
            chunk = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
            r = self.model.residual(chunk[None], b, frame_offset=first_frame)[0].cpu().numpy()
        return r * np.float32(self.params["strength"])

    def embedder(self, message: str, channels: int | None = None) -> StreamingEmbedder:
        """A streaming embedder for ``message``: bounded memory, same samples as :meth:`embed`."""
        bits = parse_message(message)
        self._ensure()
        return StreamingEmbedder(lambda x, first: self.residual_chunk(x, bits, first), self.sample_rate or INTERNAL_RATE,
                                 channels or self.channels or 1, WINDOW_FRAMES, CONTEXT_FRAMES)

    def embed(self, audio: np.ndarray, message: str) -> np.ndarray:
        audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
        return self.embedder(message, audio.shape[0]).embed_whole(audio)

    def frame_logits(self, audio: np.ndarray) -> np.ndarray:
        """``(1 + bits, frames)`` detector logits at 16 ms frames."""
        import torch

        from .models.watermark_nets import HOP

        self._ensure()
        x = to_internal(np.atleast_2d(np.asarray(audio, dtype=np.float32)), self.sample_rate or INTERNAL_RATE)
        frames = len(x) // HOP + 1
        out = np.zeros((1 + self.message_bits, frames), dtype=np.float32)
        with torch.inference_mode():
            for c0, w0, w1, c1 in windows(frames):
                chunk = torch.from_numpy(np.ascontiguousarray(x[c0 * HOP: c1 * HOP])).to(self.device)
                logits = self.model.detect(chunk[None])[0].cpu().numpy()
                out[:, w0:w1] = logits[:, w0 - c0: w1 - c0]
        return out

    def analyse(self, audio: np.ndarray) -> WatermarkDetection:
        """Score, decoded message and marked segments whether or not the score passes the threshold."""
        from .models.watermark_nets import HOP

        logits = self.frame_logits(audio)
        presence = 1.0 / (1.0 + np.exp(-logits[0]))
        score = presence_score(presence)
        marked = presence > 0.5
        weight = presence * marked if marked.any() else presence
        votes = (logits[1:] * weight[None]).sum(axis=1)
        segments = segments_from_mask(marked, HOP / INTERNAL_RATE, presence, min_frames=8)
        return WatermarkDetection(score > self.threshold, score, format_message(votes > 0), segments)

    def detect(self, audio: np.ndarray) -> WatermarkDetection:
        found = self.analyse(audio)
        return found if found.detected else WatermarkDetection(False, found.score)


@hookimpl
def register_watermarkers(register: Any) -> None:
    register(NeuralWatermark)

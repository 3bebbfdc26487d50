"""Watermarkers as chain steps: ``message=HEX`` embeds (usually the last step), no message detects.

Embedding streams through the plugin's ``embedder`` when it has one, so a long file is marked in bounded
memory with the same samples as a whole-buffer embed. A watermarker without one is run on consecutive fixed
windows. Detection is an analysis step: the audio passes through unchanged, windows are analysed as they fill,
and the windows' findings are joined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from plugin_specs import Segment, WatermarkDetection, Watermarker

from .analysis import AnalysisStage
from .stages import Rebuffer, Stage

FALLBACK_WINDOW_SECONDS = 30.0


@dataclass
class WatermarkStep:
    """A watermarker in a chain, and what it does there."""

    plugin: Watermarker
    message: str | None  # None: detect

    @property
    def info(self) -> Any:
        return self.plugin.info


class EmbedStage(Stage):
    def __init__(self, plugin: Watermarker, message: str, sample_rate: int, channels: int) -> None:
        self.plugin, self.message = plugin, message
        self.name = f"{plugin.info.id} (embed {message})"
        self.window = int(FALLBACK_WINDOW_SECONDS * sample_rate)
        self.channels = channels
        self.reset()

    def reset(self) -> None:
        self.stream = self.plugin.embedder(self.message, self.channels)
        self.rebuffer = Rebuffer(self.window) if self.stream is None else None
        self.drain_samples = self.window if self.stream is None else int(self.stream.latency_bound)

    def push(self, block: np.ndarray) -> np.ndarray:
        if self.stream is not None:
            return self.stream.process(block)
        pieces = [np.asarray(self.plugin.embed(p, self.message), dtype=np.float32) for p in self.rebuffer.feed(block)]
        return np.concatenate(pieces, axis=-1) if pieces else block[:, :0]


def detect_stage(plugin: Watermarker, sample_rate: int, window_seconds: float = 30.0) -> AnalysisStage:
    """Detection as an analysis step: per-window detections joined by :func:`merge_detections`."""
    return AnalysisStage(plugin, sample_rate, window_seconds, run=plugin.detect, merge=merge_detections,
                         label="detect")


def merge_detections(parts: list[tuple[float, float, WatermarkDetection]]) -> WatermarkDetection:
    """Detected if any window is; the best-scoring window's message; every window's segments in file time."""
    if not parts:
        return WatermarkDetection(False, 0.0)
    _, _, best = max(parts, key=lambda part: part[2].score)
    segments: list[Segment] = []
    for offset, _, found in parts:
        if not found.detected:
            continue
        for s in found.segments:
            moved = Segment(round(s.start + offset, 4), round(s.end + offset, 4), s.label, s.confidence)
            if segments and segments[-1].label == moved.label and abs(segments[-1].end - moved.start) < 1e-3:
                last = segments.pop()
                moved = Segment(last.start, moved.end, last.label, (last.confidence + moved.confidence) / 2)
            segments.append(moved)
    detected = any(found.detected for _, _, found in parts)
    return WatermarkDetection(detected, best.score, best.message if detected else None, segments)

"""Analysis steps (classifiers, watermark detectors): audio passes through unchanged while the plugin listens.

The stage classifies fixed windows as they fill, so memory stays bounded on long files, then
joins the windows' results: scores weighted by duration, segments shifted and merged.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from plugin_specs import ClassificationResult, Plugin, Segment

from .stages import Stage


class AnalysisStage(Stage):
    """``run`` analyses each window (a classifier's ``classify`` by default); ``merge`` joins the windows."""

    def __init__(self, plugin: Plugin, sample_rate: int, window_seconds: float = 30.0,
                 run: Callable[[np.ndarray], Any] | None = None,
                 merge: Callable[[list[tuple[float, float, Any]]], Any] | None = None, label: str = "analysis") -> None:
        self.plugin = plugin
        self.run = run or plugin.classify  # type: ignore[attr-defined]
        self.merge = merge or merge_results
        self.name = f"{plugin.info.id} ({label})"
        self.sample_rate = sample_rate
        self.window = int(window_seconds * sample_rate)
        self.reset()

    def reset(self) -> None:
        self.pending: list[np.ndarray] = []
        self.count = 0
        self.seen = 0
        self.parts: list[tuple[float, float, Any]] = []

    def push(self, block: np.ndarray) -> np.ndarray:
        self.pending.append(np.array(block, copy=True))
        self.count += block.shape[-1]
        while self.count >= self.window:
            self._classify(self.window)
        return block

    def _classify(self, frames: int) -> None:
        data = np.concatenate(self.pending, axis=-1)
        piece, rest = data[:, :frames], data[:, frames:]
        self.pending, self.count = ([rest] if rest.shape[-1] else []), rest.shape[-1]
        if piece.shape[-1]:
            offset = self.seen / self.sample_rate
            self.parts.append((offset, piece.shape[-1] / self.sample_rate, self.run(piece)))
            self.seen += piece.shape[-1]

    def finish(self, frames: int) -> None:
        """Classify what is left of the first ``frames`` samples (drain silence is not audio)."""
        left = max(0, frames - self.seen)
        if self.count:
            data = np.concatenate(self.pending, axis=-1)[:, :left]
            self.pending, self.count = [data], data.shape[-1]
            self._classify(data.shape[-1])

    def result(self) -> Any:
        return self.merge(self.parts)


def merge_results(parts: list[tuple[float, float, ClassificationResult]]) -> ClassificationResult:
    total = sum(length for _, length, _ in parts)
    scores: dict[str, float] = {}
    segments: list[Segment] = []
    for offset, length, result in parts:
        for label, value in result.scores.items():
            scores[label] = scores.get(label, 0.0) + value * length / total if total else value
        for s in result.segments:
            moved = Segment(round(s.start + offset, 4), round(s.end + offset, 4), s.label, s.confidence)
            same = [i for i, t in enumerate(segments) if t.label == moved.label and abs(t.end - moved.start) < 1e-3]
            if same:
                t = segments[same[-1]]
                segments[same[-1]] = Segment(t.start, moved.end, t.label, (t.confidence + moved.confidence) / 2)
            else:
                segments.append(moved)
    segments.sort(key=lambda s: (s.start, s.label))
    return ClassificationResult(scores, segments)

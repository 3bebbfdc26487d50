"""Result types that classifiers and watermark detectors return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Note(NamedTuple):
    """One note for a generator: times in seconds, MIDI pitch (fractional allowed), velocity 1..127."""

    start: float
    duration: float
    pitch: float
    velocity: int = 100


@dataclass(frozen=True)
class Segment:
    """A labelled span of time, in seconds from the start of the input."""

    start: float
    end: float
    label: str
    confidence: float


@dataclass
class ClassificationResult:
    """Clip-level scores per label plus a per-frame timeline of segments."""

    scores: dict[str, float]
    segments: list[Segment] = field(default_factory=list)

    @property
    def top_label(self) -> str:
        return max(self.scores, key=self.scores.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        return {"scores": dict(self.scores), "segments": [vars(s) for s in self.segments]}


@dataclass
class WatermarkDetection:
    """Whether a mark is present, how sure, the decoded message and where it is."""

    detected: bool
    score: float
    message: str | None = None
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "detected": self.detected,
            "score": self.score,
            "message": self.message,
            "segments": [vars(s) for s in self.segments],
        }

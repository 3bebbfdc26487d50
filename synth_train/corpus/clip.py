"""One planned clip, and the last step every renderer shares: optional augmentation, limiting, writing, record.

The plan (made in the parent process from the seed) fixes every parameter; renderers in worker processes only
turn a plan into audio, so the corpus does not depend on how work is spread over processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..augment import augment_with_spec
from .audio import limit_peak, write_clip
from .manifest import SAMPLE_RATE


@dataclass
class Clip:
    id: str
    path: str
    source: str
    content: list[str]
    split: str
    licence: str
    params: dict = field(default_factory=dict)
    instrument: str | None = None
    drum: str | None = None
    pitch: int | None = None
    velocity: int | None = None
    augment_seed: int | None = None  # None: left clean (and usable as a mix component)

    def record(self, seconds: float) -> dict:
        """The manifest line for this clip, keys in schema order."""
        return {
            "id": self.id, "path": self.path, "seconds": seconds, "source": self.source, "content": list(self.content),
            "instrument": self.instrument, "drum": self.drum, "pitch": self.pitch, "velocity": self.velocity,
            "licence": self.licence, "params": self.params, "split": self.split,
        }


def finish(clip: Clip, audio: np.ndarray, root: Path) -> dict:
    """Augment if planned (recording the chain), limit the peak, write the FLAC, return the manifest record."""
    x = np.asarray(audio, dtype=np.float32)
    if clip.augment_seed is not None:
        y, spec = augment_with_spec(x[None, :], SAMPLE_RATE, np.random.default_rng(clip.augment_seed))
        x = y[0]
        clip.params["augment"] = {"seed": clip.augment_seed, "chain": spec}
    else:
        clip.params["augment"] = None
    seconds = write_clip(root, clip.path, limit_peak(x))
    return clip.record(seconds)

"""drum-classifier: which of eight drum classes a one-shot is; the judge of drum-gan's recognisability.

The instrument classifier's recipe on corpus drum hits (GM kits from three soundfonts and Hydrogen kits):
1 s windows with the hit placed anywhere in the first 40%, random level, a little noise and the same
augmentations, so the judge hears the class rather than one kit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth_plugins.gm_names import DRUM_CLASSES

from .instrument import InstrumentTask


class DrumTask(InstrumentTask):
    name = "drum-classifier"
    labels = DRUM_CLASSES
    field = "drum"
    crop_seconds = 1.0

    def training_crop(self, audio: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        offset = int(rng.integers(0, int(0.4 * n)))
        out = np.zeros(n, np.float32)
        hit = audio[: n - offset]
        out[offset : offset + len(hit)] = hit
        return out

    def card(self) -> dict[str, Any]:
        return {**super().card(), "input": "mono 22.05 kHz log-mel, 96 bands, 11.6 ms hop; 1 s windows (the training "
                "crop); the plugin scores the window starting at the hit's onset"}

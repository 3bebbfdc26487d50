"""The deterministic local training corpus: speech, music, drums, noise, silence and mixes rendered offline.

`build_corpus` writes FLAC clips plus `manifest.jsonl` (one record per clip) and `corpus.json` (summary and split
policy); `read_manifest` loads the records. See `build.py` for the command line.
"""

from __future__ import annotations

from .manifest import CONTENT_LABELS, DRUM_CLASSES, INSTRUMENT_FAMILIES, SAMPLE_RATE, read_manifest


def __getattr__(name: str):
    # Imported lazily so `python -m synth_train.corpus.build` does not find its own module already loaded.
    if name in ("build_corpus", "BUILDER_VERSION"):
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "BUILDER_VERSION", "CONTENT_LABELS", "DRUM_CLASSES", "INSTRUMENT_FAMILIES", "SAMPLE_RATE", "build_corpus",
    "read_manifest",
]

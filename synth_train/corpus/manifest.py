"""The corpus manifest: label vocabularies, the record schema, and reading/writing `manifest.jsonl`.

Trainers depend on these names and on the schema, so they live in one small module that imports nothing heavy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from synth_plugins.gm_names import DRUM_CLASSES  # one vocabulary for corpus, drum classifier and drum-gan

SAMPLE_RATE = 44100
INSTRUMENT_FAMILIES = ("keys", "organ", "guitar", "bass", "strings", "brass", "reed", "pipe", "synth", "drums", "voice")
CONTENT_LABELS = ("speech", "music", "noise", "silence")
SOURCES = ("espeak-ng", "festival", "fluidsynth", "hydrogen", "synthesised", "mix")
SPLITS = ("train", "val", "test")

RECORD_KEYS = (
    "id", "path", "seconds", "source", "content", "instrument", "drum", "pitch", "velocity", "licence", "params",
    "split",
)


def validate_record(rec: dict) -> None:
    """Raise ValueError naming the field when a record breaks the schema, so a bad builder change fails loudly."""
    if tuple(rec) != RECORD_KEYS:
        raise ValueError(f"record keys {tuple(rec)} != {RECORD_KEYS}")
    if not isinstance(rec["id"], str) or not rec["id"]:
        raise ValueError("id must be a non-empty string")
    if not isinstance(rec["path"], str) or not rec["path"].endswith(".flac") or rec["path"].startswith("/"):
        raise ValueError(f"{rec['id']}: path must be a relative .flac path")
    if not isinstance(rec["seconds"], float) or rec["seconds"] <= 0:
        raise ValueError(f"{rec['id']}: seconds must be a positive float")
    if rec["source"] not in SOURCES:
        raise ValueError(f"{rec['id']}: unknown source {rec['source']!r}")
    content = rec["content"]
    if not content or len(set(content)) != len(content) or any(c not in CONTENT_LABELS for c in content):
        raise ValueError(f"{rec['id']}: bad content labels {content!r}")
    if rec["instrument"] is not None and rec["instrument"] not in INSTRUMENT_FAMILIES:
        raise ValueError(f"{rec['id']}: unknown instrument {rec['instrument']!r}")
    if rec["drum"] is not None and (rec["drum"] not in DRUM_CLASSES or rec["instrument"] != "drums"):
        raise ValueError(f"{rec['id']}: drum {rec['drum']!r} needs a known class and instrument 'drums'")
    for key, lo, hi in (("pitch", 0, 127), ("velocity", 1, 127)):
        value = rec[key]
        if value is not None and (not isinstance(value, int) or not lo <= value <= hi):
            raise ValueError(f"{rec['id']}: {key} must be null or an int in {lo}..{hi}")
    if not isinstance(rec["licence"], str) or not rec["licence"].strip():
        raise ValueError(f"{rec['id']}: licence must be a non-empty string")
    if not isinstance(rec["params"], dict):
        raise ValueError(f"{rec['id']}: params must be an object")
    if rec["split"] not in SPLITS:
        raise ValueError(f"{rec['id']}: unknown split {rec['split']!r}")


def dumps_record(rec: dict) -> str:
    """One manifest line; fixed key order and separators keep the file byte-identical across builds."""
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_manifest(path: Path, records: Iterable[dict]) -> None:
    """Validate and write records sorted by id, one JSON object per line."""
    ordered = sorted(records, key=lambda r: r["id"])
    ids = [r["id"] for r in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate clip ids in manifest")
    for rec in ordered:
        validate_record(rec)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for rec in ordered:
            f.write(dumps_record(rec) + "\n")


def read_manifest(path: Path) -> list[dict]:
    """One dict per clip, in manifest (id) order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]

"""Corpus clips decoded once to mono float32 at a model's rate, cached beside the corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def corpus_manifest(corpus: Path) -> list[dict[str, Any]]:
    """The manifest of a built corpus folder, or a message saying how to build one."""
    from .corpus.manifest import read_manifest

    path = corpus / "manifest.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no corpus here; build one with `synth-host data build --out {corpus}`")
    return read_manifest(path)


class ClipBank:
    """Every clip's samples in one array plus offsets: fast random crops, one file to cache."""

    def __init__(self, corpus: Path, sample_rate: int) -> None:
        self.items = corpus_manifest(corpus)
        self.sample_rate = sample_rate
        cache = corpus / f"cache-{sample_rate}.npy"
        index = corpus / f"cache-{sample_rate}.json"
        ids = [item["id"] for item in self.items]
        if cache.exists() and index.exists() and json.loads(index.read_text())["ids"] == ids:
            self.data = np.load(cache, mmap_mode="r")
            self.offsets = json.loads(index.read_text())["offsets"]
            return
        pieces, offsets, at = [], [], 0
        for item in self.items:
            audio = decode(corpus / item["path"], sample_rate)
            pieces.append(audio)
            offsets.append([at, at + len(audio)])
            at += len(audio)
        self.data = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        self.offsets = offsets
        np.save(cache, self.data)
        index.write_text(json.dumps({"ids": ids, "offsets": offsets}))

    def audio(self, index: int) -> np.ndarray:
        a, b = self.offsets[index]
        return np.asarray(self.data[a:b], dtype=np.float32)

    def where(self, **match: Any) -> list[int]:
        """Indices of clips whose manifest fields equal ``match`` (a callable value is a predicate)."""
        out = []
        for i, item in enumerate(self.items):
            if all(v(item.get(k)) if callable(v) else item.get(k) == v for k, v in match.items()):
                out.append(i)
        return out


def decode(path: Path, sample_rate: int) -> np.ndarray:
    from pedalboard.io import AudioFile

    with AudioFile(str(path)) as f:
        if f.samplerate != sample_rate:
            with f.resampled_to(sample_rate) as r:
                audio = r.read(r.frames)
        else:
            audio = f.read(f.frames)
    return audio.mean(axis=0).astype(np.float32)


def crop(audio: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``length``-sample window; shorter clips are zero-padded at a random position."""
    if len(audio) >= length:
        start = int(rng.integers(0, len(audio) - length + 1))
        return audio[start : start + length]
    out = np.zeros(length, dtype=np.float32)
    start = int(rng.integers(0, length - len(audio) + 1))
    out[start : start + len(audio)] = audio
    return out


def rms_db(audio: np.ndarray) -> float:
    return float(10 * np.log10(max(np.mean(np.asarray(audio, dtype=np.float64) ** 2), 1e-20)))

"""Shared data for the note-playing generators: corpus notes of ten pitched families with their MIDI facts.

Only notes rendered without a corpus augmentation chain are used (a generator should learn the instrument,
not the MP3 codec or the distortion pedal); each example is the note's first 1.49 s at 22.05 kHz, the target
of a decoder that is told the note's f0 and loudness and of an envelope that is told only the MIDI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.gm_names import FAMILIES
from synth_plugins.models.ddsp_nets import HOP, RATE

from ..clips import ClipBank
from .content import corpus_summary

FRAMES = 128
SAMPLES = FRAMES * HOP


def _clean(item: dict[str, Any]) -> bool:
    chain = (item["params"].get("augment") or {}).get("chain") or []
    return all(link["type"] == "gain" for link in chain)


class NoteSet:
    """Arrays for every clean note of one split: audio, pitch, velocity, hold (frames), family, program."""

    def __init__(self, bank: ClipBank, split: str) -> None:
        idx = [i for i in bank.where(split=split, content=["music"])
               if bank.items[i]["path"].startswith("notes/") and bank.items[i]["instrument"] in FAMILIES
               and _clean(bank.items[i])]
        items = [bank.items[i] for i in idx]
        self.audio = np.zeros((len(idx), SAMPLES), np.float32)
        for row, i in enumerate(idx):
            clip = bank.audio(i)[:SAMPLES]
            self.audio[row, : len(clip)] = clip
        self.pitch = np.array([it["pitch"] for it in items], np.int64)
        self.velocity = np.array([it["velocity"] for it in items], np.int64)
        self.hold = np.array([round(it["params"]["hold_s"] * RATE / HOP) for it in items], np.int64)
        self.family = np.array([FAMILIES.index(it["instrument"]) for it in items], np.int64)
        self.program = np.array([it["params"]["program"] + 1 for it in items], np.int64)
        self.soundfonts = sorted({it["params"]["soundfont"] for it in items})
        self.licences = sorted({it["licence"] for it in items})

    def __len__(self) -> int:
        return len(self.pitch)

    def take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        return {"audio": self.audio[rows], "pitch": self.pitch[rows], "velocity": self.velocity[rows],
                "hold": self.hold[rows], "family": self.family[rows], "program": self.program[rows]}

    def stratified(self, per_family: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        rows = [rng.permutation(np.nonzero(self.family == f)[0])[:per_family] for f in range(len(FAMILIES))]
        return np.concatenate(rows)


def to_torch(batch: dict[str, np.ndarray], device: str) -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(np.ascontiguousarray(v)).to(device) for k, v in batch.items()}


class NoteSynthData:
    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        bank = ClipBank(corpus, RATE)
        self.sets = {split: NoteSet(bank, split) for split in ("train", "val", "test")}
        self.summary = corpus_summary(corpus, bank)

    def train_batch(self, rng: np.random.Generator, batch_size: int) -> dict[str, np.ndarray]:
        notes = self.sets["train"]
        batch = notes.take(rng.integers(0, len(notes), batch_size))
        gain = 10 ** (rng.uniform(-6, 6, (batch_size, 1)) / 20)  # the decoder must follow the loudness it is given
        batch["gained"] = (batch["audio"] * gain).astype(np.float32)
        return batch

    def data_card(self) -> dict[str, Any]:
        train = self.sets["train"]
        return {"corpus": self.summary, "notes": len(train), "seconds_each": round(SAMPLES / RATE, 3),
                "soundfonts": train.soundfonts, "licences": train.licences,
                "selection": "train-split corpus notes of the ten pitched families rendered without an "
                             "augmentation chain; random level +-6 dB on the decoder path"}


ENSEMBLE_LR = 20.0  # times the base rate: the chorus mix is one small linear layer that starts far off
TEXTURE_WEIGHT = 1.0


def optimizer_with_ensemble(model: Any, lr: float) -> Any:
    """AdamW (no decay) with the chorus mix, if the model has one, on its own faster rate."""
    import torch

    rest = [p for name, p in model.named_parameters() if not name.startswith("ensemble.")]
    groups = [{"params": rest, "lr": lr}]
    if model.ensemble is not None:
        groups.append({"params": list(model.ensemble.parameters()), "lr": ENSEMBLE_LR * lr})
    return torch.optim.AdamW(groups, lr=lr, weight_decay=0.0)


def ensemble_texture(model: Any, audio: Any, timbre: Any, target: Any) -> Any:
    """The chorus mix's loss, on detached decoder output and timbre: only the mix learns from it. The MR-STFT
    loss punishes any beating whose phase differs from the recording's, so it would always turn the chorus
    off; the flicker of log-mel bands is blind to that phase."""
    from ..spectral import texture_distance

    if model.ensemble is None:
        return audio.new_zeros(())
    return texture_distance(model.ensemble(audio.detach(), timbre.detach()), target)

"""instrument-classifier: instrument family of a note, a phrase or a stem.

Trained on corpus notes and single-instrument phrases from three GM soundfonts, drum hits from GM
kits and Hydrogen kits, and voices; crops are placed at random, levelled at random, mixed with a
little noise and lightly augmented, so the model hears families rather than one soundfont.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.classifiers import INSTRUMENT_LABELS

from ..augment import mild_augment, spec_augment, timbre_augment
from ..clips import ClipBank, crop, rms_db
from ..metrics import accuracy, confusion_matrix, macro_f1
from .content import corpus_summary

CONFIG = {"sample_rate": 22050, "n_fft": 1024, "hop": 256, "n_mels": 96, "widths": [24, 48, 96, 128]}
CROP_SECONDS = 2.0


class InstrumentTask:
    name = "instrument-classifier"
    labels: tuple[str, ...] = INSTRUMENT_LABELS
    field = "instrument"  # the manifest field holding the label
    crop_seconds = CROP_SECONDS

    def __init__(self, corpus: Path, augment: float = 0.5, timbre: float = 0.5) -> None:
        self.corpus = corpus
        self.timbre = timbre
        self.bank = ClipBank(corpus, CONFIG["sample_rate"])
        self.augment = augment
        self.by_split = {
            split: {label: self.bank.where(split=split, **{self.field: label}) for label in self.labels}
            for split in ("train", "val", "test")
        }
        noise = self.bank.where(split="train", content=["noise"])
        self.noise = noise
        from synth_plugins.features import LogMel

        self.front = LogMel(CONFIG["sample_rate"], CONFIG["n_fft"], CONFIG["hop"], CONFIG["n_mels"])
        self._val: tuple[np.ndarray, np.ndarray] | None = None

    def build_model(self) -> Any:
        from synth_plugins.models.classifier_nets import ClipClassifier

        return ClipClassifier(CONFIG["n_mels"], len(self.labels), tuple(CONFIG["widths"]))

    def example(self, index: int, rng: np.random.Generator | None, augment: bool) -> np.ndarray:
        rate = CONFIG["sample_rate"]
        audio = self.bank.audio(index)
        n = int(self.crop_seconds * rate)
        if rng is None:  # evaluation: a fixed crop from the start, where the note's attack is
            x = np.zeros(n, dtype=np.float32)
            x[: min(n, len(audio))] = audio[:n]
            return x
        x = self.training_crop(audio, n, rng)
        if np.any(x):
            x = x * np.float32(10 ** ((float(rng.uniform(-35, -8)) - rms_db(x)) / 20))
        if self.noise and rng.random() < 0.3:
            bed = crop(self.bank.audio(int(rng.choice(self.noise))), n, rng)
            if np.any(bed):
                x = x + bed * np.float32(10 ** ((rms_db(x) - float(rng.uniform(15, 40)) - rms_db(bed)) / 20))
        if augment:
            x = mild_augment(x, rate, rng)
        if rng.random() < self.timbre:
            x = timbre_augment(x, rate, rng)
        return x.astype(np.float32)

    def training_crop(self, audio: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return crop(audio, n, rng)

    def train_batch(self, rng: np.random.Generator, batch_size: int) -> Any:
        labels = [k for k, label in enumerate(self.labels) if self.by_split["train"][label]]
        chosen = rng.choice(labels, size=batch_size)  # balanced over families
        audio = [self.example(int(rng.choice(self.by_split["train"][self.labels[k]])), rng,
                              rng.random() < self.augment) for k in chosen]
        return np.stack(audio), chosen.astype(np.int64)

    def loss(self, model: Any, batch: Any, device: str) -> Any:
        import torch

        audio, labels = torch.from_numpy(batch[0]).to(device), torch.from_numpy(batch[1]).to(device)
        return torch.nn.functional.cross_entropy(model(spec_augment(self.front(audio))), labels, label_smoothing=0.05)

    def examples(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for k, label in enumerate(self.labels):
            for index in self.by_split[split][label]:
                xs.append(self.example(index, None, False))
                ys.append(k)
        return np.stack(xs), np.asarray(ys)

    def evaluate(self, model: Any, device: str, data: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
        import torch

        audio, truth = data
        guesses = []
        with torch.inference_mode():
            for i in range(0, len(audio), 64):
                x = torch.from_numpy(audio[i : i + 64]).to(device)
                guesses.append(model(self.front(x)).argmax(dim=-1).cpu().numpy())
        return family_metrics(truth, np.concatenate(guesses), self.labels)

    def validate(self, model: Any, device: str) -> dict[str, Any]:
        if self._val is None:
            self._val = self.examples("val")
        return self.evaluate(model, device, self._val)

    def card(self) -> dict[str, Any]:
        return {"config": CONFIG, "labels": list(self.labels), "task": "clip single-label",
                "data": corpus_summary(self.corpus, self.bank),
                "input": "mono 22.05 kHz log-mel, 96 bands, 11.6 ms hop; 2 s windows (the training crop), a shorter "
                         "input scored at 9 evenly spread positions in the window and averaged"}


def family_metrics(truth: np.ndarray, guess: np.ndarray,
                   labels: tuple[str, ...] = INSTRUMENT_LABELS) -> dict[str, Any]:
    """Accuracy (also the validation score), macro F1, per-class accuracy and confusion of class indices."""
    n = len(labels)
    acc = accuracy(truth, guess)
    per_class = {label: accuracy(truth[truth == k], guess[truth == k]) for k, label in enumerate(labels)
                 if np.any(truth == k)}
    return {"score": acc, "accuracy": acc, "macro_f1": macro_f1(truth, guess, n), "per_class_accuracy": per_class,
            "confusion": confusion_matrix(truth, guess, n), "examples": int(len(truth))}

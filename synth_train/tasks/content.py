"""content-classifier: 10 ms frames tagged speech / music / noise / silence (multi-label).

Training material is synthetic scenes: corpus clips of every kind cut and concatenated at random
levels, with speech laid over music or noise at random SNRs, then lightly augmented. Frame labels
come from the scene's construction, so they are exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.classifiers import CONTENT_LABELS

from ..augment import mild_augment
from ..clips import ClipBank, crop, rms_db
from ..metrics import confusion_matrix, f1_binary

CONFIG = {"sample_rate": 16000, "n_fft": 512, "hop": 160, "n_mels": 64, "channels": 112,
          "dilations": [1, 2, 4, 8, 16, 32, 1, 2]}
SCENE_SECONDS = 6.0
KINDS = ("speech", "music", "noise", "silence", "speech+music", "speech+noise")


class ContentTask:
    name = "content-classifier"

    def __init__(self, corpus: Path, augment: float = 0.5) -> None:
        self.corpus = corpus
        self.bank = ClipBank(corpus, CONFIG["sample_rate"])
        self.augment = augment
        self.pools = {split: self._pools(split) for split in ("train", "val", "test")}
        from synth_plugins.features import LogMel

        self.front = LogMel(CONFIG["sample_rate"], CONFIG["n_fft"], CONFIG["hop"], CONFIG["n_mels"])
        self._val_cache: list[tuple[np.ndarray, np.ndarray]] | None = None

    def _pools(self, split: str) -> dict[str, list[int]]:
        """Clean single-label pools; music means phrases and stems, not isolated notes or hits,
        which are mostly silence and would teach the model that quiet is music."""
        def one(label: str, **extra: object) -> list[int]:
            return self.bank.where(split=split, content=[label], **extra)

        long_music = lambda path: path.startswith(("phrases/", "stems/"))  # noqa: E731
        return {"speech": one("speech"), "music": one("music", path=long_music), "noise": one("noise"),
                "silence": one("silence")}

    def build_model(self) -> Any:
        from synth_plugins.models.classifier_nets import FrameTagger

        return FrameTagger(CONFIG["n_mels"], CONFIG["channels"], len(CONTENT_LABELS), tuple(CONFIG["dilations"]))

    # -- scenes --------------------------------------------------------------------

    def _segment(self, kind: str, length: int, pool: dict[str, list[int]], rng: np.random.Generator) -> np.ndarray:
        def take(label: str) -> np.ndarray:
            """``length`` samples of one kind, joining clips rather than padding with silence."""
            parts, have = [], 0
            while have < length:
                clip = self.bank.audio(int(rng.choice(pool[label])))
                start = int(rng.integers(0, max(1, len(clip) - (length - have))))
                piece = clip[start : start + length - have]
                parts.append(piece)
                have += len(piece)
            return np.concatenate(parts)[:length]

        def at_level(x: np.ndarray, db: float) -> np.ndarray:
            return x * np.float32(10 ** ((db - rms_db(x)) / 20)) if np.any(x) else x

        if kind == "silence":
            return take("silence")
        if kind in ("speech", "music", "noise"):
            return at_level(take(kind), float(rng.uniform(-40, -12)) if kind == "noise" else float(rng.uniform(-32, -10)))
        speech, bed = take("speech"), take(kind.split("+")[1])
        speech = at_level(speech, float(rng.uniform(-30, -12)))
        return speech + at_level(bed, rms_db(speech) - float(rng.uniform(-5, 10)))  # both clearly audible

    def scene(self, rng: np.random.Generator, split: str, augment: bool) -> tuple[np.ndarray, np.ndarray]:
        """Audio and ``(labels, frames)`` targets for one scene."""
        rate, hop = CONFIG["sample_rate"], CONFIG["hop"]
        n = int(SCENE_SECONDS * rate)
        audio = np.zeros(n, dtype=np.float32)
        labels = np.zeros((len(CONTENT_LABELS), n // hop + 1), dtype=np.float32)
        at = 0
        while at < n:
            length = min(n - at, int(rng.uniform(0.4, 3.0) * rate))
            kind = KINDS[int(rng.integers(len(KINDS)))]
            audio[at : at + length] = self._segment(kind, length, self.pools[split], rng)
            for label in kind.split("+"):
                labels[CONTENT_LABELS.index(label), at // hop : (at + length) // hop + 1] = 1.0
            at += length
        silent = labels[:3].sum(axis=0) == 0  # frames with nothing else are silence
        labels[3] = silent.astype(np.float32)
        if augment:
            audio = mild_augment(audio, rate, rng)
        return audio, labels

    def train_batch(self, rng: np.random.Generator, batch_size: int) -> Any:
        scenes = [self.scene(rng, "train", rng.random() < self.augment) for _ in range(batch_size)]
        return np.stack([s[0] for s in scenes]), np.stack([s[1] for s in scenes])

    def loss(self, model: Any, batch: Any, device: str) -> Any:
        import torch

        audio, labels = (torch.from_numpy(b).to(device) for b in batch)
        logits = model(self.front(audio))
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels[..., : logits.shape[-1]])

    # -- evaluation ----------------------------------------------------------------

    def predict(self, model: Any, audio: np.ndarray, device: str) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(audio).to(device)
            return torch.sigmoid(model(self.front(x))).cpu().numpy()

    def scenes(self, split: str, count: int, seed: int, augment: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        return [self.scene(rng, split, augment) for _ in range(count)]

    def evaluate(self, model: Any, device: str, scenes: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
        audio = np.stack([s[0] for s in scenes])
        truth = np.stack([s[1] for s in scenes])
        probs = np.concatenate([self.predict(model, audio[i : i + 16], device) for i in range(0, len(audio), 16)])
        truth = truth[..., : probs.shape[-1]] > 0.5
        guess = probs >= 0.5
        exact = float(np.mean(np.all(truth == guess, axis=1)))
        per_label = {label: f1_binary(truth[:, i].ravel(), guess[:, i].ravel())["f1"]
                     for i, label in enumerate(CONTENT_LABELS)}
        primary = lambda m: np.where(m[:, 0], 0, np.argmax(m[:, 1:] * 1.0, axis=1) + 1)  # noqa: E731
        t_primary = primary(truth.transpose(0, 2, 1).reshape(-1, 4))
        g_primary = primary(guess.transpose(0, 2, 1).reshape(-1, 4))
        primary_accuracy = float(np.mean(t_primary == g_primary))
        return {"score": exact, "frame_accuracy": exact, "primary_frame_accuracy": primary_accuracy,
                "label_accuracy": float(np.mean(truth == guess)),
                "speech_f1": per_label["speech"], "f1": per_label,
                "confusion_primary": confusion_matrix(t_primary, g_primary, 4),
                "frames": int(truth.shape[0] * truth.shape[2])}

    def validate(self, model: Any, device: str) -> dict[str, Any]:
        if self._val_cache is None:
            self._val_cache = self.scenes("val", 48, seed=1234)
        return self.evaluate(model, device, self._val_cache)

    def card(self) -> dict[str, Any]:
        return {"config": CONFIG, "labels": list(CONTENT_LABELS), "task": "frame multi-label",
                "data": corpus_summary(self.corpus, self.bank),
                "input": "mono 16 kHz log-mel, 64 bands, 10 ms hop; any input rate is resampled"}


def corpus_summary(corpus: Path, bank: ClipBank) -> dict[str, Any]:
    import json

    info = json.loads((corpus / "corpus.json").read_text()) if (corpus / "corpus.json").exists() else {}
    licences = sorted({item.get("licence", "") for item in bank.items})
    splits = {s: sum(1 for i in bank.items if i.get("split") == s) for s in ("train", "val", "test")}
    return {"corpus": {k: info.get(k) for k in ("preset", "seed", "version", "builder_version") if k in info},
            "clips": len(bank.items), "splits": splits, "licences": licences}

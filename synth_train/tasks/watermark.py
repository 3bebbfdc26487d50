"""neural-watermark: generator and detector trained together through a layer of real-world edits.

Each example is 2 s of corpus speech, music or ambience at a random level. It is marked fully, not at all, or
in one random span (a splice), with a random 16-bit message. One random edit hits the batch, then the detector
must say which frames are marked and read the bits. A hinge on the residual's SNR keeps the mark inaudible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..clips import ClipBank, crop, rms_db
from .watermark_augment import random_edit

CONFIG = {"sample_rate": 16000, "bands": 32, "hidden": 96, "bits": 16, "max_db": 2.0, "target_snr_db": 34.0,
          "segment_seconds": 2.0, "start_snr_db": 16.0, "curriculum_steps": 6000, "unedited_fraction": 0.3}
VAL_EDITS = ("none", "mp3", "lowpass", "highpass", "speed", "white", "echo", "crop")


class WatermarkTask:
    name = "neural-watermark"

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.bank = ClipBank(corpus, CONFIG["sample_rate"])
        self.pools = {split: self.bank.where(split=split, content=lambda c: bool(c) and "silence" not in c)
                      for split in ("train", "val", "test")}
        self._val: list[tuple[Any, ...]] | None = None
        self.calls = 0  # training steps seen by this task object: drives the SNR curriculum

    def target_snr(self) -> float:
        """Marks start loud, so the detector has something to find, and fade to the inaudible target."""
        done = min(1.0, self.calls / CONFIG["curriculum_steps"])
        return CONFIG["start_snr_db"] + done * (CONFIG["target_snr_db"] - CONFIG["start_snr_db"])

    def build_model(self) -> Any:
        from synth_plugins.models.watermark_nets import WatermarkPair

        return WatermarkPair(CONFIG["bands"], CONFIG["hidden"], CONFIG["bits"], CONFIG["max_db"])

    def segment(self, split: str, rng: np.random.Generator) -> np.ndarray:
        n = int(CONFIG["segment_seconds"] * CONFIG["sample_rate"])
        for _ in range(20):
            x = crop(self.bank.audio(int(rng.choice(self.pools[split]))), n, rng)
            if rms_db(x) > -55:
                return (x * np.float32(10 ** ((float(rng.uniform(-32, -10)) - rms_db(x)) / 20))).astype(np.float32)
        return x.astype(np.float32)

    def train_batch(self, rng: np.random.Generator, batch_size: int, split: str = "train") -> Any:
        audio = np.stack([self.segment(split, rng) for _ in range(batch_size)])
        bits = rng.integers(0, 2, size=(batch_size, CONFIG["bits"]))
        n = audio.shape[1]
        mask = np.zeros((batch_size, n), dtype=np.float32)
        for i in range(batch_size):
            mode = rng.random()
            if mode < 0.5:
                mask[i] = 1.0
            elif mode < 0.8:
                width = int(rng.uniform(0.2, 0.7) * n)
                start = int(rng.integers(0, n - width + 1))
                mask[i, start:start + width] = 1.0
        return audio, bits, mask, int(rng.integers(1 << 31))

    @staticmethod
    def frame_labels(mask: Any, frames: int) -> Any:
        from synth_plugins.models.watermark_nets import HOP

        idx = (np.arange(frames) * HOP).clip(max=mask.shape[-1] - 1)
        return mask[:, idx]

    def forward(self, model: Any, batch: Any, device: str, edit: str | None = None) -> dict[str, Any]:
        import torch

        audio, bits, mask, seed = batch
        x = torch.from_numpy(audio).to(device)
        b = torch.from_numpy(bits).to(device)
        m = torch.from_numpy(mask).to(device)
        residual = model.residual(x, b) * m
        y = x + residual
        rng = np.random.default_rng(seed)
        if edit is None and rng.random() < CONFIG["unedited_fraction"]:
            edit = "none"
        y, m2, name = random_edit(y, m, rng, edit)
        logits = model.detect(y)
        labels = self.frame_labels(m2, logits.shape[-1])
        snr = 10 * torch.log10(x.pow(2).sum(-1) / (residual.pow(2).sum(-1) + 1e-12) + 1e-12)
        return {"logits": logits, "labels": labels, "bits": b, "snr": snr, "marked": m.amax(dim=-1) > 0,
                "edit": name}

    def loss(self, model: Any, batch: Any, device: str) -> Any:
        import torch
        import torch.nn.functional as F

        self.calls += 1
        out = self.forward(model, batch, device)
        logits, labels = out["logits"], out["labels"]
        det = F.binary_cross_entropy_with_logits(logits[:, 0], labels)
        target = out["bits"][:, :, None].float().expand(-1, -1, logits.shape[-1])
        per = F.binary_cross_entropy_with_logits(logits[:, 1:], target, reduction="none").mean(dim=1)
        bit_loss = (per * labels).sum() / labels.sum().clamp(min=1.0)
        snr = out["snr"][out["marked"]]
        snr_target = self.target_snr()
        if not snr.numel():
            return det + bit_loss
        quiet = torch.relu(snr_target - snr).mean() / 10.0  # too loud: audible
        faint = torch.relu(snr - snr_target - 3.0).mean() / 10.0  # far below the budget: wasted robustness
        return det + bit_loss + 2.0 * quiet + 0.5 * faint

    def validate(self, model: Any, device: str) -> dict[str, Any]:
        if self._val is None:
            rng = np.random.default_rng(1234)
            self._val = [self.train_batch(rng, 16, split="val") for _ in range(4)]
        return self.evaluate(model, device, self._val)

    def evaluate(self, model: Any, device: str, batches: list[Any]) -> dict[str, Any]:
        import torch

        per_edit: dict[str, dict[str, float]] = {}
        snrs = []
        with torch.inference_mode():
            for edit in VAL_EDITS:
                frame_acc, bit_acc = [], []
                for batch in batches:
                    out = self.forward(model, batch, device, edit)
                    logits, labels = out["logits"], out["labels"]
                    frame_acc.append(((logits[:, 0] > 0).float() == labels).float().mean().item())
                    weight = labels[:, None, :]
                    votes = (logits[:, 1:] * weight).sum(-1)
                    full = labels.mean(-1) > 0.5
                    if full.any():
                        bit_acc.append(((votes[full] > 0).long() == out["bits"][full]).float().mean().item())
                    if edit == "none":
                        snrs.append(out["snr"][out["marked"]].cpu().numpy())
                per_edit[edit] = {"frame_accuracy": float(np.mean(frame_acc)), "bit_accuracy": float(np.mean(bit_acc))}
        snr = float(np.mean(np.concatenate(snrs)))
        quality = np.mean([(v["frame_accuracy"] + v["bit_accuracy"]) / 2 for v in per_edit.values()])
        score = float(quality - max(0.0, CONFIG["target_snr_db"] - snr) / 10.0)
        return {"score": score, "mean_frame_accuracy": float(np.mean([v["frame_accuracy"] for v in per_edit.values()])),
                "mean_bit_accuracy": float(np.mean([v["bit_accuracy"] for v in per_edit.values()])),
                "snr_db": snr, "per_edit": per_edit}

    def card(self) -> dict[str, Any]:
        from .content import corpus_summary

        return {"config": CONFIG, "task": "watermark generator + detector",
                "data": corpus_summary(self.corpus, self.bank),
                "edits": "bandpass, highpass, lowpass, gain with clipping, polarity, white/pink noise 12-30 dB SNR, "
                         "echo, synthetic reverb, speed 0.78-1.28, band limit, MP3 VBR 4-10, compressor, pitch "
                         "shift ±1.5 st, crop; splices of 20-70% marked audio"}


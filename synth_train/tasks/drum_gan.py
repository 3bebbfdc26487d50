"""drum-gan: adversarial training on corpus drum hits, one simultaneous generator/discriminator step per batch.

Real hits (GM kits from three soundfonts, Hydrogen kits) are cut to their first 0.51 s at 16 kHz, peak-
normalised and augmented on the fly: re-pitched by up to +-3 semitones, tilted brighter or darker, faded.
Losses: hinge adversarial loss from a waveform and a log-mel discriminator, discriminator feature matching,
and an auxiliary class loss. An optional spectral-balance loss (``extra: {"spectral_balance": w}``) pulls
each class's average log-mel balance of generated hits toward that of its real training hits: adversarial
training alone left hats and cymbals about an octave duller than real ones. An optional diversity loss
(``"diversity": w``) asks two latents of one class for hits at least as far apart in log-mel as two real
hits of that class are (per unit of latent distance): the first run's hits varied ten times less than real
ones. ``"frozen_norm": true`` runs the generator's batch norms on their running statistics, as inference
does, for fine-tuning; ``"aux_class": w`` sets how hard the generator is pushed to be named right by the
critics' class heads (1.0 by default); ``"profile": w`` pulls each class's mean log-mel spectrogram (time
and frequency) toward its real hits'; ``"critics_only": true`` trains the critics alone against a fixed
generator, to warm fresh critics before fine-tuning shipped weights (which hold only the generator).
Validation scores the pooled and the per-class Frechet distance between log-mel statistics of generated and
val-split real hits (a fixed feature, so the drum classifier that judges the final model stays unseen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.gm_names import DRUM_CLASSES

from ..clips import ClipBank
from .content import corpus_summary

CONFIG = {"width": 128, "kernel": 9, "disc_width": 24}
FEATURE_MATCHING = 2.0
AUX_CLASS = 1.0
SPECTRAL_BALANCE = 0.0  # the first 9000 steps ran without it; the shipped recipe adds it (see the card)
PROFILE = 0.0
DIVERSITY = 0.0
LATENT_L1 = 2 / np.sqrt(np.pi)  # mean |z - z'| of two independent unit normals


def hits(bank: ClipBank, split: str, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Peak-normalised first ``samples`` of every drum hit of a split, and their class indices."""
    rows, labels = [], []
    for label, name in enumerate(DRUM_CLASSES):
        for i in bank.where(split=split, drum=name):
            x = np.zeros(samples, np.float32)
            clip = bank.audio(i)[:samples]
            x[: len(clip)] = clip
            peak = float(np.abs(x).max())
            if peak > 1e-4:
                rows.append(x * (0.9 / peak))
                labels.append(label)
    return np.stack(rows), np.asarray(labels, np.int64)


def augment_hit(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(x)
    ratio = 2 ** (float(rng.uniform(-3, 3)) / 12)  # re-pitch by resampling: higher is also shorter
    y = np.interp(np.arange(n) * ratio, np.arange(n), x, right=0.0).astype(np.float32)
    a = float(rng.uniform(-0.6, 0.6))  # first-order tilt
    y[1:] = y[1:] + a * y[:-1]
    if rng.random() < 0.3:  # an earlier fade, as a gated or choked hit
        start = int(rng.uniform(0.3, 0.9) * n)
        y[start:] *= np.linspace(1.0, 0.0, n - start, dtype=np.float32)
    if rng.random() < 0.5:
        y = -y
    peak = float(np.abs(y).max())
    return (y * (0.9 / max(peak, 1e-6))).astype(np.float32)


def mel_power(audio: Any) -> Any:
    """(hits, 40, frames) mel-band power (512-point STFT, hop 128, 20 Hz - 8 kHz), the one view all three
    measures below take of a hit."""
    import torch

    from synth_plugins.models.ddsp_nets import mel_filters
    from synth_plugins.models.drum_gan_nets import RATE

    x = torch.as_tensor(audio)
    spec = torch.stft(x, 512, 128, window=torch.hann_window(512, device=x.device), return_complex=True).abs().square()
    return mel_filters(40, 512, RATE, 20.0).to(x.device) @ spec


def balance(audio: Any) -> Any:
    """Each hit's level-free spectral balance: log share of its energy in each of 40 mel bands."""
    import torch

    bands = mel_power(audio).mean(-1) + 1e-9
    return torch.log(bands / bands.sum(-1, keepdim=True))


def logmel(audio: Any) -> Any:
    """(hits, 40, frames) log-mel spectrogram, the space the diversity loss measures distance in."""
    import torch

    return torch.log(mel_power(audio) + 1e-5)


def class_frechet(fake: np.ndarray, fake_labels: np.ndarray, real: np.ndarray, real_labels: np.ndarray) -> float:
    """Mean over classes of the Frechet distance between diagonal Gaussians of each class's embeddings: a
    generator whose toms turned into kicks can keep the pooled distance low, but not this one."""
    out = []
    for c in np.unique(real_labels):
        a, b = fake[fake_labels == c], real[real_labels == c]
        out.append(float(((a.mean(0) - b.mean(0)) ** 2).sum() + ((a.std(0) - b.std(0)) ** 2).sum()))
    return float(np.mean(out))


def logmel_stats(audio: Any) -> Any:
    """Per-hit embedding for the Frechet score: mean and std of a 40-band log-mel over time."""
    import torch

    mel = logmel(audio)
    return torch.cat([mel.mean(-1), mel.std(-1)], dim=-1).numpy().astype(np.float64)


class DrumGANTask:
    name = "drum-gan"

    def __init__(self, corpus: Path) -> None:
        from synth_plugins.models.drum_gan_nets import RATE, SAMPLES

        self.corpus = corpus
        self.bank = ClipBank(corpus, RATE)
        self.real = {split: hits(self.bank, split, SAMPLES) for split in ("train", "val", "test")}
        self._val_embed: np.ndarray | None = None
        self.spectral_balance, self.diversity, self.frozen_norm = SPECTRAL_BALANCE, DIVERSITY, False
        self.aux_class, self.profile, self.critics_only = AUX_CLASS, PROFILE, False
        self._targets: Any = None
        self._profiles: Any = None
        self._spread: float | None = None

    def configure(self, extra: dict[str, Any]) -> None:
        known = {"spectral_balance", "profile", "diversity", "frozen_norm", "aux_class", "critics_only"}
        if set(extra) - known:
            raise ValueError(f"drum-gan: unknown extra settings {sorted(set(extra) - known)} (known: {sorted(known)})")
        self.spectral_balance = float(extra.get("spectral_balance", SPECTRAL_BALANCE))
        self.profile = float(extra.get("profile", PROFILE))
        self.diversity = float(extra.get("diversity", DIVERSITY))
        self.frozen_norm = bool(extra.get("frozen_norm", False))
        self.aux_class = float(extra.get("aux_class", AUX_CLASS))  # the generator's weight on being named right
        # train the critics alone against a fixed generator: shipped weights hold no critics, so a fine-tune
        # from them first needs critics that already know real hits from that generator's
        self.critics_only = bool(extra.get("critics_only", False))

    def real_spread(self) -> float:
        """Mean log-mel L1 distance between two real training hits of one class, per unit of latent distance."""
        import torch

        if self._spread is None:
            audio, labels = self.real["train"]
            rng = np.random.default_rng(0)
            gaps = []
            for c in range(len(DRUM_CLASSES)):
                rows = np.nonzero(labels == c)[0]
                a, b = rng.choice(rows, 64), rng.choice(rows, 64)
                with torch.no_grad():
                    gaps.append(float((logmel(torch.from_numpy(audio[a])) - logmel(torch.from_numpy(audio[b])))
                                      .abs().mean()))
            self._spread = float(np.mean(gaps)) / LATENT_L1
        return self._spread

    def balance_targets(self, device: str) -> Any:
        """Per class, the mean spectral balance of its real training hits (un-augmented): (classes, 40)."""
        if self._targets is None:
            self._targets = self._class_means(balance)
        return self._targets.to(device)

    def profile_targets(self, device: str) -> Any:
        """Per class, the mean log-mel spectrogram of its real training hits (un-augmented): (classes, 40, frames)."""
        if self._profiles is None:
            self._profiles = self._class_means(logmel)
        return self._profiles.to(device)

    def _class_means(self, feature: Any) -> Any:
        """``feature`` of every real training hit, averaged per class."""
        import torch

        audio, labels = self.real["train"]
        with torch.no_grad():
            values = torch.cat([feature(torch.from_numpy(audio[i : i + 256])) for i in range(0, len(audio), 256)])
        return torch.stack([values[torch.from_numpy(labels == c)].mean(0) for c in range(len(DRUM_CLASSES))])

    def build_model(self) -> Any:
        from synth_plugins.models.drum_gan_nets import DrumGAN

        return DrumGAN(len(DRUM_CLASSES), CONFIG["width"], CONFIG["kernel"], CONFIG["disc_width"])

    def exported(self, model: Any) -> Any:
        """Only the generator ships; the discriminators stay in the run folder."""
        return model.generator

    def optimizer(self, model: Any, lr: float) -> Any:
        import torch

        return torch.optim.Adam([{"params": model.generator.parameters(), "lr": lr},
                                 {"params": [*model.wave.parameters(), *model.spectral.parameters()], "lr": 2 * lr}],
                                betas=(0.5, 0.9))

    def train_batch(self, rng: np.random.Generator, batch_size: int) -> Any:
        from synth_plugins.models.drum_gan_nets import LATENT

        audio, labels = self.real["train"]
        classes = rng.integers(0, len(DRUM_CLASSES), batch_size)  # balanced over classes
        rows = [int(rng.choice(np.nonzero(labels == c)[0])) for c in classes]
        real = np.stack([augment_hit(audio[r], rng) for r in rows])
        z = rng.standard_normal((batch_size, LATENT)).astype(np.float32)
        noise = rng.standard_normal((batch_size, len(audio[0]))).astype(np.float32)
        return real, classes.astype(np.int64), z, noise

    def loss(self, model: Any, batch: Any, device: str) -> Any:
        import torch
        import torch.nn.functional as F
        from torch.func import functional_call

        real, labels, z, noise = (torch.from_numpy(b).to(device) for b in batch)
        if self.frozen_norm:
            for m in model.generator.modules():
                if isinstance(m, torch.nn.BatchNorm1d):
                    m.eval()
        with torch.set_grad_enabled(not self.critics_only):
            fake = model.generator(z, labels, noise)
        total = real.new_zeros(())
        for disc in (model.wave, model.spectral):
            # discriminator: hinge on real vs a detached fake, and learn to name the class of real hits
            score_real, logits_real, feats_real = disc(real, labels)
            score_fake, _, _ = disc(fake.detach(), labels)
            total = total + F.relu(1 - score_real).mean() + F.relu(1 + score_fake).mean()
            total = total + AUX_CLASS * F.cross_entropy(logits_real, labels)
            if self.critics_only:
                continue
            # generator: through a frozen copy of the discriminator's weights
            frozen = {k: v.detach() for k, v in disc.named_parameters()}
            score_g, logits_g, feats_g = functional_call(disc, frozen, (fake, labels))
            matching = sum((fg - fr.detach()).abs().mean() for fg, fr in zip(feats_g, feats_real)) / len(feats_g)
            total = total - score_g.mean() + FEATURE_MATCHING * matching + self.aux_class * F.cross_entropy(logits_g, labels)
        if self.critics_only:
            return total
        if self.spectral_balance:
            targets, prof = self.balance_targets(device), balance(fake)
            present = labels.unique()
            gap = torch.stack([(prof[labels == c].mean(0) - targets[c]).abs().mean() for c in present])
            total = total + self.spectral_balance * gap.mean()
        if self.profile:
            targets, mel = self.profile_targets(device), logmel(fake)
            gap = torch.stack([(mel[labels == c].mean(0) - targets[c]).abs().mean() for c in labels.unique()])
            total = total + self.profile * gap.mean()
        if self.diversity:
            z2 = torch.randn(z.shape, device=device)
            fake2 = model.generator(z2, labels, torch.randn(noise.shape, device=device))
            ratio = (logmel(fake) - logmel(fake2)).abs().mean(dim=(1, 2)) / (z - z2).abs().mean(1)
            total = total - self.diversity * ratio.clamp(max=self.real_spread()).mean() / self.real_spread()
        return total

    def generate(self, generator: Any, labels: np.ndarray, seed: int, device: str) -> np.ndarray:
        import torch

        from synth_plugins.models.drum_gan_nets import LATENT, SAMPLES

        rng = np.random.default_rng(seed)
        z = torch.from_numpy(rng.standard_normal((len(labels), LATENT)).astype(np.float32))
        noise = torch.from_numpy(rng.standard_normal((len(labels), SAMPLES)).astype(np.float32))
        with torch.inference_mode():
            return generator(z.to(device), torch.from_numpy(labels).to(device), noise.to(device)).cpu().numpy()

    def validate(self, model: Any, device: str) -> dict[str, Any]:
        audio, labels = self.real["val"]
        if self._val_embed is None:
            self._val_embed = logmel_stats(audio)
        model.generator.eval()
        fake = self.generate(model.generator, labels, seed=11, device=device)
        model.generator.train()
        from ..generator_eval import frechet

        embedded = logmel_stats(fake)
        distance = frechet(embedded, self._val_embed)
        per_class = class_frechet(embedded, labels, self._val_embed, labels)
        return {"score": round(-(distance + per_class), 3), "frechet_logmel": round(distance, 3),
                "class_frechet_logmel": round(per_class, 3)}

    def card(self) -> dict[str, Any]:
        from synth_plugins.models.drum_gan_nets import LATENT, RATE, SAMPLES

        return {
            "config": {**CONFIG, "sample_rate": RATE, "samples": SAMPLES, "latent": LATENT},
            "classes": list(DRUM_CLASSES),
            "data": {**corpus_summary(self.corpus, self.bank), "hits": int(len(self.real["train"][1])),
                     "augmentation": "re-pitch +-3 semitones, tilt, 30% early fade, polarity; peak-normalised"},
            "loss": f"hinge adversarial (waveform + log-mel discriminators, projection-conditioned), "
                    f"{FEATURE_MATCHING} x feature matching, {AUX_CLASS} x auxiliary class cross-entropy (critics), "
                    f"{self.aux_class} x (generator)"
                    + (f", {self.spectral_balance} x per-class spectral balance (40 log-mel shares)"
                       if self.spectral_balance else "")
                    + (f", {self.profile} x per-class mean log-mel spectrogram L1" if self.profile else "")
                    + (f", {self.diversity} x diversity (log-mel distance per latent distance, capped at the real "
                       f"hits' {self.real_spread():.2f})" if self.diversity else "")
                    + ("; generator batch norms frozen" if self.frozen_norm else ""),
            "validation": "Frechet distance of log-mel mean/std embeddings, generated vs val-split real hits, plus "
                          "the mean over classes of a per-class (diagonal) Frechet distance of the same embeddings",
        }

"""timbre-vae: encoder (MFCC + loudness -> z) and the DDSP decoder and envelope trained as a VAE on notes.

The encoder hears a roughened copy of the note (tilted EQ, a little noise, sometimes a room) while the
decoder must rebuild the clean note, so z describes the instrument rather than the recording, and timbre
transfer works on real input. After training, the mean z of every family and GM program of the train set
is stored in the weights as a named anchor for interpolation and transfer.

``"fit_anchors": true`` is a second stage: everything else frozen, each anchor is moved from that mean to
the z whose decoding (with the envelope and chorus it drives) best rebuilds its notes. The decoder is not
linear in z, so the mean of a program's latents plays a blurred average of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.gm_names import FAMILIES, GM_PROGRAMS, slug

from ..spectral import mr_stft_loss
from .note_synth import (FRAMES, TEXTURE_WEIGHT, NoteSynthData, ensemble_texture, optimizer_with_ensemble,
                         to_torch)

CONFIG = {"latent": 16, "mfcc": 30, "hidden": 192, "harmonics": 60, "noise_bands": 65, "mels": 80, "ensemble": False}
KL_WEIGHT = 0.01
ENVELOPE_WEIGHT = 0.02
FAMILY_SHARE = 0.5  # of an anchor-fitting batch: notes decoded from their family's anchor, not their program's


def roughen(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a real recording adds: colour, a noise floor, sometimes a room."""
    out = audio.copy()
    a = rng.uniform(-0.5, 0.5, (len(out), 1)).astype(np.float32)
    out[:, 1:] = out[:, 1:] + a * out[:, :-1]
    rms = np.sqrt(np.mean(out**2, axis=1, keepdims=True)) + 1e-6
    snr = rng.uniform(25, 60, (len(out), 1))
    out = out + rng.standard_normal(out.shape).astype(np.float32) * (rms / 10 ** (snr / 20)).astype(np.float32)
    for row in np.nonzero(rng.random(len(out)) < 0.25)[0]:
        import pedalboard

        from synth_plugins.models.ddsp_nets import RATE

        verb = pedalboard.Reverb(room_size=float(rng.uniform(0.1, 0.6)), wet_level=float(rng.uniform(0.05, 0.25)),
                                 dry_level=1.0, width=0.0)
        out[row] = verb(out[row][None], RATE)[0]
    return out.astype(np.float32)


class TimbreVAETask:
    name = "timbre-vae"

    def __init__(self, corpus: Path) -> None:
        self.data = NoteSynthData(corpus)
        train = self.data.sets["train"]
        self.programs = sorted({int(p) - 1 for p in train.program})
        self.anchor_names = list(FAMILIES) + [slug(GM_PROGRAMS[p]) for p in self.programs]
        self.kl_weight = KL_WEIGHT
        self.config = dict(CONFIG)
        self.fit_anchors = False
        self.program_anchor = {p: len(FAMILIES) + i for i, p in enumerate(self.programs)}

    def configure(self, extra: dict[str, Any]) -> None:
        """``{"kl_weight": w}``: how much the latent is pushed toward the prior (less: more timbre in z);
        ``"ensemble": true`` adds the chorus stage, its mix read from z; ``"fit_anchors": true`` fits the
        named anchors alone (start it from trained weights with ``--init``)."""
        unknown = set(extra) - {"kl_weight", "ensemble", "fit_anchors"}
        if unknown:
            raise ValueError(f"timbre-vae: unknown extra settings {sorted(unknown)} "
                             "(known: ensemble, fit_anchors, kl_weight)")
        self.kl_weight = float(extra.get("kl_weight", KL_WEIGHT))
        self.config["ensemble"] = bool(extra.get("ensemble", False))
        self.fit_anchors = bool(extra.get("fit_anchors", False))

    def build_model(self) -> Any:
        from synth_plugins.models.ddsp_nets import TimbreVAE

        c = self.config
        model = TimbreVAE(c["latent"], c["mfcc"], c["hidden"], c["harmonics"], c["noise_bands"], c["mels"],
                          anchors=len(self.anchor_names), ensemble=c["ensemble"])
        if self.fit_anchors:  # the anchors become the only weights that train; their name stays "anchors"
            import torch

            table = model.anchors.clone()
            del model._buffers["anchors"]
            model.anchors = torch.nn.Parameter(table)
            for name, weight in model.named_parameters():
                weight.requires_grad_(name == "anchors")
        return model

    def optimizer(self, model: Any, lr: float) -> Any:
        if self.fit_anchors:
            import torch

            return torch.optim.Adam([model.anchors], lr=lr)
        return optimizer_with_ensemble(model, lr)

    def train_batch(self, rng: np.random.Generator, batch_size: int) -> Any:
        batch = self.data.train_batch(rng, batch_size)
        if self.fit_anchors:
            own = np.array([self.program_anchor[int(p) - 1] for p in batch["program"]])
            batch["anchor"] = np.where(rng.random(batch_size) < FAMILY_SHARE, batch["family"], own)
        else:
            batch["heard"] = roughen(batch["gained"], rng)
        return batch

    def anchor_losses(self, model: Any, batch: dict[str, Any], audio_key: str = "gained") -> tuple[Any, Any, Any]:
        """Each note decoded from its anchor: MR-STFT, envelope error (dB) and, through the chorus's wet share,
        texture."""
        from synth_plugins.models.ddsp_nets import loudness_db, midi_to_hz, note_events

        from ..spectral import texture_distance

        target = batch[audio_key]
        z = model.anchors[batch["anchor"]]
        f0 = midi_to_hz(batch["pitch"])[:, None].expand(-1, FRAMES)
        audio = model.decoder(f0, loudness_db(target), z)
        events = note_events(FRAMES, batch["hold"], batch["velocity"], batch["pitch"])
        envelope = (model.envelope(events, z) - loudness_db(batch["audio"])).abs().mean()
        texture = (texture_distance(model.ensemble(audio.detach(), z), target) if model.ensemble is not None
                   else audio.new_zeros(()))
        return mr_stft_loss(audio, target), envelope, texture

    def losses(self, model: Any, batch: dict[str, Any], audio_key: str = "gained",
               sample: bool = True) -> tuple[Any, Any, Any, Any]:
        import torch

        from synth_plugins.models.ddsp_nets import loudness_db, midi_to_hz, note_events

        target = batch[audio_key]
        mu, logvar = model.encode(batch.get("heard", target))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(-1).mean()
        f0 = midi_to_hz(batch["pitch"])[:, None].expand(-1, FRAMES)
        audio = model.decoder(f0, loudness_db(target), z)
        events = note_events(FRAMES, batch["hold"], batch["velocity"], batch["pitch"])
        envelope = (model.envelope(events, z.detach()) - loudness_db(batch["audio"])).abs().mean()
        return mr_stft_loss(audio, target), kl, envelope, ensemble_texture(model, audio, z, target)

    def loss(self, model: Any, batch: Any, device: str) -> Any:
        if self.fit_anchors:
            spectral, envelope, texture = self.anchor_losses(model, to_torch(batch, device))
            return spectral + ENVELOPE_WEIGHT * envelope + TEXTURE_WEIGHT * texture
        spectral, kl, envelope, texture = self.losses(model, to_torch(batch, device))
        return spectral + self.kl_weight * kl + ENVELOPE_WEIGHT * envelope + TEXTURE_WEIGHT * texture

    def validate(self, model: Any, device: str) -> dict[str, Any]:
        import torch

        val = self.data.sets["val"]
        rows = val.stratified(8, seed=5)
        out = []
        if self.fit_anchors:  # val notes are of programs no anchor names: each plays its family's anchor
            with torch.inference_mode():
                for chunk in np.array_split(rows, 4):
                    batch = {**val.take(chunk), "anchor": val.family[chunk]}
                    out.append([float(v) for v in self.anchor_losses(model, to_torch(batch, device), "audio")])
            s, e, t = np.mean(out, axis=0)
            total = s + ENVELOPE_WEIGHT * e + TEXTURE_WEIGHT * t
            return {"score": round(-float(total), 4), "mr_stft": round(float(s), 4), "envelope_db": round(float(e), 3),
                    "texture": round(float(t), 4)}
        with torch.inference_mode():
            for chunk in np.array_split(rows, 4):
                out.append([float(v) for v in self.losses(model, to_torch(val.take(chunk), device), "audio", False)])
        s, kl, e, t = np.mean(out, axis=0)
        report = {"score": round(-float(s), 4), "mr_stft": round(float(s), 4), "kl": round(float(kl), 3),
                  "envelope_db": round(float(e), 3)}
        if model.ensemble is not None:
            report["texture"] = round(float(t), 4)
        return report

    def exported(self, model: Any) -> Any:
        """Fill the anchors: mean z of each family's and each program's train notes (kept if fitted)."""
        import torch

        if self.fit_anchors:  # fitted: keep them, as the buffer the plugin loads
            table = model.anchors.detach().clone()
            del model._parameters["anchors"]
            model.register_buffer("anchors", table)
            return model

        train = self.data.sets["train"]
        mus = []
        with torch.inference_mode():
            for rows in np.array_split(np.arange(len(train)), max(1, len(train) // 64)):
                mus.append(model.encode(torch.from_numpy(train.audio[rows]))[0].numpy())
        mu = np.concatenate(mus)
        anchors = [mu[train.family == f].mean(0) for f in range(len(FAMILIES))]
        anchors += [mu[train.program == p + 1].mean(0) for p in self.programs]
        model.anchors.copy_(torch.from_numpy(np.stack(anchors)))
        return model

    def card(self) -> dict[str, Any]:
        card = self._vae_card()
        if self.fit_anchors:
            card["loss"] += (f"; then, from those weights (init), the anchors alone: MR-STFT + {ENVELOPE_WEIGHT} x "
                             f"envelope L1 + {TEXTURE_WEIGHT} x texture of train notes decoded from their program's "
                             f"anchor ({FAMILY_SHARE:.0%} of them from their family's)")
            card["validation"] = ("80 val-split notes (8 per family, of programs no anchor names) decoded from their "
                                  f"family's anchor; score = -(MR-STFT + {ENVELOPE_WEIGHT} x envelope + texture)")
        return card

    def _vae_card(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "anchors": self.anchor_names,
            "data": self.data.data_card(),
            "loss": f"multi-resolution STFT with teacher-forced loudness + {self.kl_weight} x KL(q(z|x) || N(0, I)) + "
                    f"{ENVELOPE_WEIGHT} x envelope L1 in dB; encoder input roughened (tilt, 25-60 dB SNR noise, "
                    "25% reverb)"
                    + (f"; the chorus mix alone: {TEXTURE_WEIGHT} x log-mel flicker distance (64 bands, FFT 2048)"
                       if self.config["ensemble"] else ""),
            "validation": "80 val-split notes (8 per family) encoded and decoded from the posterior mean; "
                          "score = -MR-STFT",
        }

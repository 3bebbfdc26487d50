"""neural-instrument: the DDSP-style decoder and MIDI envelope trained on corpus notes.

The decoder hears the note's true loudness curve (teacher forcing) and is scored by multi-resolution STFT
distance; the envelope learns that curve from MIDI alone (gate, velocity, pitch, time since on/off). One note
in five drops its GM program so the family embedding alone also plays a typical member of the family.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.gm_names import FAMILIES

from ..spectral import mr_stft_loss
from .note_synth import (FRAMES, TEXTURE_WEIGHT, NoteSynthData, ensemble_texture, optimizer_with_ensemble,
                         to_torch)

CONFIG = {"timbre_dim": 16, "hidden": 192, "harmonics": 60, "noise_bands": 65, "ensemble": False}
ENVELOPE_WEIGHT = 0.02  # per dB of loudness error



class NeuralInstrumentTask:
    name = "neural-instrument"

    def __init__(self, corpus: Path) -> None:
        self.data = NoteSynthData(corpus)
        self.config = dict(CONFIG)

    def configure(self, extra: dict[str, Any]) -> None:
        unknown = set(extra) - set(CONFIG)
        if unknown:
            raise ValueError(f"neural-instrument: unknown extra settings {sorted(unknown)} (known: {sorted(CONFIG)})")
        self.config.update(extra)

    def build_model(self) -> Any:
        from synth_plugins.models.ddsp_nets import NeuralInstrument

        c = self.config
        return NeuralInstrument(len(FAMILIES), 129, c["timbre_dim"], c["hidden"], c["harmonics"], c["noise_bands"],
                                ensemble=bool(c["ensemble"]))

    def optimizer(self, model: Any, lr: float) -> Any:
        return optimizer_with_ensemble(model, lr)

    def train_batch(self, rng: np.random.Generator, batch_size: int) -> Any:
        batch = self.data.train_batch(rng, batch_size)
        batch["program"] = np.where(rng.random(batch_size) < 0.2, 0, batch["program"])
        return batch

    def losses(self, model: Any, batch: dict[str, Any], audio_key: str = "gained") -> tuple[Any, Any, Any]:
        from synth_plugins.models.ddsp_nets import loudness_db, midi_to_hz, note_events

        target = batch[audio_key]
        timbre = model.timbre(batch["family"], batch["program"])
        loud = loudness_db(target)
        f0 = midi_to_hz(batch["pitch"])[:, None].expand(-1, FRAMES)
        audio = model.decoder(f0, loud, timbre)
        events = note_events(FRAMES, batch["hold"], batch["velocity"], batch["pitch"])
        envelope = (model.envelope(events, timbre) - loudness_db(batch["audio"])).abs().mean()
        return mr_stft_loss(audio, target), envelope, ensemble_texture(model, audio, timbre, target)

    def loss(self, model: Any, batch: Any, device: str) -> Any:
        spectral, envelope, texture = self.losses(model, to_torch(batch, device))
        return spectral + ENVELOPE_WEIGHT * envelope + TEXTURE_WEIGHT * texture

    def validate(self, model: Any, device: str) -> dict[str, Any]:
        import torch

        val = self.data.sets["val"]
        rows = val.stratified(8, seed=5)
        spectral, envelope, texture = [], [], []
        with torch.inference_mode():
            for chunk in np.array_split(rows, 4):
                s, e, t = self.losses(model, to_torch(val.take(chunk), device), audio_key="audio")
                spectral.append(float(s))
                envelope.append(float(e))
                texture.append(float(t))
        s, e = float(np.mean(spectral)), float(np.mean(envelope))
        report = {"score": round(-s, 4), "mr_stft": round(s, 4), "envelope_db": round(e, 3)}
        if model.ensemble is not None:
            report["texture"] = round(float(np.mean(texture)), 4)
        return report

    def card(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "families": list(FAMILIES),
            "programs": sorted({int(p) - 1 for p in self.data.sets["train"].program}),
            "data": self.data.data_card(),
            "loss": "multi-resolution STFT (linear + log magnitude, FFT 64-2048) with teacher-forced loudness, "
                    f"plus {ENVELOPE_WEIGHT} x envelope L1 in dB"
                    + (f"; the chorus mix alone: {TEXTURE_WEIGHT} x log-mel flicker distance (64 bands, FFT 2048)"
                       if self.config["ensemble"] else ""),
            "validation": "80 val-split notes (8 per family, GM programs never trained: family embedding only); "
                          "score = -MR-STFT",
        }

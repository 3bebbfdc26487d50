"""``drum-gan``: new drum one-shots of eight classes from a class-conditional WaveGAN-style generator.

A seed fixes the latent draws, so ``--count 16 --seed 7`` gives the same 16 hits every time, and hit ``i``
of a batch is the same whatever the batch size. ``walk`` moves along a great circle between two seeds'
latents for smooth variations. Given notes (a GM drum track), every note becomes a hit of its class.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from plugin_specs import Generator, Parameter, ParameterError, PluginInfo, hookimpl

from . import weights
from .gm_names import DRUM_CLASSES
from .torch_threads import one_thread

#: GM percussion keys -> drum class, for playing a MIDI drum track.
GM_DRUM_KEYS = {35: "kick", 36: "kick", 37: "rim", 38: "snare", 39: "clap", 40: "snare", 41: "tom", 42: "closed_hat",
                43: "tom", 44: "closed_hat", 45: "tom", 46: "open_hat", 47: "tom", 48: "tom", 49: "cymbal", 50: "tom",
                51: "cymbal", 52: "cymbal", 53: "cymbal", 55: "cymbal", 57: "cymbal", 59: "cymbal"}


def latents(seed: int, count: int, size: int) -> np.ndarray:
    """``count`` standard-normal latents; row i depends only on (seed, i)."""
    return np.stack([np.random.default_rng([int(seed), i]).standard_normal(size) for i in range(count)]).astype(np.float32)


def noises(seed: int, count: int, size: int) -> np.ndarray:
    """The white noise each hit's noise branch filters; row i depends only on (seed, i), like its latent."""
    return np.stack([np.random.default_rng([int(seed), i, 1]).standard_normal(size) for i in range(count)]).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Great-circle interpolation: intermediate latents keep the norm the generator was trained on."""
    cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


class DrumGAN(Generator):
    """One-shots of a drum class, or a GM drum track played with generated hits."""

    model_name = "drum-gan"
    info = PluginInfo(
        id="drum-gan", name="Drum GAN", version="1.0.0", authors=("synth-host developers",),
        description="Class-conditional WaveGAN-style generator: kick, snare, closed/open hat, tom, clap, cymbal, "
                    "rim; 0.51 s one-shots, reproducible from a seed, with latent walks.",
        tags=("generator", "drums", "one-shot", "neural", "gan"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/drum-gan.safetensors"},
    )
    parameters = (
        Parameter("drum_class", "str", "kick", choices=DRUM_CLASSES, description="What to generate without notes"),
        Parameter("gain_db", "float", 0.0, -40.0, 20.0, unit="dB", description="Output level (hits peak at 0.9)"),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.model: Any = None
        self._device: str | None = None

    def load(self, device: str = "cpu") -> Any:
        if self.model is None or self._device != device:
            from .models.drum_gan_nets import Generator as Net

            card = weights.load_card(self.model_name)
            config = card["config"]
            self.card = card
            net = Net(len(card["classes"]), config["latent"], config["width"], config["kernel"])
            self.model = weights.load_model(net, self.model_name, device=device)
            self._device = device
        return self.model

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        self.load(device)

    def latent_size(self) -> int:
        """Values per hit in a latent."""
        return int(self.load(self.device).latent)

    def from_latents(self, z: np.ndarray, classes: Sequence[str], sample_rate: int,
                     noise: np.ndarray | None = None) -> np.ndarray:
        """``(count, samples)`` hits at ``sample_rate`` for latents ``z`` (count, latent_size()) and class names;
        ``noise`` (count, 8192) is the white noise the hats' and cymbals' noise branch filters (one fixed draw
        for all if omitted)."""
        import torch

        from .models.drum_gan_nets import RATE, SAMPLES
        from .resampling import resample

        if noise is not None and np.shape(noise) != (len(z), SAMPLES):
            raise ParameterError(f"drum-gan: noise must be (count, {SAMPLES}), got {np.shape(noise)}")

        for name in classes:
            if name not in DRUM_CLASSES:
                raise ParameterError(f"drum-gan: unknown drum class {name!r} (expected one of {', '.join(DRUM_CLASSES)})")
        model = self.load(self.device)
        labels = torch.tensor([DRUM_CLASSES.index(c) for c in classes], device=self._device)
        with torch.inference_mode(), one_thread():
            white = None if noise is None else torch.from_numpy(np.ascontiguousarray(noise)).to(self._device)
            hits = model(torch.from_numpy(np.ascontiguousarray(z)).to(self._device), labels, white).cpu().numpy()
        hits *= np.float32(10 ** (self.params["gain_db"] / 20))
        return hits if sample_rate == RATE else resample(hits, RATE, sample_rate)

    def one_shots(self, drum_class: str, count: int, seed: int, sample_rate: int) -> np.ndarray:
        """``count`` different hits of one class; hit i is the same for any ``count`` > i."""
        return self.from_latents(latents(seed, count, self.latent_size()), [drum_class] * count, sample_rate,
                                 noises(seed, count, self._samples()))

    def _samples(self) -> int:
        from .models.drum_gan_nets import SAMPLES

        return SAMPLES

    def walk(self, drum_class: str, seed_a: int, seed_b: int, steps: int, sample_rate: int) -> np.ndarray:
        """``steps`` hits morphing from seed_a's hit to seed_b's."""
        size = self.latent_size()
        a, b = latents(seed_a, 1, size)[0], latents(seed_b, 1, size)[0]
        z = np.stack([slerp(a, b, t) for t in np.linspace(0.0, 1.0, steps)]).astype(np.float32)
        noise = np.repeat(noises(seed_a, 1, self._samples()), steps, axis=0)  # one noise along the walk
        return self.from_latents(z, [drum_class] * steps, sample_rate, noise)

    def generate(self, duration: float, sample_rate: int, seed: int = 0,
                 notes: Sequence[Any] | None = None) -> np.ndarray:
        from .voice_render import as_notes

        n = int(round(duration * sample_rate))
        out = np.zeros(n + 1, np.float32)
        if notes is None:
            hit = self.one_shots(self.params["drum_class"], 1, seed, sample_rate)[0]
            out[: min(n, len(hit))] = hit[:n]
            return out[None, :n]
        hits = [note for note in as_notes(notes, self.info.id) if int(round(note.pitch)) in GM_DRUM_KEYS]
        if hits:
            shots = self.from_latents(latents(seed, len(hits), self.latent_size()),
                                      [GM_DRUM_KEYS[int(round(h.pitch))] for h in hits], sample_rate,
                                      noises(seed, len(hits), self._samples()))
            for note, shot in zip(hits, shots):
                at = int(round(note.start * sample_rate))
                if at < n:
                    take = min(len(shot), n - at)
                    out[at : at + take] += shot[:take] * np.float32(note.velocity / 127)
        return out[None, :n]


@hookimpl
def register_generators(register):
    register(DrumGAN)

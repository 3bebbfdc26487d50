"""Small but real plugins used by the tests: each exercises one host service."""

from __future__ import annotations

import numpy as np

from plugin_specs import ClassificationResult, Classifier, Effect, Generator, Parameter, PluginInfo, Segment, hookimpl


class TorchOnePole(Effect):
    """Stateful one-pole low-pass in torch: state must carry across blocks."""

    info = PluginInfo(id="test-torch-onepole", stateful=True)
    parameters = (Parameter("coeff", "float", 0.9, 0.0, 0.999),)
    backend = "torch"

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        import torch

        super().prepare(sample_rate, channels, block_size, device)
        self.state_ = torch.zeros(1, channels, 1, device=device)

    def process(self, audio):
        import torch

        a = self.params["coeff"]
        out = torch.empty_like(audio)
        y = self.state_[..., 0]
        for i in range(audio.shape[-1]):  # deliberately sample by sample: a true recurrence
            y = a * y + (1 - a) * audio[..., i]
            out[..., i] = y
        self.state_ = y.unsqueeze(-1)
        return out

    def reset(self):
        self.state_.zero_()


class TorchFIR(Effect):
    """Stateless causal convolution: the host supplies ``receptive_field - 1`` samples of context."""

    info = PluginInfo(id="test-torch-fir", receptive_field=33)
    backend = "torch"

    def process(self, audio):
        import torch

        taps = torch.hann_window(33, periodic=False, device=audio.device) / 16.0
        b, c, n = audio.shape
        out = torch.nn.functional.conv1d(audio.reshape(b * c, 1, n), taps.flip(0).view(1, 1, -1))
        out = torch.nn.functional.pad(out, (n - out.shape[-1], 0))
        return out.reshape(b, c, n)


class DelayLine(Effect):
    """Pure delay of ``samples`` that reports it as latency; the host must undo it."""

    info = PluginInfo(id="test-delay-line", stateful=True)
    parameters = (Parameter("samples", "int", 300, 0, 100000),)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.buf = np.zeros((channels, self.params["samples"]), dtype=np.float32)

    def latency_samples(self):
        return self.params["samples"]

    def process(self, audio):
        data = np.concatenate([self.buf, audio], axis=1)
        self.buf = data[:, audio.shape[1]:]
        return data[:, : audio.shape[1]]

    def reset(self):
        self.buf[:] = 0


class MonoPolarity(Effect):
    """Accepts mono only, and flips channel polarity per instance: exposes dual-mono handling."""

    info = PluginInfo(id="test-mono-scale", channels=(1,))
    parameters = (Parameter("factor", "float", 0.5, -4.0, 4.0),)

    def process(self, audio):
        assert audio.shape[0] == 1
        return audio * self.params["factor"]


class Needs16k(Effect):
    """Runs only at 16 kHz (like many speech models): the host must resample around it."""

    info = PluginInfo(id="test-16k-gain", sample_rates=(16000,))

    def process(self, audio):
        assert self.sample_rate == 16000
        return audio * 0.5


class FixedBlock(Effect):
    """Needs blocks of exactly 100 samples; delays by one block and says so."""

    info = PluginInfo(id="test-fixed-block", block_size=100, latency_samples=100, stateful=True)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.prev = np.zeros((channels, 100), dtype=np.float32)

    def process(self, audio):
        assert audio.shape[1] == 100
        out, self.prev = self.prev, audio.copy()
        return out

    def reset(self):
        self.prev[:] = 0


class Recorder(Effect):
    """Passes audio through and keeps a copy of every block it was given."""

    info = PluginInfo(id="test-recorder")

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.seen = []

    def process(self, audio):
        self.seen.append(audio.copy())
        return audio


TOY_EFFECTS = [TorchOnePole, TorchFIR, DelayLine, MonoPolarity, Needs16k, FixedBlock, Recorder]


@hookimpl
def register_effects(register):
    for cls in TOY_EFFECTS:
        register(cls)


class LevelTagger(Classifier):
    """Labels each 100 ms frame loud or quiet: a classifier whose exact answer the tests know."""

    info = PluginInfo(id="test-level", name="Level tagger", version="1.0.0", description="Loud or quiet.",
                      authors=("tests",), license="MIT")
    labels = ("loud", "quiet")

    def classify(self, audio):
        frame = self.sample_rate // 10
        n = audio.shape[-1] // frame
        rms = np.sqrt(np.mean(audio[:, : n * frame].reshape(audio.shape[0], n, frame) ** 2, axis=(0, 2)))
        loud = rms > 0.05
        segments, start = [], 0
        for i in range(1, n + 1):
            if i == n or loud[i] != loud[start]:
                segments.append(Segment(start / 10, i / 10, "loud" if loud[start] else "quiet", 1.0))
                start = i
        share = float(loud.mean()) if n else 0.0
        return ClassificationResult({"loud": share, "quiet": 1.0 - share}, segments)


@hookimpl
def register_classifiers(register):
    register(LevelTagger)


class Tone(Generator):
    info = PluginInfo(id="test-tone", name="Tone", version="1.0.0", description="A sine.", authors=("tests",),
                      license="MIT")

    def generate(self, duration, sample_rate, seed=0, notes=None):
        t = np.arange(round(duration * sample_rate)) / sample_rate
        return (0.1 * np.sin(2 * np.pi * 440 * t))[None].astype(np.float32)


@hookimpl
def register_generators(register):
    register(Tone)

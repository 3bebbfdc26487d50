"""Plugins that each break one rule of the contract; the validator must catch every one."""

from __future__ import annotations

import numpy as np

from plugin_specs import Effect, Parameter, PluginInfo, hookimpl
from synth_plugins.spread_spectrum import SpreadSpectrumWatermark

INFO = dict(version="1.0.0", authors=("tests",), license="MIT", description="Deliberately broken.")


class GoodGain(Effect):
    """The control: a correct, smoothed gain."""

    info = PluginInfo(id="good-gain", name="Good gain", **INFO)
    parameters = (Parameter("gain_db", "float", 0.0, -24.0, 24.0, unit="dB", description="Gain"),)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.reset()

    def reset(self):
        self.current = 10 ** (self.params["gain_db"] / 20)

    def process(self, audio):
        target = 10 ** (self.params["gain_db"] / 20)
        ramp = np.linspace(self.current, target, audio.shape[-1], dtype=np.float32)
        self.current = target
        return (audio * ramp).astype(np.float32)


class LiesAboutLatency(Effect):
    """Delays by 64 samples but declares none."""

    info = PluginInfo(id="lies-about-latency", name="Liar", stateful=True, **INFO)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.reset()

    def reset(self):
        self.buffer = np.zeros((self.channels or 2, 64), dtype=np.float32)

    def process(self, audio):
        data = np.concatenate([self.buffer, audio], axis=-1)
        self.buffer = data[:, -64:]
        return data[:, : audio.shape[-1]]


class MakesNaN(Effect):
    """Normalises each block by its RMS, so silence divides zero by zero."""

    info = PluginInfo(id="makes-nan", name="NaN maker", **INFO)

    def process(self, audio):
        with np.errstate(invalid="ignore", divide="ignore"):
            return (audio / np.sqrt(np.mean(audio**2)) * 0.1).astype(np.float32)


class LeaksState(Effect):
    """A one-pole low-pass whose reset() forgets to clear the filter memory."""

    info = PluginInfo(id="leaks-state", name="Leaky", stateful=True, **INFO)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        if not hasattr(self, "memory"):
            self.memory = np.zeros((channels, 1), dtype=np.float32)

    def process(self, audio):
        out = np.empty_like(audio)
        y = self.memory[:, 0].copy()
        for i in range(audio.shape[-1]):
            y = 0.99 * y + 0.01 * audio[:, i]
            out[:, i] = y
        self.memory = y[:, None]
        return out


class ChangesLength(Effect):
    """Drops the last sample of every block."""

    info = PluginInfo(id="changes-length", name="Shortener", **INFO)

    def process(self, audio):
        return audio[:, :-1] if audio.shape[-1] > 1 else audio


class IgnoresParameter(Effect):
    """Declares a drive parameter that nothing reads."""

    info = PluginInfo(id="ignores-parameter", name="Deaf", **INFO)
    parameters = (Parameter("drive_db", "float", 0.0, 0.0, 40.0, unit="dB", description="Drive"),
                  Parameter("mix", "float", 1.0, 0.0, 1.0, description="Wet/dry mix"))

    def process(self, audio):
        wet = np.tanh(audio)
        return (self.params["mix"] * wet + (1 - self.params["mix"]) * audio).astype(np.float32)


class ClicksOnAutomation(Effect):
    """Applies gain changes instantly, with no smoothing."""

    info = PluginInfo(id="clicks-on-automation", name="Clicky", **INFO)
    parameters = (Parameter("gain_db", "float", 0.0, -24.0, 24.0, unit="dB", description="Gain"),)

    def process(self, audio):
        return (audio * 10 ** (self.params["gain_db"] / 20)).astype(np.float32)


class ShortTail(Effect):
    """An echo 0.3 s later that claims no tail."""

    info = PluginInfo(id="short-tail", name="Echo without a tail", stateful=True, **INFO)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.delay = int(0.3 * sample_rate)
        self.reset()

    def reset(self):
        self.buffer = np.zeros((self.channels or 2, self.delay), dtype=np.float32)

    def process(self, audio):
        data = np.concatenate([self.buffer, audio], axis=-1)
        self.buffer = data[:, -self.delay :]
        return audio + 0.5 * data[:, : audio.shape[-1]]


class SharesState(Effect):
    """Keeps its filter memory on the class, so two instances corrupt each other."""

    info = PluginInfo(id="shares-state", name="Shared", stateful=True, **INFO)
    memory = None

    def reset(self):
        type(self).memory = None

    def process(self, audio):
        cls = type(self)
        if cls.memory is None:
            cls.memory = np.zeros(audio.shape[0], dtype=np.float32)
        out = np.empty_like(audio)
        for i in range(audio.shape[-1]):
            cls.memory = 0.9 * cls.memory + 0.1 * audio[:, i]
            out[:, i] = cls.memory
        return out


class StreamsDifferently(SpreadSpectrumWatermark):
    """Its streaming embedder is honest, but embed() adds a little extra: the two paths disagree."""

    info = PluginInfo(id="streams-differently", name="Streams differently", tags=("watermark",), **INFO)

    def embed(self, audio, message):
        return (super().embed(audio, message) * np.float32(1.01)).astype(np.float32)


class MixesBatchRows(Effect):
    """Declares batchable, but its one-pole state is shared by every row of a batch."""

    info = PluginInfo(id="mixes-batch-rows", name="Row mixer", stateful=True, batchable=True, **INFO)
    backend = "torch"

    def reset(self):
        self.state_ = None

    def process(self, audio):
        import torch

        if getattr(self, "state_", None) is None:
            self.state_ = torch.zeros(audio.shape[1], device=audio.device)
        out = torch.empty_like(audio)
        for i in range(0, audio.shape[-1], 64):
            chunk = audio[..., i : i + 64]
            out[..., i : i + 64] = 0.5 * chunk + 0.5 * self.state_[None, :, None]
            self.state_ = chunk[..., -1].mean(dim=0)  # averaged over the batch: rows leak into each other
        return out


BROKEN = {
    StreamsDifferently: "embed-streaming",
    LiesAboutLatency: "latency",
    MakesNaN: "finite-output",
    LeaksState: "reset-determinism",
    ChangesLength: "io-shape",
    IgnoresParameter: "parameters-have-effect",
    ClicksOnAutomation: "automation-clicks",
    ShortTail: "tail",
    SharesState: "concurrency",
    MixesBatchRows: "batch-independence",
}


@hookimpl
def register_effects(register):
    for cls in [GoodGain, *BROKEN]:
        if issubclass(cls, Effect):
            register(cls)


@hookimpl
def register_watermarkers(register):
    register(StreamsDifferently)

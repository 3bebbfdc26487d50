"""A look-ahead brick-wall peak limiter, packaged the way any third-party synth-host plugin is.

The gain never lets a sample exceed the ceiling: for every output sample, the gain
is an average of window minima that all include that sample's required gain. The
look-ahead delays the audio, which the plugin declares as latency so hosts realign it.
"""

from __future__ import annotations

import numpy as np

from plugin_specs import Effect, Parameter, PluginInfo, hookimpl

from .windows import box_mean, sliding_min

__version__ = "1.0.0"
MAX_HOLD_MS = 500.0


class LookaheadLimiter(Effect):
    """Peak limiter: min-hold over look-ahead + hold, then a look-ahead-long ramp."""

    info = PluginInfo(
        id="lookahead-limiter",
        name="Look-ahead limiter",
        version=__version__,
        authors=("synth-host developers",),
        description="Brick-wall peak limiter with look-ahead: output never exceeds the ceiling, without clicks.",
        tags=("dynamics", "limiter", "mastering"),
        license="MIT",
        stateful=True,
    )
    parameters = (
        Parameter("ceiling_db", "float", -1.0, -24.0, 0.0, unit="dBFS", description="Highest output peak"),
        Parameter("lookahead_ms", "float", 5.0, 0.5, 20.0, unit="ms", automatable=False,
                  description="How far ahead gain reduction starts; also the plugin's latency"),
        Parameter("hold_ms", "float", 50.0, 0.0, MAX_HOLD_MS, unit="ms",
                  description="How long reduction is held before the gain recovers"),
    )

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.lookahead = max(1, round(self.params["lookahead_ms"] * sample_rate / 1000))
        self.max_window = self.lookahead + round(MAX_HOLD_MS * sample_rate / 1000) + 1
        self.reset()

    def reset(self):
        if self.sample_rate is None:
            return
        self.audio_history = np.zeros((self.channels, self.lookahead), dtype=np.float32)
        self.need_history = np.ones(self.max_window - 1)  # required gain of past samples
        self.min_history = np.ones(self.lookahead)  # held minima awaiting the ramp

    def latency_samples(self):
        if self.sample_rate is None:
            return 0
        return max(1, round(self.params["lookahead_ms"] * self.sample_rate / 1000))

    def process(self, audio):
        n = audio.shape[-1]
        ceiling = 10 ** (self.params["ceiling_db"] / 20)
        peak = np.max(np.abs(audio), axis=0).astype(np.float64)
        need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
        window = self.lookahead + round(self.params["hold_ms"] * self.sample_rate / 1000) + 1
        needs = np.concatenate([self.need_history, need])
        held = sliding_min(needs[len(needs) - n - window + 1 :], window)
        minima = np.concatenate([self.min_history, held])
        gain = box_mean(minima, self.lookahead + 1)
        delayed = np.concatenate([self.audio_history, audio], axis=-1)
        out = delayed[:, :n] * gain.astype(np.float32)
        self.need_history = needs[-(self.max_window - 1) :]
        self.min_history = minima[-self.lookahead :]
        self.audio_history = delayed[:, -self.lookahead :]
        return out.astype(np.float32)


@hookimpl
def register_effects(register):
    register(LookaheadLimiter)

"""Streaming stages. Each takes blocks of any length and returns output *aligned with
its input* (latency already removed), possibly shorter early on; the renderer drains
every stage by pushing silence at the end.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from plugin_specs import Effect
from plugin_specs.pedalboard_effect import PedalboardEffect

from .arrays import cat, empty_like, length, zeros_like

#: pedalboard's own whole-buffer block size. Feeding it exactly this much per call
#: makes a streamed render identical to calling the board on the whole file.
PEDALBOARD_BLOCK = 8192


class Stage:
    """Base: ``push`` returns aligned output; ``drain_samples`` bounds how much silence flushes it."""

    name = "stage"
    drain_samples = 0

    def push(self, block: Any) -> Any:
        raise NotImplementedError

    def reset(self) -> None:
        pass


class Rebuffer:
    """Cuts a stream into exact ``size``-sample pieces, holding the remainder."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pending: list[Any] = []
        self.count = 0

    def feed(self, block: Any) -> list[Any]:
        self.pending.append(block)
        self.count += length(block)
        if self.count < self.size:
            return []
        data = cat(self.pending)
        whole = (self.count // self.size) * self.size
        pieces = [data[..., i : i + self.size] for i in range(0, whole, self.size)]
        rest = data[..., whole:]
        self.pending = [rest] if length(rest) else []
        self.count = length(rest)
        return pieces

    def reset(self) -> None:
        self.pending, self.count = [], 0


class Trim:
    """Drops the first ``samples`` of a stream: how declared latency is compensated."""

    def __init__(self, samples: int) -> None:
        self.samples = samples
        self.left = samples

    def __call__(self, block: Any) -> Any:
        if self.left <= 0:
            return block
        cut = min(self.left, length(block))
        self.left -= cut
        return block[..., cut:]

    def reset(self) -> None:
        self.left = self.samples


class PedalboardStage(Stage):
    """Consecutive pedalboard/VST3 steps run as one ``pedalboard.Pedalboard``."""

    def __init__(self, effects: Sequence[PedalboardEffect], sample_rate: int, block: int = PEDALBOARD_BLOCK) -> None:
        import pedalboard

        self.effects = list(effects)
        self.name = " | ".join(e.info.id for e in effects)
        self.board = pedalboard.Pedalboard([e.pedalboard_plugin() for e in effects])
        self.sample_rate = sample_rate
        self.rebuffer = Rebuffer(block)
        # pedalboard withholds each plugin's latency; one second per plugin is generous.
        self.drain_samples = block + sample_rate * len(self.effects)

    def push(self, block: Any) -> Any:
        outs = [self.board.process(piece, self.sample_rate, buffer_size=self.rebuffer.size, reset=False)
                for piece in self.rebuffer.feed(block)]
        return cat(outs) if outs else empty_like(block)

    def reset(self) -> None:
        self.board.reset()
        self.rebuffer.reset()


class WindowedPedalboardStage(Stage):
    """For pedalboard plugins that cannot stream (PitchShift): fixed windows rendered whole,
    each primed with ``preroll`` samples of real input and crossfaded over ``overlap``.

    Windows do not depend on the caller's block size, so output is identical for any
    block size; memory is bounded by one window.
    """

    def __init__(self, effect: PedalboardEffect, sample_rate: int, window: int = 1 << 19,
                 preroll: int = 16384, overlap: int = 8192) -> None:
        self.effect = effect
        self.name = effect.info.id
        self.sample_rate = sample_rate
        self.window, self.preroll, self.overlap = window, preroll, overlap
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        # equal-power: the two renders' phases differ, so their sum must keep energy, not amplitude
        self.fade_in, self.fade_out = np.sin(0.5 * np.pi * ramp), np.cos(0.5 * np.pi * ramp)
        self.drain_samples = window + overlap
        self.reset()

    def reset(self) -> None:
        self.history: np.ndarray | None = None  # the preroll samples before the current window
        self.buffer: list[np.ndarray] = []
        self.count = 0
        self.prev_tail: np.ndarray | None = None

    def push(self, block: np.ndarray) -> np.ndarray:
        self.buffer.append(block)
        self.count += block.shape[-1]
        need = self.window + self.overlap
        outs = []
        while self.count >= need:
            data = np.concatenate(self.buffer, axis=-1)
            outs.append(self._render(data[:, :need]))
            consumed = data[:, : self.window]
            past = consumed if self.history is None else np.concatenate([self.history, consumed], axis=-1)
            self.history = past[:, -self.preroll :]
            rest = data[:, self.window :]
            self.buffer, self.count = [rest], rest.shape[-1]
        return np.concatenate(outs, axis=-1) if outs else block[:, :0]

    def _render(self, span: np.ndarray) -> np.ndarray:
        history = self.history
        if history is None:
            history = np.zeros((span.shape[0], 0), dtype=np.float32)
        plugin = self.effect.pedalboard_plugin()
        out = plugin.process(np.concatenate([history, span], axis=-1), self.sample_rate, reset=True)
        out = out[:, history.shape[-1] :]
        body, tail = out[:, : self.window].copy(), out[:, self.window :]
        if self.prev_tail is not None:
            n = self.overlap
            body[:, :n] = self.prev_tail * self.fade_out + body[:, :n] * self.fade_in
        self.prev_tail = tail.copy()
        return body


class EffectStage(Stage):
    """A plain Effect (numpy or torch) with the host's services around it:
    fixed block sizes, receptive-field context for stateless models, and latency trim."""

    def __init__(self, effect: Effect, compensate_latency: bool = True) -> None:
        self.effect = effect
        self.name = effect.info.id
        info = effect.info
        self.rebuffer = Rebuffer(info.block_size) if info.block_size else None
        self.context = 0 if info.stateful else info.receptive_field - 1
        self.history: Any = None
        self.trim = Trim(effect.latency_samples() if compensate_latency else 0)
        self.drain_samples = (info.block_size or 0) + self.trim.samples

    def _run(self, block: Any) -> Any:
        n = length(block)
        if self.context:
            if self.history is None:
                self.history = zeros_like(block, self.context)
            data = cat([self.history, block])
            self.history = data[..., -self.context :]
            out = self.effect.process(data)[..., -n:]
        else:
            out = self.effect.process(block)
        if length(out) != n:
            raise RuntimeError(f"plugin {self.name} returned {length(out)} samples for a block of {n}")
        return out

    def push(self, block: Any) -> Any:
        if length(block) == 0:
            return block
        if self.rebuffer is None:
            return self.trim(self._run(block))
        pieces = [self._run(p) for p in self.rebuffer.feed(block)]
        return self.trim(cat(pieces)) if pieces else empty_like(block)

    def reset(self) -> None:
        self.effect.reset()
        self.trim.reset()
        self.history = None
        if self.rebuffer:
            self.rebuffer.reset()


class TorchSegment(Stage):
    """Consecutive torch effects: one numpy→device copy in, one device→numpy copy out."""

    def __init__(self, stages: Sequence[EffectStage], device: str) -> None:
        self.stages = list(stages)
        self.device = device
        self.name = " | ".join(s.name for s in stages)
        self.drain_samples = sum(s.drain_samples for s in stages)

    def push(self, block: np.ndarray) -> np.ndarray:
        import torch

        if block.shape[-1] == 0:
            return block
        x = torch.from_numpy(np.ascontiguousarray(block)).to(self.device).unsqueeze(0)
        with torch.inference_mode():
            for stage in self.stages:
                x = stage.push(x)
        return x.squeeze(0).to("cpu").numpy().astype(np.float32, copy=False)

    def reset(self) -> None:
        for s in self.stages:
            s.reset()


class ResampleStage(Stage):
    """Converts the stream's rate with pedalboard's StreamResampler (aligned, chunk-invariant)."""

    def __init__(self, source: int, target: int, channels: int) -> None:
        from pedalboard.io import StreamResampler

        self.args = (source, target, channels)
        self.name = f"resample {source}->{target}"
        self.resampler = StreamResampler(float(source), float(target), channels)
        self.drain_samples = 4 * int(self.resampler.input_latency) + 64

    def push(self, block: np.ndarray) -> np.ndarray:
        return self.resampler.process(np.ascontiguousarray(block, dtype=np.float32))

    def reset(self) -> None:
        self.resampler.reset()


@lru_cache(maxsize=64)
def resample_round_trip_lag(source: int, target: int) -> int:
    """Whole samples by which a source->target->source round trip delays a signal (probed by impulse)."""
    from pedalboard.io import StreamResampler

    x = np.zeros((1, 8192), dtype=np.float32)
    x[0, 4096] = 1.0
    there = StreamResampler(float(source), float(target), 1)
    back = StreamResampler(float(target), float(source), 1)
    mid = np.concatenate([there.process(x), there.process(None)], axis=-1)
    y = np.concatenate([back.process(mid), back.process(None)], axis=-1)[0]
    k = int(np.argmax(np.abs(y)))
    if 0 < k < len(y) - 1:  # parabolic interpolation of the peak, then round
        den = y[k - 1] - 2 * y[k] + y[k + 1]
        frac = 0.5 * (y[k - 1] - y[k + 1]) / den if den else 0.0
        return int(round(k + frac - 4096))
    return k - 4096


class ShiftStage(Stage):
    """Moves a stream earlier (trim) or later (leading zeros) by whole samples."""

    def __init__(self, samples: int) -> None:
        self.samples = samples
        self.name = f"shift {samples:+d}"
        self.trim = Trim(max(samples, 0))
        self.reset()

    def reset(self) -> None:
        self.trim.reset()
        self.pad = max(-self.samples, 0)

    def push(self, block: Any) -> Any:
        if self.pad and length(block):
            block, self.pad = cat([zeros_like(block, self.pad), block]), 0
        return self.trim(block)


class UpmixStage(Stage):
    """Mono to stereo by copying the channel: the rule for stereo-only plugins."""

    name = "upmix 1->2"

    def push(self, block: np.ndarray) -> np.ndarray:
        return np.repeat(block, 2, axis=0)


class PerChannelStage(Stage):
    """Mono-only plugins on multichannel audio: one instance per channel (dual mono)."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)
        self.name = f"{stages[0].name} x{len(stages)}"
        self.drain_samples = max(s.drain_samples for s in stages)

    def push(self, block: np.ndarray) -> np.ndarray:
        outs = [s.push(block[i : i + 1]) for i, s in enumerate(self.stages)]
        return np.concatenate(outs, axis=0)

    def reset(self) -> None:
        for s in self.stages:
            s.reset()

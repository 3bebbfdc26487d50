"""A chain of effects turned into streaming stages, with rate and channel conversion."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from plugin_specs import ChainError, Classifier, Effect, SynthHostError, Watermarker
from plugin_specs.pedalboard_effect import PedalboardEffect

from .arrays import flush_denormals
from .chain_spec import StepSpec
from .analysis import AnalysisStage
from .automation import NEURAL_TICK_S, PEDALBOARD_TICK_S, AutomatedStage, Curve, tick_samples
from .devices import resolve_device
from .registry import PluginHost
from .watermark_stages import EmbedStage, WatermarkStep, detect_stage
from .stages import (PEDALBOARD_BLOCK, EffectStage, PedalboardStage, PerChannelStage, ResampleStage, ShiftStage, Stage,
                     TorchSegment, UpmixStage, WindowedPedalboardStage, resample_round_trip_lag)

DEFAULT_TAIL_CAP = 10.0


def instantiate(host: PluginHost, specs: Sequence[StepSpec]) -> list[Any]:
    """Create and validate every step before any audio is read.

    Classifiers become analysis steps; a watermarker embeds when the step gives ``message=HEX`` and
    detects (an analysis step) when it does not.
    """
    effects: list[Any] = []
    for spec in specs:
        params = dict(spec.params)
        try:
            marks = ":" not in spec.ref and issubclass(host.plugin_class(spec.ref), Watermarker)
            message = params.pop("message", None) if marks else None
            plugin = host.create(spec.ref, params)
            if isinstance(plugin, Watermarker):
                if message is not None and plugin.embedder(str(message)) is None:
                    plugin.embed(np.zeros((1, 1), dtype=np.float32), str(message))  # the plugin checks the message
                effects.append(WatermarkStep(plugin, None if message is None else str(message)))
                continue
        except SynthHostError as exc:
            raise type(exc)(f"{spec.where}: {exc}" if spec.where else str(exc)) from None
        if not isinstance(plugin, (Effect, Classifier)):
            raise ChainError(f"{spec.where}: {spec.ref!r} is a {plugin.kind}; chain steps are effects, "
                             "classifiers and watermarkers")
        effects.append(plugin)
    return effects


def _nearest_rate(rates: Sequence[int], rate: int) -> int:
    return min(rates, key=lambda r: (abs(r - rate), -r))


class Chain:
    """Effects prepared for one stream format; ``push`` blocks through, then drain with silence."""

    def __init__(self, effects: Sequence[Effect], sample_rate: int, channels: int,
                 block_size: int = 8192, device: str = "auto", compensate_latency: bool = True,
                 automation: Mapping[int, Sequence[Curve]] | None = None, tick_s: float | None = None,
                 time_offset: float = 0.0) -> None:
        """``automation`` maps a step's index in ``effects`` to its curves; ``time_offset`` is where this
        stream starts on the curves' timeline."""
        self.effects = list(effects)
        self.compensate_latency = compensate_latency
        self.automation = {i: list(c) for i, c in (automation or {}).items() if c}
        self.tick_s, self.time_offset = tick_s, time_offset
        self.sample_rate = sample_rate
        self.in_channels = channels
        self.block_size = block_size
        needs_torch = any(getattr(e, "backend", "torch") == "torch" for e in self.effects)
        self.device = resolve_device(device) if needs_torch else "cpu"
        self.stages: list[Stage] = []
        self.out_channels = self._build()

    # -- building ----------------------------------------------------------

    def _build(self) -> int:
        channels = self.channels = self.in_channels
        run: list[PedalboardEffect] = []
        torch_run: list[EffectStage] = []

        def close_runs() -> None:
            if run:
                self.stages.append(PedalboardStage(run[:], self.sample_rate))
                run.clear()
            if torch_run:
                self.stages.append(TorchSegment(torch_run[:], self.device))
                torch_run.clear()

        for index, effect in enumerate(self.effects):
            if index in self.automation:
                check_curves(effect, self.automation[index])
            if isinstance(effect, Classifier):
                close_runs()
                effect.prepare(self.sample_rate, channels, self.block_size, self.device)
                self.stages.append(AnalysisStage(effect, self.sample_rate))
                continue
            if isinstance(effect, WatermarkStep):
                close_runs()
                effect.plugin.prepare(self.sample_rate, channels, self.block_size, self.device)
                self.stages.append(detect_stage(effect.plugin, self.sample_rate) if effect.message is None
                                   else EmbedStage(effect.plugin, effect.message, self.sample_rate, channels))
                continue
            info = effect.info
            rate = self.sample_rate
            if info.sample_rates and rate not in info.sample_rates:
                rate = _nearest_rate(info.sample_rates, self.sample_rate)
            accepted = info.channels
            per_channel = False
            if accepted and channels not in accepted:
                if 1 in accepted:
                    per_channel = True
                elif channels == 1 and 2 in accepted:
                    close_runs()
                    self.stages.append(UpmixStage())
                    channels = 2
                else:
                    raise ChainError(
                        f"{info.id}: accepts {', '.join(map(str, accepted))} channel(s), the audio has {channels}")
            plain = rate == self.sample_rate and not per_channel and index not in self.automation
            if plain and isinstance(effect, PedalboardEffect) and effect.streams:
                if torch_run:
                    close_runs()
                effect.prepare(rate, channels, self.block_size, "cpu")
                run.append(effect)
                continue
            if plain and effect.backend == "torch":
                if run:
                    close_runs()
                effect.prepare(rate, channels, self.block_size, self.device)
                torch_run.append(EffectStage(effect, self.compensate_latency))
                continue
            close_runs()
            tick = None
            if index in self.automation:
                default = NEURAL_TICK_S if effect.backend == "torch" else PEDALBOARD_TICK_S
                tick = tick_samples(rate, self.tick_s or default)
            instances = [effect] + [type(effect)(**effect.params) for _ in range(channels - 1 if per_channel else 0)]
            stages = [self._single_stage(e, rate, 1 if per_channel else channels, tick) for e in instances]
            stage = PerChannelStage(stages) if per_channel else stages[0]
            if tick is not None:
                stage = automate(stage, instances, self.automation[index], rate, tick, self.time_offset)
            if rate != self.sample_rate:
                self.stages.append(ResampleStage(self.sample_rate, rate, channels))
                self.stages.append(stage)
                self.stages.append(ResampleStage(rate, self.sample_rate, channels))
                lag = resample_round_trip_lag(self.sample_rate, rate)
                if lag:
                    self.stages.append(ShiftStage(lag))
            else:
                self.stages.append(stage)
            channels = effect.output_channels(channels)
        close_runs()
        return channels

    def _single_stage(self, effect: Effect, rate: int, channels: int, tick: int | None = None) -> Stage:
        device = self.device if effect.backend == "torch" else "cpu"
        effect.prepare(rate, channels, self.block_size, device)
        if isinstance(effect, PedalboardEffect):
            if effect.streams:  # an automated step runs tick by tick, so its changes land on the tick grid
                return PedalboardStage([effect], rate, tick or PEDALBOARD_BLOCK)
            return WindowedPedalboardStage(effect, rate)
        stage = EffectStage(effect, self.compensate_latency)
        return TorchSegment([stage], device) if effect.backend == "torch" else stage

    # -- running -----------------------------------------------------------

    def tail_seconds(self, cap: float = DEFAULT_TAIL_CAP) -> float:
        """Declared tails add up in series; the default render caps them."""
        total = sum(e.tail_seconds() for e in self.effects if isinstance(e, Effect))
        return min(total, cap) if math.isfinite(total) else cap

    @property
    def drain_limit(self) -> int:
        return sum(s.drain_samples for s in self.stages) + self.sample_rate

    def push(self, block: np.ndarray) -> np.ndarray:
        for stage in self.stages:
            # subnormals slow the next DSP 10-100x: the next stage's, or a bus's that this chain feeds
            block = flush_denormals(stage.push(block))
        return block

    def reset(self) -> None:
        for stage in self.stages:
            stage.reset()

    def process(self, audio: np.ndarray, tail_seconds: float = 0.0) -> np.ndarray:
        """Whole-buffer convenience: aligned output of ``len(audio) + tail`` samples."""
        from .render import run_stream

        self.reset()
        out: list[np.ndarray] = []
        run_stream(self, iter([audio]), out.append, tail_seconds)
        return np.concatenate(out, axis=-1) if out else audio[:, :0]

    def finish(self, frames: int) -> None:
        """End of stream: analysis steps classify what they still hold of the first ``frames``."""
        for stage in self.stages:
            if isinstance(stage, AnalysisStage):
                stage.finish(frames)

    def analysis(self) -> dict[str, Any]:
        """Each analysis step's result, keyed by plugin id (``id#2`` for a repeated id)."""
        out: dict[str, Any] = {}
        for stage in self.stages:
            if isinstance(stage, AnalysisStage):
                key, n = stage.plugin.info.id, 2
                while key in out:
                    key, n = f"{stage.plugin.info.id}#{n}", n + 1
                out[key] = stage.result().to_dict()
        return out

    def describe(self) -> list[str]:
        return [s.name for s in self.stages]


def effect_id(effect: Any) -> str:
    return (effect.plugin if isinstance(effect, WatermarkStep) else effect).info.id


def check_curves(effect: Any, curves: Sequence[Curve]) -> None:
    """Every curve names an automatable parameter of ``effect`` and every point is in its range."""
    if isinstance(effect, (Classifier, WatermarkStep)):
        raise ChainError(f"{effect_id(effect)}: analysis and watermark steps have no automatable parameters")
    declared = {p.name: p for p in effect.parameters}
    owner = effect.info.id
    for curve in curves:
        p = declared.get(curve.param)
        if p is None:
            raise ChainError(f"{owner}: no parameter {curve.param!r} to automate "
                             f"(parameters: {', '.join(declared) or 'none'})")
        if not p.automatable or p.type == "str":
            raise ChainError(f"{owner}: parameter {curve.param!r} cannot be automated")
        for value in curve.values:
            _coerce(p, value, owner)


def automate(stage: Stage, instances: Sequence[Effect], curves: Sequence[Curve], rate: int, tick: int,
             time_offset: float) -> AutomatedStage:
    """Wrap ``stage`` so every instance (one per channel for dual mono) follows ``curves`` (already checked)."""
    declared = {p.name: p for p in instances[0].parameters}
    owner = instances[0].info.id

    def apply(name: str, value: Any) -> None:
        for effect in instances:
            effect.set_parameter(name, value)

    return AutomatedStage(stage, curves, apply, rate, tick, lambda name, v: _coerce(declared[name], v, owner),
                          time_offset)


def _coerce(p: Any, value: float, owner: str) -> Any:
    if p.type == "int":
        value = int(round(value))
    elif p.type == "bool":
        value = bool(value >= 0.5)
    return p.coerce(value, owner)


def build_chain(host: PluginHost, specs: Sequence[StepSpec], sample_rate: int, channels: int,
                block_size: int = 8192, device: str = "auto", automation: Mapping[int, Sequence[Curve]] | None = None,
                tick_s: float | None = None, time_offset: float = 0.0) -> Chain:
    return Chain(instantiate(host, specs), sample_rate, channels, block_size, device, automation=automation,
                 tick_s=tick_s, time_offset=time_offset)



"""What the validator exercises: a factory of plugin instances, and how to run one of each kind.

Effects run through the host's own :class:`~host.chain.Chain`, so a plugin is checked
exactly as users will run it (fixed block sizes, receptive-field context, pedalboard
fusion). ``compensate_latency=False`` exposes the raw delay for the latency check.
"""

from __future__ import annotations

import random
import tempfile
from typing import Any, Callable, Iterator

import numpy as np

from plugin_specs import Note, Parameter, Plugin
from plugin_specs.base import KIND_CLASSES

Factory = Callable[[dict[str, Any]], Plugin]


class Subject:
    """A plugin under test: ``make(**params)`` gives a fresh instance."""

    def __init__(self, factory: Factory, params: dict[str, Any] | None = None,
                 cls: type[Plugin] | None = None) -> None:
        self.factory = factory
        self.workdir = tempfile.TemporaryDirectory(prefix="synth-host-validate-")
        examples = cls.example_params(self.workdir.name) if cls is not None else {}
        self.base_params = {**examples, **(params or {})}
        self.prototype = factory(dict(self.base_params))
        cls = type(self.prototype)
        self.kind = self.prototype.kind
        self.info = self.prototype.info
        self.parameters: tuple[Parameter, ...] = tuple(cls.parameters)
        self.module = cls.__module__
        self.scheme_ref = ":" in self.info.id

    @classmethod
    def of_class(cls, plugin_cls: type[Plugin], params: dict[str, Any] | None = None) -> "Subject":
        return cls(lambda values: plugin_cls(**values), params, plugin_cls)

    @classmethod
    def from_host(cls, host: Any, ref: str, params: dict[str, Any] | None = None) -> "Subject":
        """``ref`` is a plugin id or a ``scheme:REF`` step such as ``vst3:PATH``."""
        plugin_cls = host.plugin_class(ref) if ref in host.records else None
        return cls(lambda values: host.create(ref, values), params, plugin_cls)

    @property
    def id(self) -> str:
        return self.info.id

    def make(self, **overrides: Any) -> Plugin:
        return self.factory({**self.base_params, **overrides})

    def close(self) -> None:
        self.workdir.cleanup()

    def __enter__(self) -> "Subject":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- parameter values --------------------------------------------------------

    def fuzzable(self) -> list[Parameter]:
        """Parameters the validator can choose values for (free strings cannot be guessed)."""
        return [p for p in self.parameters if _choosable(p)]

    def random_params(self, rng: random.Random) -> dict[str, Any]:
        return {p.name: random_value(p, rng) for p in self.fuzzable()}

    # -- formats -----------------------------------------------------------------

    def rates(self, strictness: int) -> list[int]:
        if self.info.sample_rates:
            return list(self.info.sample_rates)
        if strictness >= 7:
            return [22050, 44100, 48000, 96000]
        return [44100, 48000] if strictness >= 5 else [48000]

    def default_rate(self) -> int:
        rates = self.info.sample_rates
        return 48000 if not rates or 48000 in rates else rates[0]

    def channel_counts(self) -> list[int]:
        return list(self.info.channels) if self.info.channels else [1, 2]

    def default_channels(self) -> int:
        counts = self.channel_counts()
        return 2 if 2 in counts else counts[0]

    def uses_torch(self) -> bool:
        return getattr(self.prototype, "backend", "") == "torch" or self.kind != "effect"


def _choosable(p: Parameter) -> bool:
    if p.choices:
        return True
    if p.type == "bool":
        return True
    return p.type in ("float", "int") and p.minimum is not None and p.maximum is not None


def random_value(p: Parameter, rng: random.Random) -> Any:
    """A random legal value: log-uniform for wide positive ranges, uniform otherwise."""
    if p.choices:
        return rng.choice(list(p.choices))
    if p.type == "bool":
        return rng.random() < 0.5
    lo, hi = float(p.minimum), float(p.maximum)  # type: ignore[arg-type]
    if lo > 0 and hi / lo > 100:
        value = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    else:
        value = rng.uniform(lo, hi)
    if p.type == "int":
        return int(min(max(round(value), lo), hi))
    return min(max(value, lo), hi)


def other_values(p: Parameter, current: Any) -> list[Any]:
    """Values far from ``current`` (the range's ends and its middle), to show the parameter matters."""
    if p.choices:
        return [c for c in p.choices if c != current]
    if p.type == "bool":
        return [not current]
    if p.minimum is None or p.maximum is None:
        return []
    lo, hi = p.minimum, p.maximum
    middle = (lo * hi) ** 0.5 if lo > 0 and hi / lo > 100 else 0.5 * (lo + hi)
    values = [lo, hi, middle]
    if p.type == "int":
        values = [int(round(v)) for v in values]
    else:
        values = [float(v) for v in values]
    return [v for i, v in enumerate(values) if v != current and v not in values[:i]]


def automation_move(p: Parameter, current: Any) -> Any | None:
    """A typical automation move: an octave for frequencies, a quarter of the range otherwise."""
    if p.type not in ("float", "int") or p.minimum is None or p.maximum is None or p.choices:
        return None
    lo, hi = float(p.minimum), float(p.maximum)
    if p.unit == "Hz" and current > 0:
        value = current * 2 if current * 2 <= hi else current / 2
    else:
        step = 0.25 * (hi - lo)
        value = current + step if current + step <= hi else current - step
    value = min(max(value, lo), hi)
    if p.type == "int":
        value = int(round(value))
    return None if value == current else value


# -- running one instance, per kind ---------------------------------------------------


def blocks_of(audio: np.ndarray, block: int, at: int | None = None,
              action: Callable[[], None] | None = None) -> Iterator[np.ndarray]:
    """Cut ``audio`` into blocks, calling ``action`` just before the block starting at ``at``."""
    for start in range(0, audio.shape[-1], block):
        if action is not None and start == at:
            action()
        yield audio[:, start : start + block]


TEST_MESSAGE = "a5c3"


def message_for(bits: int) -> str:
    """The hex message the validator embeds: ``bits // 4`` digits."""
    return (TEST_MESSAGE * (bits // 16 + 1))[: bits // 4]


def test_notes(seconds: float) -> list[Note]:
    """A short phrase: a rising line with one chord, ending before ``seconds``."""
    step = seconds / 6
    line = [Note(i * step, 0.8 * step, 60 + 2 * i, 60 + 10 * i) for i in range(4)]
    return line + [Note(4 * step, step, pitch, 90) for pitch in (48, 55, 64)]


class Runner:
    """One prepared instance at one format; ``run`` resets it and processes a whole input."""

    def __init__(self, plugin: Plugin, sample_rate: int, channels: int, block_size: int = 8192,
                 device: str = "cpu", compensate_latency: bool = True) -> None:
        self.plugin = plugin
        self.sample_rate = sample_rate
        self.channels = channels
        self.block_size = block_size
        self.chain = None
        if plugin.kind == "effect":
            from host.chain import Chain

            self.chain = Chain([plugin], sample_rate, channels, block_size, device, compensate_latency)  # type: ignore[list-item]
        else:
            plugin.prepare(sample_rate, channels, block_size, device)

    def run(self, audio: np.ndarray, tail: float = 0.0, at: int | None = None,
            action: Callable[[], None] | None = None, seed: int = 0, reset: bool = True,
            pace: Callable[[Iterator[np.ndarray]], Iterator[np.ndarray]] | None = None) -> Any:
        """Effects: aligned output (plus ``tail`` seconds). Others: their natural result.

        ``reset=False`` is for worker threads: VST3 plugins may only be reset on the main thread.
        ``pace`` wraps the block iterator, to interleave two runners block by block.
        """
        p = self.plugin
        if self.chain is not None:
            from host.render import run_stream

            if reset:
                self.chain.reset()
            out: list[np.ndarray] = []
            blocks = blocks_of(audio, self.block_size, at, action)
            run_stream(self.chain, pace(blocks) if pace else blocks, out.append, tail)
            return np.concatenate(out, axis=-1) if out else audio[:, :0]
        if reset:
            p.reset()
        if p.kind == "generator":  # both its default material and a short phrase of notes
            seconds = audio.shape[-1] / self.sample_rate
            free = np.asarray(p.generate(seconds, self.sample_rate, seed=seed))  # type: ignore[attr-defined]
            p.reset()
            played = np.asarray(p.generate(seconds, self.sample_rate, seed=seed, notes=test_notes(seconds)))  # type: ignore[attr-defined]
            return np.concatenate([free, played], axis=-1) if free.ndim == played.ndim == 2 else free
        if p.kind == "watermark":
            return np.asarray(p.embed(audio, message_for(p.message_bits)))  # type: ignore[attr-defined]
        return p.classify(audio)  # type: ignore[attr-defined]


def comparable(result: Any) -> np.ndarray:
    """Any kind's result as a flat float array, so checks can compare results alike."""
    if isinstance(result, np.ndarray):
        return result.astype(np.float64).ravel()
    if hasattr(result, "scores"):
        seg = [v for s in result.segments for v in (s.start, s.end, s.confidence, hash(s.label) % 997)]
        return np.asarray([result.scores[k] for k in sorted(result.scores)] + seg, dtype=np.float64)
    if hasattr(result, "detected"):
        return np.asarray([float(result.detected), result.score], dtype=np.float64)
    return np.asarray(result, dtype=np.float64).ravel()


def kind_class(kind: str) -> type[Plugin]:
    return KIND_CLASSES[kind]

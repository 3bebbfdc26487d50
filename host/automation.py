"""Parameter automation: curves of time/value points, applied to any chain step between control ticks.

Plugins take parameter changes only between ``process`` calls, so an automated step is run in ticks on a
fixed grid from the start of its stream, and before each tick the step gets the curve's value at the tick's
first sample. The change therefore lands on a known sample whatever the caller's block size, and the output
does not depend on it. Ticks are 1 ms for pedalboard and VST3 steps, whose parameters jump, and 10 ms for
neural steps, which smooth their own. A jump in a curve (two points at one time) becomes a linear ramp of
``RAMP_S``, so no single tick changes much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from plugin_specs import ChainError

from .arrays import cat, empty_like, length
from .stages import Stage

RAMP_S = 0.05  #: a jump in a curve is spread over this long
PEDALBOARD_TICK_S = 0.001  #: pedalboard and VST3 steps cannot smooth a change themselves: small steps
NEURAL_TICK_S = 0.010  #: neural steps smooth their own parameters (the validator checks it)
MAX_TICK_S = 0.010


@dataclass(frozen=True)
class Curve:
    """Time (s) / value points; ``shape`` linear or exponential between them, held flat outside them."""

    param: str
    times: tuple[float, ...]
    values: tuple[float, ...]
    shape: str = "linear"

    @classmethod
    def parse(cls, param: str, points: Any, shape: str = "linear", where: str = "") -> "Curve":
        """Check and normalise points as written; a repeated time is a jump, smoothed into a ramp."""
        where = where or f"automation of {param!r}"
        if shape not in ("linear", "exponential"):
            raise ChainError(f"{where}: curve = {shape!r}; use 'linear' or 'exponential'")
        if not isinstance(points, (list, tuple)) or not points:
            raise ChainError(f"{where}: points must be a non-empty list of [time, value] pairs")
        times: list[float] = []
        values: list[float] = []
        for i, point in enumerate(points):
            if (not isinstance(point, (list, tuple)) or len(point) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
                raise ChainError(f"{where}: point {i + 1} must be [time, value] numbers, got {point!r}")
            t, v = float(point[0]), float(point[1])
            if not (math.isfinite(t) and math.isfinite(v)):
                raise ChainError(f"{where}: point {i + 1} is not finite")
            if t < 0:
                raise ChainError(f"{where}: point {i + 1} is at {t} s; times start at 0")
            if times and t < times[-1]:
                raise ChainError(f"{where}: point {i + 1} at {t} s comes before the previous one at {times[-1]} s")
            if shape == "exponential" and (v == 0 or (values and (v > 0) != (values[0] > 0))):
                raise ChainError(f"{where}: exponential curves need non-zero values of one sign, got {v}")
            if times and t == times[-1]:
                if len(times) > 1 and times[-2] == t:
                    raise ChainError(f"{where}: three points at {t} s")
                times[-1] = max(t - RAMP_S / 2, times[-2] if len(times) > 1 else 0.0)
                t = times[-1] + RAMP_S
            times.append(t)
            values.append(v)
        return cls(param, tuple(times), tuple(values), shape)

    @property
    def end(self) -> float:
        return self.times[-1]

    def at(self, t: Any) -> Any:
        """Value(s) at time(s) ``t`` in seconds; vectorised."""
        times, values = np.asarray(self.times), np.asarray(self.values)
        if self.shape == "linear":
            return np.interp(t, times, values)
        return np.sign(values[0]) * np.exp(np.interp(t, times, np.log(np.abs(values))))

    def value(self, t: float) -> float:
        return float(self.at(t))


def tick_samples(sample_rate: int, tick_s: float) -> int:
    if not 0 < tick_s <= MAX_TICK_S:
        raise ChainError(f"automation tick {tick_s * 1000:g} ms: must be above 0 and at most 10 ms")
    return max(1, int(sample_rate * tick_s))


class AutomatedStage(Stage):
    """Runs ``inner`` in ticks on a fixed grid, calling ``apply(name, value)`` before each tick for each curve.

    ``time_offset`` is the stream's start on the curves' timeline (a track placed at 12 s starts there).
    """

    def __init__(self, inner: Stage, curves: Sequence[Curve], apply: Callable[[str, Any], None],
                 sample_rate: int, tick: int, coerce: Callable[[str, float], Any] = lambda _, v: v,
                 time_offset: float = 0.0) -> None:
        self.inner, self.curves, self.apply, self.coerce = inner, list(curves), apply, coerce
        self.sample_rate, self.tick, self.time_offset = sample_rate, tick, time_offset
        self.name = f"{inner.name} (automated: {', '.join(c.param for c in curves)})"
        self.drain_samples = inner.drain_samples + tick
        self.position = 0

    def _set(self, position: int) -> None:
        t = self.time_offset + position / self.sample_rate
        for curve in self.curves:
            self.apply(curve.param, self.coerce(curve.param, curve.value(t)))

    def push(self, block: Any) -> Any:
        outs, n, i = [], length(block), 0
        while i < n:
            into_tick = self.position % self.tick
            if into_tick == 0:
                self._set(self.position)
            take = min(self.tick - into_tick, n - i)
            outs.append(self.inner.push(block[..., i : i + take]))
            i += take
            self.position += take
        return cat(outs) if outs else empty_like(block)

    def reset(self) -> None:
        self.inner.reset()
        self.position = 0

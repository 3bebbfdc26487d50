"""Loudness (ITU-R BS.1770 / EBU R 128) measured while streaming, and normalisation to a target.

libebur128, through pyebur128, measures integrated loudness and 4x-oversampled true peak block by block,
so a ten-minute mix costs no more memory than a ten-second one. The tests check it against pyloudnorm's
whole-buffer measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .arrays import interleave

#: pedalboard's Limiter is a sample-peak limiter; this much headroom under the true-peak ceiling is the
#: first guess for its threshold, and the pass is repeated lower if the measured true peak still exceeds it.
FIRST_MARGIN_DB = 0.3
LOUDNESS_TOLERANCE_LU = 0.1


def db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else -math.inf


class LoudnessMeter:
    """Integrated loudness, sample peak and true peak of a stream of ``(channels, samples)`` blocks."""

    def __init__(self, sample_rate: int, channels: int, true_peak: bool = True) -> None:
        """``true_peak=False`` skips the 4x oversampling, a quarter of the cost, when no ceiling is at stake."""
        import pyebur128 as eb

        self.channels, self.true_peak = channels, true_peak
        mode = eb.MeasurementMode
        # the sample peak is numpy's max/min, cheaper than libebur128's own per-sample tracking
        self.state = eb.R128State(channels, sample_rate, mode.MODE_I | (mode.MODE_TRUE_PEAK if true_peak else 0))
        self.frames = 0
        self.peak = 0.0

    def add(self, block: np.ndarray) -> None:
        if block.shape[-1]:
            self.state.add_frames(interleave(block), block.shape[-1])
            self.peak = max(self.peak, float(block.max()), -float(block.min()))
            self.frames += block.shape[-1]

    def result(self) -> "Loudness":
        import pyebur128 as eb

        lufs = eb.get_loudness_global(self.state) if self.frames else -math.inf
        true = max((eb.get_true_peak(self.state, c) for c in range(self.channels)), default=0.0) \
            if self.true_peak else math.nan
        lufs = float(lufs) if math.isfinite(lufs) else -math.inf
        return Loudness(lufs, db(self.peak), db(max(true, self.peak)) if self.true_peak else math.nan)


@dataclass(frozen=True)
class Loudness:
    lufs: float
    sample_peak_db: float
    true_peak_db: float

    def to_dict(self) -> dict[str, Any]:
        def clean(v: float) -> float | None:
            return round(v, 3) if math.isfinite(v) else None

        out = {"lufs": clean(self.lufs), "sample_peak_dbfs": clean(self.sample_peak_db)}
        if not math.isnan(self.true_peak_db):
            out["true_peak_dbtp"] = clean(self.true_peak_db)
        return out


class Normaliser:
    """Gain to a loudness target, then a limiter when the gain would push the true peak over the ceiling."""

    def __init__(self, sample_rate: int, gain_db: float, limit_db: float | None) -> None:
        self.gain = 10 ** (gain_db / 20)
        self.gain_db, self.limit_db = gain_db, limit_db
        self.limiter = None
        if limit_db is not None:
            import pedalboard

            self.limiter = pedalboard.Limiter(threshold_db=limit_db, release_ms=60.0)
            self.makeup = np.float32(10 ** (limit_db / 20))  # JUCE's limiter scales its threshold up to 0 dBFS
        self.sample_rate = sample_rate

    def process(self, block: np.ndarray) -> np.ndarray:
        out = block * np.float32(self.gain)
        if self.limiter is not None and out.shape[-1]:
            out = self.limiter.process(out, self.sample_rate, reset=False) * self.makeup  # no look-ahead: no latency
        return out


@dataclass(frozen=True)
class NormalisationPlan:
    gain_db: float
    limit_db: float | None
    result: Loudness
    passes: int


def plan_normalisation(measured: Loudness, target_lufs: float, ceiling_db: float,
                       replay: Callable[[], Iterable[np.ndarray]], sample_rate: int, channels: int,
                       max_passes: int = 6) -> NormalisationPlan:
    """Find a gain and limiter threshold that land within 0.1 LU of the target with the true peak under
    the ceiling. ``replay`` streams the un-normalised mix again for each trial (it lives in a temporary file).
    """
    if not math.isfinite(measured.lufs):
        return NormalisationPlan(0.0, None, measured, 0)  # silence stays silence
    gain = target_lufs - measured.lufs
    if measured.true_peak_db + gain <= ceiling_db:
        return NormalisationPlan(gain, None, Loudness(target_lufs, measured.sample_peak_db + gain,
                                                      measured.true_peak_db + gain), 0)
    limit = ceiling_db - FIRST_MARGIN_DB
    result = measured
    for passes in range(1, max_passes + 1):
        meter = LoudnessMeter(sample_rate, channels)
        normaliser = Normaliser(sample_rate, gain, limit)
        for block in replay():
            meter.add(normaliser.process(block))
        result = meter.result()
        over = result.true_peak_db - ceiling_db
        short = target_lufs - result.lufs
        if over <= 0 and abs(short) <= LOUDNESS_TOLERANCE_LU:
            return NormalisationPlan(gain, limit, result, passes)
        if over > 0:
            limit -= over + 0.05
        gain += short  # limiting takes loudness away; give it back with gain before the limiter
    return NormalisationPlan(gain, limit, result, max_passes)


def tpdf_dither(blocks: Iterator[np.ndarray], subtype: str, seed: int) -> Iterator[np.ndarray]:
    """Triangular dither of one LSB peak at the output's bit depth, seeded so renders repeat exactly."""
    bits = {"PCM_16": 16, "PCM_24": 24}.get(subtype)
    rng = np.random.default_rng(seed)
    for block in blocks:
        if bits is None:
            yield block
            continue
        lsb = 1.0 / (1 << (bits - 1))
        noise = (rng.random(block.shape, dtype=np.float32) - rng.random(block.shape, dtype=np.float32)) * lsb
        yield block + noise

"""Checks for generators, watermarkers and classifiers: the contracts of their methods."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .common_checks import program
from .effect_checks import TINY, matrix_signals
from .registry import CheckFailed, Context, check
from .signals import make_signal
from .subject import Runner, message_for

def _audio_problems(y: Any, where: str, shape: tuple[int, ...] | None = None) -> list[str]:
    if not isinstance(y, np.ndarray):
        return [f"{where}: returned {type(y).__name__}, not a numpy array"]
    out = []
    if shape is not None and y.shape != shape:
        out.append(f"{where}: shape {y.shape}, expected {shape}")
    if y.dtype != np.float32:
        out.append(f"{where}: dtype {y.dtype}, expected float32")
    if not np.all(np.isfinite(y)):
        out.append(f"{where}: output holds NaN or Inf")
    elif np.any((y != 0) & (np.abs(y) < TINY)):
        out.append(f"{where}: output holds denormal numbers")
    return out


def _fail(problems: list[str]) -> None:
    if problems:
        raise CheckFailed(f"{problems[0]} ({len(problems)} problem(s))", problems=problems[:20])


# -- generators -------------------------------------------------------------------------


@check("generate-shape", 1, ("generator",))
def generate_shape(ctx: Context) -> str:
    """generate() returns finite float32 audio of exactly round(duration x rate) samples, not silence."""
    s, problems = ctx.subject, []
    for rate in s.rates(ctx.strictness):
        plugin = s.make()
        plugin.prepare(rate, s.default_channels(), 8192, "cpu")
        for duration in (0.1, 1.0, 2.37):
            y = plugin.generate(duration, rate, seed=1)  # type: ignore[attr-defined]
            where = f"{duration} s at {rate} Hz"
            n = int(round(duration * rate))
            if isinstance(y, np.ndarray) and (y.ndim != 2 or y.shape[-1] != n):
                problems.append(f"{where}: shape {y.shape}, expected (channels, {n})")
                continue
            problems += _audio_problems(y, where)
            if isinstance(y, np.ndarray) and duration >= 1.0 and not np.any(y):
                problems.append(f"{where}: output is silent at default parameters")
    _fail(problems)
    return f"{len(s.rates(ctx.strictness))} rate(s) x 3 durations"


@check("seed-determinism", 2, ("generator",))
def seed_determinism(ctx: Context) -> dict[str, Any]:
    """The same seed gives identical audio in fresh instances; different seeds give different audio."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    silence = np.zeros((ch, rate), dtype=np.float32)
    a = Runner(s.make(), rate, ch).run(silence, seed=11)
    b = Runner(s.make(), rate, ch).run(silence, seed=11)
    if not np.array_equal(a, b):
        raise CheckFailed(f"seed 11 gave different audio in two instances (max diff {np.max(np.abs(a - b)):.3g})")
    varies = not np.array_equal(a, Runner(s.make(), rate, ch).run(silence, seed=12))
    return {"message": "same seed, same audio" + ("; seeds vary the output" if varies else "; output ignores seed"),
            "seed_varies": varies}


# -- watermarkers ------------------------------------------------------------------------


@check("embed-shape", 1, ("watermark",))
def embed_shape(ctx: Context) -> str:
    """embed() keeps shape and dtype for every channel count and rate, and its output is finite."""
    s, problems = ctx.subject, []
    for rate in s.rates(ctx.strictness):
        for ch in s.channel_counts():
            for name in matrix_signals(ctx.strictness):
                x = make_signal(name, seconds=1.0, sample_rate=rate, channels=ch)
                y = Runner(s.make(), rate, ch).run(x)
                problems += _audio_problems(y, f"{name}, {ch} ch at {rate} Hz", x.shape)
    _fail(problems)
    return "shape, dtype and values clean"


def _prepared_watermarker(ctx: Context) -> tuple[Any, int, int, str]:
    """A fresh instance prepared at the subject's default format, with a test message of its width."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    plugin = s.make()
    plugin.prepare(rate, ch, 8192, "cpu")
    return plugin, rate, ch, message_for(plugin.message_bits)  # type: ignore[attr-defined]


@check("watermark-roundtrip", 1, ("watermark",))
def watermark_roundtrip(ctx: Context) -> dict[str, Any]:
    """A marked clip is detected with its message; unmarked noise, tones and silence are not."""
    plugin, rate, ch, message = _prepared_watermarker(ctx)
    x = np.tile(program(rate, ch, 1.0, seed=9), (1, 4))
    found = plugin.detect(plugin.embed(x, message))  # type: ignore[attr-defined]
    if not found.detected:
        raise CheckFailed(f"mark not detected in a freshly marked clip (score {found.score:.3f})")
    if found.message is None or found.message.lower() != message:
        raise CheckFailed(f"decoded message {found.message!r}, embedded {message!r}")
    false = []
    for name in ("noise", "sine", "silence"):
        clean = plugin.detect(make_signal(name, seconds=4.0, sample_rate=rate, channels=ch))  # type: ignore[attr-defined]
        if clean.detected:
            false.append(f"{name} (score {clean.score:.3f})")
    if false:
        raise CheckFailed(f"detected a mark in unmarked {', '.join(false)}")
    return {"message": f"message {message} recovered, score {found.score:.3f}", "score": found.score}


@check("embed-streaming", 2, ("watermark",))
def embed_streaming(ctx: Context) -> dict[str, Any]:
    """A streaming embedder, if the plugin offers one, gives embed()'s samples for any block sizes, in time."""
    plugin, rate, ch, message = _prepared_watermarker(ctx)
    stream = plugin.embedder(message, ch)  # type: ignore[attr-defined]
    if stream is None:
        return {"message": "no streaming embedder: chains embed it in 30 s windows", "streams": False}
    x = np.tile(program(rate, ch, 1.0, seed=5), (1, 6))
    whole = np.asarray(plugin.embed(x, message))  # type: ignore[attr-defined]
    sizes = [1, 777, 4096, 30011]
    outs, start, k = [], 0, 0
    while start < x.shape[1]:
        size = sizes[k % len(sizes)]
        outs.append(np.asarray(stream.process(x[:, start : start + size])))
        start, k = start + size, k + 1
    bound = int(stream.latency_bound)
    fed = 0
    while sum(o.shape[1] for o in outs) < x.shape[1]:
        if fed > bound:
            raise CheckFailed(f"output still short after {fed} samples of silence (latency_bound {bound})")
        outs.append(np.asarray(stream.process(np.zeros((ch, 4096), dtype=np.float32))))
        fed += 4096
    streamed = np.concatenate(outs, axis=1)[:, : x.shape[1]]
    diff = float(np.max(np.abs(streamed - whole)))
    if diff > 1e-5:
        raise CheckFailed(f"streamed embed differs from embed() by up to {diff:.3g} (blocks of 1 to 30011 samples)")
    return {"message": f"streamed in blocks of 1 to 30011 samples: max difference {diff:.3g}", "streams": True}


@check("transparency", 3, ("watermark",))
def transparency(ctx: Context) -> dict[str, Any]:
    """The mark is at least 20 dB below the audio it marks."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    x = np.tile(program(rate, ch, 1.0, seed=9), (1, 3))
    y = Runner(s.make(), rate, ch).run(x)
    residual = float(np.sum((y - x) ** 2))
    snr = 10 * math.log10(float(np.sum(x**2)) / residual) if residual > 0 else math.inf
    if snr < 20.0:
        raise CheckFailed(f"mark is only {snr:.1f} dB below the audio (needs 20 dB)", snr_db=snr)
    return {"message": f"SNR {snr:.1f} dB", "snr_db": snr}


# -- classifiers ------------------------------------------------------------------------


@check("classify-result", 1, ("classifier",))
def classify_result(ctx: Context) -> str:
    """classify() scores exactly the declared labels in [0, 1], with segments inside the clip."""
    s, problems = ctx.subject, []
    labels = set(s.prototype.labels)  # type: ignore[attr-defined]
    for rate in s.rates(ctx.strictness):
        for ch in s.channel_counts():
            for name in matrix_signals(ctx.strictness):
                for seconds in (0.05, 1.5):
                    x = make_signal(name, seconds=seconds, sample_rate=rate, channels=ch)
                    result = Runner(s.make(), rate, ch).run(x)
                    where = f"{name} {seconds} s, {ch} ch at {rate} Hz"
                    problems += _result_problems(result, labels, seconds, where)
    _fail(problems)
    return f"{len(labels)} labels, results well formed"


def _result_problems(result: Any, labels: set[str], seconds: float, where: str) -> list[str]:
    scores = getattr(result, "scores", None)
    if not isinstance(scores, dict):
        return [f"{where}: returned {type(result).__name__}, not a ClassificationResult"]
    out = []
    if set(scores) != labels:
        out.append(f"{where}: scored labels {sorted(scores)} differ from declared {sorted(labels)}")
    for label, value in scores.items():
        if not (isinstance(value, float) and 0.0 <= value <= 1.0):
            out.append(f"{where}: score {label}={value!r} is not a float in [0, 1]")
    for seg in result.segments:
        if not (0.0 <= seg.start < seg.end <= seconds + 1e-3):
            out.append(f"{where}: segment {seg.start:.3f}-{seg.end:.3f} s lies outside the clip")
        if seg.label not in labels or not 0.0 <= seg.confidence <= 1.0:
            out.append(f"{where}: segment label {seg.label!r} or confidence {seg.confidence!r} invalid")
    return out

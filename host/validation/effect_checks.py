"""Effect checks: formats, block sizes, latency, tails and automation, all through the host's chain."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .common_checks import program
from .registry import CheckFailed, CheckSkipped, Context, check
from .signals import make_signal
from .subject import Runner, automation_move

EFFECT = ("effect",)
ALL_BLOCKS = [1 << k for k in range(5, 17)]  # 32 .. 65536
TINY = np.finfo(np.float32).tiny
LATENCY_SLACK = 2  # samples: resamplers inside codecs may round the delay by one or two
FLOOR_DB = -60.0


def block_sizes(strictness: int) -> list[int]:
    if strictness >= 7:
        return ALL_BLOCKS
    if strictness >= 5:
        return [32, 512, 8192, 65536]
    return [256, 8192] if strictness >= 3 else [8192]


def matrix_signals(strictness: int) -> list[str]:
    if strictness >= 5:
        return ["noise", "silence", "impulse", "dc", "full_scale"]
    return ["noise", "impulse", "silence"] if strictness >= 3 else ["noise"]


def _matrix(ctx: Context) -> dict[str, Any]:
    """Every rate x signal x block size, rendered once and shared by two checks."""
    s = ctx.subject
    blocks = block_sizes(ctx.strictness)
    problems: list[str] = []
    worst = 0.0
    renders = 0
    ch = s.default_channels()
    for rate in s.rates(ctx.strictness):
        frames = max(int(0.5 * rate), 3 * max(blocks) // 2)
        effect = s.make()
        for name in matrix_signals(ctx.strictness):
            x = make_signal(name, sample_rate=rate, channels=ch, frames=frames, seed=rate)
            whole = Runner(effect, rate, ch, block_size=frames).run(x)
            peak = max(1.0, float(np.max(np.abs(whole))) if whole.size else 1.0)
            for block in blocks:
                y = Runner(effect, rate, ch, block_size=block).run(x)
                renders += 1
                where = f"{name} at {rate} Hz, block {block}"
                if y.shape != x.shape:
                    problems.append(f"shape: {where}: output {y.shape} for input {x.shape}")
                    continue
                if not np.all(np.isfinite(y)):
                    problems.append(f"finite: {where}: output holds NaN or Inf")
                    continue
                if np.any((y != 0) & (np.abs(y) < TINY)):
                    problems.append(f"finite: {where}: output holds denormal numbers")
                diff = float(np.max(np.abs(y - whole))) / peak if y.size else 0.0
                worst = max(worst, diff)
                if diff > 1e-5:
                    problems.append(f"stream: {where}: differs from the whole-buffer render by {diff:.3g}")
    return {"problems": problems, "worst": worst, "renders": renders}


@check("io-shape", 1, EFFECT)
def io_shape(ctx: Context) -> str:
    """Output length equals input length and channels are as declared, for every channel count and rate."""
    s, seen = ctx.subject, []
    for rate in s.rates(ctx.strictness):
        for ch in s.channel_counts():
            effect = s.make()
            x = make_signal("noise", sample_rate=rate, channels=ch, frames=rate // 4 + 17)
            y = Runner(effect, rate, ch, block_size=1000).run(x)
            want = (effect.output_channels(ch), x.shape[-1])
            if y.shape != want:
                raise CheckFailed(f"{ch} channel(s) at {rate} Hz: output shape {y.shape}, expected {want}")
            if y.dtype != np.float32:
                raise CheckFailed(f"{ch} channel(s) at {rate} Hz: output dtype {y.dtype}, expected float32")
            seen.append(f"{ch}ch@{rate}")
    return ", ".join(seen)


@check("finite-output", 1, EFFECT)
def finite_output(ctx: Context) -> dict[str, Any]:
    """No NaN, Inf or denormal output, and the right shape, on every test signal, rate and block size."""
    m = ctx.memo("matrix", lambda: _matrix(ctx))
    bad = [p for p in m["problems"] if not p.startswith("stream:")]
    if bad:
        raise CheckFailed(f"{bad[0]} ({len(bad)} problem(s))", problems=bad[:20])
    return {"message": f"{m['renders']} renders clean", "renders": m["renders"]}


@check("block-size-invariance", 1, EFFECT)
def block_size_invariance(ctx: Context) -> dict[str, Any]:
    """Streaming at any block size from 32 to 65536 equals the whole-buffer render."""
    m = ctx.memo("matrix", lambda: _matrix(ctx))
    bad = [p for p in m["problems"] if p.startswith("stream:")]
    if bad:
        raise CheckFailed(f"{bad[0]} ({len(bad)} problem(s))", problems=bad[:20])
    return {"message": f"max difference {m['worst']:.2g} over {m['renders']} renders", "max_diff": m["worst"]}


def _response_window(y: np.ndarray, at: int) -> tuple[int, int] | None:
    """Earliest sample within 60 dB of the peak, and the first local maximum within 6 dB of it.

    A plugin's latency must lie between the two: that admits minimum-phase filters (peak
    after onset), linear-phase and resampling filters (pre-ringing before the peak) and
    pure delays (onset equals peak), and rejects any undeclared delay.
    """
    env = np.max(np.abs(y), axis=0)
    peak = float(env.max()) if env.size else 0.0
    if peak < 1e-6:
        return None
    first = int(np.argmax(env >= 1e-3 * peak))
    strong = np.nonzero(env >= 0.5 * peak)[0]
    k = int(strong[0])
    while k + 1 < len(env) and env[k + 1] >= env[k]:
        k += 1
    return first - at, k - at


def _xcorr_lag(x: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    a, b = x.mean(axis=0), y.mean(axis=0)
    n = 1 << int(math.ceil(math.log2(2 * len(a))))
    c = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    lag = int(np.argmax(np.abs(c[: len(a)])))
    norm = float(np.sqrt(np.sum(a * a) * np.sum(b * b))) or 1.0
    return lag, float(abs(c[lag]) / norm)


@check("latency", 3, EFFECT)
def latency(ctx: Context) -> dict[str, Any]:
    """Declared latency equals the delay measured with an impulse (cross-correlation if it is gated)."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    effect = s.make()
    runner = Runner(effect, rate, ch, compensate_latency=False)
    declared = effect.latency_samples()  # after prepare: latency may depend on the sample rate
    n = max(rate, 4 * declared + 8192)
    x = np.zeros((ch, n), dtype=np.float32)
    at = n // 4
    x[:, at] = 0.5
    y = runner.run(x)
    window = _response_window(y, at)
    method = "impulse"
    if window is None:
        noise = make_signal("noise", sample_rate=rate, channels=ch, frames=n) * 2.0
        lag, corr = _xcorr_lag(noise, Runner(effect, rate, ch, compensate_latency=False).run(noise))
        if corr < 0.1:
            raise CheckSkipped("no response correlated with the input; latency cannot be measured")
        window, method = (lag, lag), "cross-correlation"
    low, high = window
    if not low - LATENCY_SLACK <= declared <= high + LATENCY_SLACK:
        said = f"{low}" if low == high else f"between {low} and {high}"
        raise CheckFailed(f"declares {declared} samples of latency, measured {said} ({method})",
                          declared=declared, measured=[low, high])
    return {"message": f"{declared} samples; response onset {low}, peak {high} ({method})",
            "declared": declared, "measured": [low, high]}


@check("tail", 3, EFFECT)
def tail(ctx: Context) -> dict[str, Any]:
    """The declared tail covers the real one: 60 dB below peak (or -60 dBFS) 10 ms after it ends."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    effect = s.make()
    declared = effect.tail_seconds()
    if math.isinf(declared):
        raise CheckSkipped("declares an infinite tail at these settings")
    burst = int(0.25 * rate)
    x = make_signal("noise", sample_rate=rate, channels=ch, frames=burst, seed=5) * 1.5
    y = Runner(effect, rate, ch).run(x, tail=declared + 0.5)
    peak = float(np.max(np.abs(y)))
    after = burst + int((declared + 0.010) * rate)
    rest = float(np.max(np.abs(y[:, after:]))) if y.shape[-1] > after else 0.0
    level = 20 * math.log10(rest / peak) if rest > 0 and peak > 0 else -math.inf
    if level > FLOOR_DB and 20 * math.log10(rest) > FLOOR_DB:
        env = np.max(np.abs(y[:, burst:]), axis=0)
        real = (burst + int(np.nonzero(env > peak * 1e-3)[0][-1])) / rate - burst / rate
        raise CheckFailed(f"declares a {declared:.3f} s tail, but output is still {level:.1f} dB below peak "
                          f"after it; it rings for {real:.3f} s", declared=declared, measured=real)
    return {"message": f"{declared:.3f} s declared; {level:.0f} dB after it", "declared": declared}


@check("automation-clicks", 5, EFFECT)
def automation_clicks(ctx: Context) -> dict[str, Any]:
    """Moving each parameter mid-stream causes no click: no sample step larger than either setting makes."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    x = make_signal("sine", seconds=0.6, sample_rate=rate, channels=ch)
    at, settle, guard = int(0.3 * rate) // 512 * 512, int(0.05 * rate), int(0.02 * rate)
    clicks, moved = [], 0
    for p in s.parameters:
        current = s.base_params.get(p.name, p.default)
        value = automation_move(p, current)
        if value is None or p.name in s.base_params or not p.automatable:
            continue
        moved += 1
        before = Runner(s.make(), rate, ch, block_size=512).run(x)
        after = Runner(s.make(**{p.name: value}), rate, ch, block_size=512).run(x)
        effect = s.make()
        runner = Runner(effect, rate, ch, block_size=512)
        y = runner.run(x, at=at, action=lambda: effect.set_parameter(p.name, value))
        steady = max(_max_step(before[:, settle:]), _max_step(after[:, settle:]))
        jump = _max_step(y[:, at - guard : at + int(0.1 * rate)])
        if jump > 2.0 * steady + 1e-3:
            clicks.append(f"{p.name} {current}->{value}: step {jump:.3f} vs {steady:.3f} steady")
    if clicks:
        raise CheckFailed(f"click when automating {clicks[0]} ({len(clicks)} parameter(s))", clicks=clicks)
    return {"message": f"{moved} parameters automated without clicks"}


def _max_step(y: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(y, axis=-1)))) if y.shape[-1] > 1 else 0.0


@check("batch-independence", 3, EFFECT)
def batch_independence(ctx: Context) -> dict[str, Any]:
    """A ``batchable`` torch effect run on two streams stacked as one batch equals each run alone."""
    s = ctx.subject
    probe = s.make()
    if not probe.info.batchable:
        raise CheckSkipped("does not declare batchable")
    if probe.backend != "torch":
        raise CheckFailed("declares batchable, but only torch effects receive batches")
    import torch

    rate, ch = s.default_rate(), s.default_channels()
    signals = [make_signal(kind, seconds=0.3, sample_rate=rate, channels=ch) for kind in ("noise", "sine")]
    with torch.inference_mode():  # as the host runs torch segments
        alone = []
        for x in signals:
            effect = s.make()
            effect.prepare(rate, ch, 512, "cpu")
            alone.append(np.concatenate([effect.process(torch.from_numpy(x[None, :, i : i + 512])).numpy()[0]
                                         for i in range(0, x.shape[-1], 512)], axis=-1))
        effect = s.make()
        effect.prepare(rate, ch, 512, "cpu")
        both = np.stack(signals)
        together = np.concatenate([effect.process(torch.from_numpy(np.ascontiguousarray(both[..., i : i + 512])))
                                   .numpy() for i in range(0, both.shape[-1], 512)], axis=-1)
    worst = max(float(np.max(np.abs(together[k] - alone[k]))) for k in range(2))
    if worst > 1e-4:
        raise CheckFailed(f"batched rows differ from separate runs by up to {worst:.3g}: state leaks between rows",
                          max_diff=worst)
    return {"message": f"two streams in one batch equal separate runs (max difference {worst:.2g})",
            "max_diff": worst}

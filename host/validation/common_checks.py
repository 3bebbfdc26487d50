"""Checks every plugin kind gets: metadata, parameters, state, determinism, threads, speed."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from plugin_specs import ParameterError
from plugin_specs.base import KIND_CLASSES

from host.presets import decode_state, encode_state

from .signals import make_signal
from .registry import CheckFailed, CheckSkipped, Context, check
from .subject import Runner, comparable, other_values

FUZZ_SECONDS = 10.0
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")


def program(sample_rate: int, channels: int, seconds: float = 0.5, seed: int = 1) -> np.ndarray:
    """Material that moves most processors: a tone with noise, a loud burst, a long fade (so gates
    close and release at any threshold), an impulse, then silence."""
    n = int(seconds * sample_rate)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    x = 0.25 * np.sin(2 * np.pi * 330 * t) + 0.05 * rng.standard_normal(n)
    x = np.tile(x, (channels, 1))
    x[:, : n // 10] *= np.linspace(0, 1, n // 10)
    loud = slice(int(0.35 * n), int(0.55 * n))
    x[:, loud] = np.clip(0.7 * rng.standard_normal((channels, loud.stop - loud.start)), -1, 1)
    fade = slice(int(0.55 * n), int(0.8 * n))  # -6 to -90 dB: every gate threshold is crossed
    x[:, fade] *= np.logspace(np.log10(2.0), np.log10(1e-4), fade.stop - fade.start)
    x[:, int(0.85 * n) :] = 0.0
    x[:, int(0.82 * n)] = 0.9
    return x.astype(np.float32)


def run_once(ctx: Context, plugin: Any, audio: np.ndarray | None = None, device: str = "cpu",
             tail: float = 0.0) -> Any:
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    audio = program(rate, ch) if audio is None else audio
    return Runner(plugin, rate, ch, device=device).run(audio, tail=tail)


def close(a: Any, b: Any, tol: float = 1e-6) -> tuple[bool, float]:
    x, y = comparable(a), comparable(b)
    if x.shape != y.shape:
        return False, math.inf
    if not len(x):
        return True, 0.0
    diff = float(np.max(np.abs(x - y)))
    return diff <= tol * max(1.0, float(np.max(np.abs(y)))), diff


# -- metadata ---------------------------------------------------------------------------


@check("metadata", 1)
def metadata(ctx: Context) -> str:
    """Metadata complete and consistent with the plugin's kind and parameters."""
    s, info, problems = ctx.subject, ctx.subject.info, []
    if not s.scheme_ref and not ID_PATTERN.match(info.id):
        problems.append(f"id {info.id!r} must be letters, digits and . _ + - (it is typed in chains)")
    for field in ("name", "version", "description") + (("license",) if ctx.strictness >= 3 else ()):
        if not getattr(info, field):
            problems.append(f"{field} is empty")
    if ctx.strictness >= 3 and not info.authors:
        problems.append("authors is empty")
    if info.version and not VERSION_PATTERN.match(info.version):
        problems.append(f"version {info.version!r} is not a version string")
    if not isinstance(s.prototype, KIND_CLASSES[s.kind]):
        problems.append(f"class is not a {KIND_CLASSES[s.kind].__name__}")
    for rate in info.sample_rates or ():
        if not isinstance(rate, int) or not 1000 <= rate <= 768000:
            problems.append(f"sample rate {rate!r} is not an integer in 1000..768000")
    for count in info.channels or ():
        if not isinstance(count, int) or count < 1:
            problems.append(f"channel count {count!r} is not a positive integer")
    latency, tail = s.prototype.latency_samples(), s.prototype.tail_seconds()
    if not isinstance(latency, int) or latency < 0:
        problems.append(f"latency_samples() returned {latency!r}, not a non-negative int")
    if not isinstance(tail, (int, float)) or tail < 0 or math.isnan(tail):
        problems.append(f"tail_seconds() returned {tail!r}, not a non-negative number")
    problems += _parameter_problems(ctx)
    if s.kind == "classifier":
        labels = list(getattr(s.prototype, "labels", ()))
        if not labels or len(set(labels)) != len(labels) or not all(isinstance(x, str) and x for x in labels):
            problems.append(f"labels {labels!r} must be unique non-empty strings")
    if s.kind == "watermark":
        bits = getattr(s.prototype, "message_bits", 0)
        if not isinstance(bits, int) or not 4 <= bits <= 256 or bits % 4:
            problems.append(f"message_bits {bits!r} must be a multiple of 4 in 4..256")
    if problems:
        raise CheckFailed("; ".join(problems), problems=problems)
    return f"{len(s.parameters)} parameters declared"


def _parameter_problems(ctx: Context) -> list[str]:
    problems, seen = [], set()
    for p in ctx.subject.parameters:
        where = f"parameter {p.name!r}"
        if p.name in seen:
            problems.append(f"{where} is declared twice")
        seen.add(p.name)
        if not p.name.isidentifier():
            problems.append(f"{where}: name must be an identifier (it is written name=value)")
        if ctx.strictness >= 5 and not p.description:
            problems.append(f"{where} has no description")
        if p.minimum is not None and p.maximum is not None and p.minimum > p.maximum:
            problems.append(f"{where}: minimum {p.minimum} is above maximum {p.maximum}")
        if p.choices is not None and not list(p.choices):
            problems.append(f"{where}: choices is empty")
        if p.default is None:
            if p.required and p.name not in ctx.subject.base_params:
                problems.append(f"{where} is required and example_params() does not supply it")
            continue
        try:
            if p.coerce(p.default) != p.default:
                problems.append(f"{where}: default {p.default!r} is not of type {p.type}")
        except ParameterError as exc:
            problems.append(f"default is invalid: {exc}")
    return problems


@check("parameter-ranges", 1)
def parameter_ranges(ctx: Context) -> str:
    """Out-of-range values are refused; random legal values construct and process cleanly."""
    s = ctx.subject
    for p in s.parameters:
        bad = []
        if p.minimum is not None and p.type in ("float", "int"):
            bad.append(p.minimum - 1)
        if p.maximum is not None and p.type in ("float", "int"):
            bad.append(p.maximum + 1)
        if p.choices and p.type == "str":
            bad.append("\x00not-a-choice")
        for value in bad:
            try:
                s.make(**{p.name: value})
            except ParameterError:
                continue
            raise CheckFailed(f"parameter {p.name!r}: out-of-range value {value!r} was accepted")
    rng, trials = ctx.rng("fuzz"), 2 + 2 * ctx.strictness
    if not s.fuzzable():
        return "no parameters to fuzz"
    deadline = time.perf_counter() + FUZZ_SECONDS
    for i in range(trials):
        if i >= 3 and time.perf_counter() > deadline:  # slow plugins get fewer, never under 3
            trials = i
            break
        params = s.random_params(rng)
        try:
            out = comparable(run_once(ctx, s.make(**params), program(s.default_rate(), s.default_channels(), 0.25)))
        except Exception as exc:
            raise CheckFailed(f"with {params}: raised {type(exc).__name__}: {exc}", params=params) from None
        if not np.all(np.isfinite(out)):
            raise CheckFailed(f"with {params}: output holds NaN or Inf", params=params)
    return f"{trials} random parameter sets"


@check("import-time", 1)
def import_time(ctx: Context) -> dict[str, Any]:
    """The plugin's module imports quickly and leaves torch unimported (plugins load at every start)."""
    module = ctx.subject.module
    try:
        importable = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        importable = False
    if not importable:
        raise CheckSkipped(f"{module} was defined at run time, not imported from a file")
    code = ("import json, sys, time\nt = time.perf_counter()\nimport importlib\n"
            f"importlib.import_module({module!r})\n"
            "print(json.dumps({'seconds': time.perf_counter() - t, 'torch': 'torch' in sys.modules}))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    if proc.returncode:
        raise CheckFailed(f"importing {module} failed: {proc.stderr.strip().splitlines()[-1:]}")
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    budget = 0.5 if ctx.strictness >= 5 else 1.0
    if found["torch"] and ctx.strictness >= 3:
        raise CheckFailed(f"importing {module} imports torch ({found['seconds']:.2f} s); "
                          "import it inside prepare() instead", **found)
    if found["seconds"] > budget:
        raise CheckFailed(f"importing {module} took {found['seconds']:.2f} s (budget {budget} s)", **found)
    return {"message": f"{module} imports in {found['seconds'] * 1000:.0f} ms", **found}


# -- behaviour ---------------------------------------------------------------------------


@check("reset-determinism", 2)
def reset_determinism(ctx: Context) -> str:
    """After reset() an instance behaves exactly like a fresh one: no state leaks across reset."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    audio = program(rate, ch)
    fresh = Runner(s.make(), rate, ch).run(audio)
    runner = Runner(s.make(), rate, ch)
    history = make_signal("noise", sample_rate=rate, channels=ch, frames=rate // 2, seed=7) + 0.5
    runner.run(history)  # leaves loud, offset state behind if reset() forgets anything
    again = runner.run(audio)
    ok, diff = close(again, fresh)
    if not ok:
        raise CheckFailed(f"output after reset differs from a fresh instance's by {diff:.3g}", max_diff=diff)
    ok, diff = close(runner.run(audio), fresh)
    if not ok:
        raise CheckFailed(f"a repeated run differs by {diff:.3g}", max_diff=diff)
    return "reset output equals fresh output"


@check("state-roundtrip", 2)
def state_roundtrip(ctx: Context) -> str:
    """state() survives a JSON preset round trip and restores identical behaviour."""
    s = ctx.subject
    params = s.random_params(ctx.rng("state"))
    source = s.make(**params)
    try:
        text = json.dumps(encode_state(source.state()))
    except TypeError as exc:
        raise CheckFailed(f"state() is not serialisable as a preset: {exc}") from None
    target = s.make()
    target.load_state(decode_state(json.loads(text)))
    if ctx.strictness >= 5 and json.dumps(encode_state(target.state()), sort_keys=True) != json.dumps(
            encode_state(source.state()), sort_keys=True):
        raise CheckFailed("state() after load_state() differs from the state that was loaded")
    ok, diff = close(run_once(ctx, target), run_once(ctx, source))
    if not ok:
        raise CheckFailed(f"restored instance's output differs by {diff:.3g}", params=params, max_diff=diff)
    return f"preset of {len(text)} bytes restores identical output"


@check("parameters-have-effect", 4)
def parameters_have_effect(ctx: Context) -> dict[str, Any]:
    """Every declared parameter changes the output for some settings: none is silently ignored."""
    s, rng = ctx.subject, ctx.rng("effect")
    # effects: short material plus a tail (delays act after the input ends); analysers: long enough
    # that window and level settings have several windows to act on
    audio = program(s.default_rate(), s.default_channels(), 0.4 if s.kind == "effect" else 3.0)
    tail = 1.0 if s.kind == "effect" else 0.0
    ignored = []
    fixed = []
    for p in s.fuzzable():
        changed = _changes_output(ctx, p, rng, audio, tail)
        if changed is None:
            fixed.append(p.name)
        elif not changed:
            ignored.append(p.name)
    if ignored:
        raise CheckFailed(f"output never changed when these parameters changed: {', '.join(ignored)}",
                          ignored=ignored)
    note = f"; no other value to try for {', '.join(fixed)}" if fixed else ""
    return {"message": f"{len(s.fuzzable()) - len(fixed)} parameters each change the output{note}"}


class Lockstep:
    """Makes two threads take turns block by block, so shared state shows up every time."""

    def __init__(self) -> None:
        self.turn = 0
        self.done = [False, False]
        self.cond = threading.Condition()

    def pace(self, me: int, blocks: Any) -> Any:
        other = 1 - me
        for block in blocks:
            with self.cond:
                self.cond.wait_for(lambda: self.turn == me or self.done[other], timeout=60)
            yield block  # resumes once the chain has processed it
            with self.cond:
                self.turn = other
                self.cond.notify_all()
        with self.cond:
            self.done[me] = True
            self.cond.notify_all()


def _changes_output(ctx: Context, p: Any, rng: Any, audio: np.ndarray, tail: float) -> bool | None:
    """True if some value of ``p`` changes the output; None if ``p`` has no other value to try.

    Bases tried: the defaults, each other parameter moved alone to its ends and middle (a gate's
    release only matters once its threshold is in reach), then random settings.
    """
    s = ctx.subject
    others = [q for q in s.fuzzable() if q.name != p.name]
    bases = [{}] + [{q.name: v} for q in others for v in other_values(q, s.base_params.get(q.name, q.default))]
    bases = bases[:16] + [s.random_params(rng) for _ in range(4)]
    tried = False
    for base in bases:
        current = base.get(p.name, s.base_params.get(p.name, p.default))
        values = other_values(p, current)
        if not values:
            continue
        tried = True
        reference = _observe(ctx, s.make(**base), audio, tail)
        for value in values:
            if not close(_observe(ctx, s.make(**{**base, p.name: value}), audio, tail), reference, 1e-7)[0]:
                return True
    return False if tried else None


def _observe(ctx: Context, plugin: Any, audio: np.ndarray, tail: float) -> np.ndarray:
    """What a parameter can change: the output, and for a watermarker also what it detects in that output."""
    out = run_once(ctx, plugin, audio, tail=tail)
    if ctx.subject.kind != "watermark":
        return comparable(out)
    return np.concatenate([comparable(out), comparable(plugin.detect(out))])


@check("concurrency", 6)
def concurrency(ctx: Context) -> str:
    """Two instances interleaved block by block, then running freely in two threads, do not interfere."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    inputs = [program(rate, ch, 1.0, seed=k) for k in (3, 4)]
    alone = [run_once(ctx, s.make(), x) for x in inputs]
    for mode in ("interleaved", "free-running"):
        results: list[Any] = [None, None]
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)
        lockstep = Lockstep() if mode == "interleaved" and s.kind == "effect" else None
        runners = [Runner(s.make(), rate, ch, block_size=512) for _ in range(2)]  # built where hosts build them

        def work(i: int) -> None:
            try:
                barrier.wait()
                pace = (lambda blocks: lockstep.pace(i, blocks)) if lockstep else None
                results[i] = runners[i].run(inputs[i], reset=False, pace=pace)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise CheckFailed(f"{mode} run raised {type(errors[0]).__name__}: {errors[0]}")
        for i in range(2):
            ok, diff = close(results[i], alone[i], tol=1e-5)
            if not ok:
                raise CheckFailed(f"instance {i + 1} run {mode} beside another differs from running alone "
                                  f"by {diff:.3g}")
    return "interleaved and threaded output equal solo output"


@check("gpu-agreement", 5)
def gpu_agreement(ctx: Context) -> str:
    """CPU and CUDA outputs agree within 1e-3 of peak, when a GPU is present."""
    s = ctx.subject
    if not s.uses_torch():
        raise CheckSkipped("plugin does not use torch")
    import torch

    if not torch.cuda.is_available():
        raise CheckSkipped("no CUDA device present")
    ok, diff = close(run_once(ctx, s.make(), device="cuda"), run_once(ctx, s.make(), device="cpu"), tol=1e-3)
    if not ok:
        raise CheckFailed(f"CUDA output differs from CPU output by {diff:.3g}", max_diff=diff)
    return f"max difference {diff:.2g}"


@check("speed", 1)
def speed(ctx: Context) -> dict[str, Any]:
    """Reports speed in times real time on 10 s of program material (information only)."""
    s = ctx.subject
    rate, ch = s.default_rate(), s.default_channels()
    audio = np.tile(program(rate, ch, 1.0), (1, 10))
    runner = Runner(s.make(), rate, ch)
    runner.run(audio[:, :rate])  # warm-up: lazy loads and allocations
    start = time.perf_counter()
    runner.run(audio)
    elapsed = time.perf_counter() - start
    factor = 10.0 / elapsed if elapsed > 0 else math.inf
    return {"message": f"{factor:.0f}x real time ({rate} Hz, {ch} ch, block 8192)", "x_real_time": factor}

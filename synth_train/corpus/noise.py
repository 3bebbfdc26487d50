"""Noise, ambience and silence synthesised with numpy from seeds fixed in the plan.

Colours are made by shaping a white spectrum (1/f^alpha); ambience (rain, wind) is noise under slow random
envelopes plus droplets; hum is a mains fundamental with random harmonics. Silence is digital zero or a noise
floor at -90..-60 dBFS, so a silence detector learns that "quiet" is not always exactly zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .audio import db_to_amp, fade, rms
from .clip import Clip, finish
from .licences import SYNTHESISED
from .manifest import SAMPLE_RATE
from .splits import schedule

NOISE_TYPES = ("white", "pink", "brown", "hum", "crackle", "band", "rain", "wind")


def coloured(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    """Unit-RMS noise with power spectrum ~ 1/f^alpha (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    f[0] = f[1] if n > 1 else 1.0
    spec *= f ** (-alpha / 2.0)
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    return x / (rms(x) or 1.0)


def band_filter(x: np.ndarray, lo_hz: float, hi_hz: float) -> np.ndarray:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1.0 / SAMPLE_RATE)
    spec[(f < lo_hz) | (f > hi_hz)] = 0.0
    y = np.fft.irfft(spec, x.size)
    return y / (rms(y) or 1.0)


def slow_envelope(rng: np.random.Generator, n: int, rate_hz: float, depth: float) -> np.ndarray:
    """A smooth random gain curve in [1-depth, 1], changing at about `rate_hz`."""
    points = max(2, int(n / SAMPLE_RATE * rate_hz) + 2)
    knots = rng.uniform(0.0, 1.0, points)
    env = np.interp(np.linspace(0, points - 1, n), np.arange(points), knots)
    return 1.0 - depth * env


def droplets(rng: np.random.Generator, n: int, rate_hz: float, decay_ms: float) -> np.ndarray:
    """Sparse decaying clicks at random times and amplitudes (rain, vinyl crackle)."""
    x = np.zeros(n)
    count = rng.poisson(rate_hz * n / SAMPLE_RATE)
    where = rng.integers(0, n, count)
    x[where] = rng.uniform(-1.0, 1.0, count) * rng.uniform(0.2, 1.0, count) ** 2
    k = np.exp(-np.arange(int(decay_ms * SAMPLE_RATE / 1000) + 1) / (decay_ms * SAMPLE_RATE / 5000))
    y = np.convolve(x, k)[:n]
    return y / (rms(y) or 1.0)


def plan_noise_params(rng: np.random.Generator, noise_type: str) -> dict:
    p: dict = {"kind": "noise", "noise_type": noise_type, "seconds": round(float(rng.uniform(2.0, 6.0)), 3),
               "rms_dbfs": round(float(rng.uniform(-45.0, -12.0)), 2), "seed": int(rng.integers(2**31))}
    if noise_type == "hum":
        p["mains_hz"] = int(_pick(rng, (50, 60)))
        count = int(rng.integers(3, 9))
        p["harmonic_levels_db"] = [0.0] + [round(float(-6 * k - rng.uniform(0, 12)), 2) for k in range(1, count)]
        p["noise_floor_db"] = round(float(rng.uniform(-40, -20)), 2)
    elif noise_type == "crackle":
        p["clicks_per_s"] = round(float(rng.uniform(5, 120)), 2)
        p["click_decay_ms"] = round(float(rng.uniform(0.3, 3.0)), 3)
        p["bed_db"] = round(float(rng.uniform(-30, -10)), 2)
    elif noise_type == "band":
        center = float(np.exp(rng.uniform(np.log(100), np.log(8000))))
        octaves = float(rng.uniform(0.3, 2.0))
        p["band_hz"] = [round(center * 2 ** (-octaves / 2), 1), round(min(center * 2 ** (octaves / 2), 20000.0), 1)]
        p["colour_alpha"] = round(float(rng.uniform(0.0, 1.5)), 3)
    elif noise_type == "rain":
        p["drops_per_s"] = round(float(rng.uniform(200, 2000)), 1)
        p["bed_db"] = round(float(rng.uniform(-12, 0)), 2)
        p["gust_hz"] = round(float(rng.uniform(0.2, 1.5)), 3)
    elif noise_type == "wind":
        p["gust_hz"] = round(float(rng.uniform(0.1, 1.0)), 3)
        p["depth"] = round(float(rng.uniform(0.4, 0.95)), 3)
        p["cutoff_hz"] = round(float(rng.uniform(300, 2500)), 1)
    return p


def _pick(rng: np.random.Generator, options: tuple) -> Any:
    return options[int(rng.integers(len(options)))]


def synth_noise(p: dict) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    n = int(round(p["seconds"] * SAMPLE_RATE))
    kind = p["noise_type"]
    if kind in ("white", "pink", "brown"):
        x = coloured(rng, n, {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind])
    elif kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        phases = rng.uniform(0, 2 * np.pi, len(p["harmonic_levels_db"]))
        x = sum(db_to_amp(db) * np.sin(2 * np.pi * p["mains_hz"] * (k + 1) * t + ph)
                for k, (db, ph) in enumerate(zip(p["harmonic_levels_db"], phases)))
        x = x / (rms(x) or 1.0) + db_to_amp(p["noise_floor_db"]) * coloured(rng, n, 1.0)
    elif kind == "crackle":
        x = droplets(rng, n, p["clicks_per_s"], p["click_decay_ms"]) + db_to_amp(p["bed_db"]) * coloured(rng, n, 1.0)
    elif kind == "band":
        x = band_filter(coloured(rng, n, p["colour_alpha"]), *p["band_hz"])
    elif kind == "rain":
        drops = band_filter(droplets(rng, n, p["drops_per_s"], 1.5), 400, 16000)
        x = (drops + db_to_amp(p["bed_db"]) * coloured(rng, n, 1.0)) * slow_envelope(rng, n, p["gust_hz"], 0.5)
    elif kind == "wind":
        x = band_filter(coloured(rng, n, 1.5), 20, p["cutoff_hz"]) * slow_envelope(rng, n, p["gust_hz"], p["depth"])
    else:
        raise ValueError(f"unknown noise type {kind!r}")
    x = x * (db_to_amp(p["rms_dbfs"]) / (rms(x) or 1.0))
    return fade(x.astype(np.float32), fade_in_s=0.01, fade_out_s=0.01)


def plan_noise(rng: np.random.Generator, n: int) -> list[Clip]:
    """n noise clips cycling through all noise types (shuffled) so every type appears."""
    order = [NOISE_TYPES[i] for i in rng.permutation(len(NOISE_TYPES))]
    clips = []
    for i, split in enumerate(schedule(rng, n)):
        params = plan_noise_params(rng, order[i % len(order)])
        cid = f"noise-{i:05d}"
        clips.append(Clip(cid, f"noise/{cid}.flac", "synthesised", ["noise"], split, SYNTHESISED, params))
    return clips


def plan_silence(rng: np.random.Generator, n: int) -> list[Clip]:
    clips = []
    for i, split in enumerate(schedule(rng, n)):
        digital = i % 3 == 0
        params: dict = {"kind": "silence", "silence_type": "digital" if digital else "noise_floor",
                        "seconds": round(float(rng.uniform(1.0, 5.0)), 3)}
        if not digital:
            params.update({"floor_dbfs": round(float(rng.uniform(-90.0, -60.0)), 2),
                           "colour_alpha": float(_pick(rng, (0.0, 1.0, 2.0))), "seed": int(rng.integers(2**31))})
        cid = f"silence-{i:05d}"
        clips.append(Clip(cid, f"silence/{cid}.flac", "synthesised", ["silence"], split, SYNTHESISED, params))
    return clips


def synth_silence(p: dict) -> np.ndarray:
    n = int(round(p["seconds"] * SAMPLE_RATE))
    if p["silence_type"] == "digital":
        return np.zeros(n, dtype=np.float32)
    x = coloured(np.random.default_rng(p["seed"]), n, p["colour_alpha"])
    return (x * db_to_amp(p["floor_dbfs"])).astype(np.float32)


def render_synthesised(clips: list[Clip], root: Path) -> list[dict]:
    return [finish(c, synth_noise(c.params) if c.params["kind"] == "noise" else synth_silence(c.params), root)
            for c in clips]

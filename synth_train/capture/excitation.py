"""The capture excitation: a fixed, seeded test signal that exercises an effect the way music does.

Sections, in order (all mono, 48 kHz, peaks at most -1 dBFS):

1. **Alignment clicks.** Three single-sample impulses 0.25 s apart, then silence, so a recorded pair can
   be lined up and its latency read off.
2. **Sweeps.** Exponential sine sweeps from 20 Hz to 20 kHz at -30, -18 and -6 dBFS: the small-signal
   response and the onset of saturation at each frequency.
3. **Noise bursts.** Alternating white and pink bursts of 0.4 s with 0.3 s gaps, from -42 to -3 dBFS in
   3 dB steps: how dynamics processors attack and release at every level.
4. **Music-like phrases.** Band phrases (drums, bass, chords, melody) composed by the corpus builder's
   phrase composer and rendered here with small additive and noise synths, each at a random level and
   some with a slow level ramp.

``heldout_program`` renders phrases from other seeds: the material a capture's ESR is reported on.
"""

from __future__ import annotations

import numpy as np

from synth_train.corpus import phrases

RATE = 48000
EXCITATION_VERSION = 1
_GM = {"bass": 33, "harmony": 0, "melody": 80}
_RANGES = {"bass": (28, 55), "harmony": (48, 76), "melody": (60, 88)}


def _db(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def clicks(rate: int = RATE) -> np.ndarray:
    x = np.zeros(int(1.0 * rate), dtype=np.float32)
    for k in range(3):
        x[int((0.1 + 0.25 * k) * rate)] = _db(-6)
    return x


def sweep(seconds: float, level_db: float, rate: int = RATE, lo: float = 20.0, hi: float = 20000.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    k = np.log(hi / lo)
    phase = 2 * np.pi * lo * seconds / k * (np.exp(t / seconds * k) - 1.0)
    ramp = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
    return (_db(level_db) * np.sin(phase) * ramp).astype(np.float32)


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return x / (np.abs(x).max() + 1e-12)


def bursts(rng: np.random.Generator, rate: int = RATE) -> np.ndarray:
    parts = []
    for i, level in enumerate(np.arange(-42.0, -2.0, 3.0)):
        n = int(0.4 * rate)
        noise = rng.uniform(-1, 1, n) if i % 2 == 0 else pink(rng, n)
        env = np.minimum(1.0, np.minimum(np.arange(n), n - np.arange(n)) / (0.002 * rate))
        parts += [_db(level) * noise * env, np.zeros(int(0.3 * rate))]
    return np.concatenate(parts).astype(np.float32)


def _tone(freq: float, seconds: float, velocity: float, timbre: str, rate: int, rng: np.random.Generator) -> np.ndarray:
    release = 0.12 if timbre != "pluck" else 0.3
    n = int((seconds + release) * rate)
    t = np.arange(n) / rate
    harmonics = max(1, min(30, int(0.45 * rate / freq)))
    k = np.arange(1, harmonics + 1)[:, None]
    phase = rng.uniform(0, 2 * np.pi)
    if timbre == "saw":
        amps = 1.0 / k
    elif timbre == "square":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.0)
    else:  # pluck: bright attack, upper harmonics die first
        amps = (1.0 / k) * np.exp(-t[None, :] * (1.5 + 3.0 * k))
    wave = (amps * np.sin(k * (2 * np.pi * freq * t[None, :] + phase))).sum(axis=0)
    attack = np.minimum(1.0, t / 0.005)
    gate = np.where(t < seconds, 1.0, np.exp(-(t - seconds) / (release / 4)))
    return (velocity * attack * gate * wave / np.abs(wave).max()).astype(np.float64)


def _drum(key: int, velocity: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.35 * rate)
    t = np.arange(n) / rate
    if key in (35, 36):  # kick: a falling sine
        f = 45 + 80 * np.exp(-t / 0.03)
        x = np.sin(2 * np.pi * np.cumsum(f) / rate) * np.exp(-t / 0.12)
    elif key in (38, 40, 39):  # snare and clap: tone plus noise
        x = 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05) + rng.uniform(-1, 1, n) * np.exp(-t / 0.07)
    else:  # hats, cymbals, toms: differenced noise, short or long
        noise = np.diff(rng.uniform(-1, 1, n + 1))
        x = noise * np.exp(-t / (0.03 if key in (42, 44) else 0.25))
    return velocity * x / (np.abs(x).max() + 1e-12)


def render_phrase(params: dict, rng: np.random.Generator, rate: int = RATE) -> np.ndarray:
    """Mix a composed phrase's parts with the small synths above."""
    out = np.zeros(int((params["window_s"] + 0.5) * rate))
    timbres = {0: "saw", 1: "square", 2: "pluck"}
    for p in params["parts"]:
        drums = p["channel"] == phrases.DRUM_CHANNEL
        volume = p["volume"] / 127.0
        for start, dur, key, vel in p["notes"]:
            v = volume * vel / 127.0
            x = _drum(key, v, rate, rng) if drums else _tone(
                440.0 * 2 ** ((key - 69) / 12), dur, v, timbres.get(p["channel"], "saw"), rate, rng)
            i = int(start * rate)
            x = x[: len(out) - i]
            out[i : i + len(x)] += x
    return out


def phrases_audio(seed: int, seconds: float, rate: int = RATE) -> np.ndarray:
    """Phrases of 3-6 s at random peak levels from -30 to -1 dBFS, a third with a level ramp."""
    rng = np.random.default_rng(seed)
    parts, total = [], 0.0
    while total < seconds:
        length = float(rng.uniform(3.0, 6.0))
        params = phrases.compose_band(rng, _GM, _RANGES, 0, length)
        x = render_phrase(params, rng, rate)
        x /= np.abs(x).max() + 1e-12
        level = _db(float(rng.uniform(-30.0, -1.0)))
        if rng.random() < 0.33:
            x *= np.geomspace(_db(float(rng.uniform(-24, 0))), 1.0, len(x))[:: 1 if rng.random() < 0.5 else -1]
        parts.append((level * x).astype(np.float32))
        total += len(x) / rate
    return np.concatenate(parts)[: int(seconds * rate)]


def excitation(seed: int = 0, phrase_seconds: float = 60.0, rate: int = RATE) -> np.ndarray:
    """The full training excitation (about 80 s with the default 60 s of phrases)."""
    rng = np.random.default_rng(seed)
    sections = [clicks(rate)] + [sweep(3.0, db, rate) for db in (-30.0, -18.0, -6.0)]
    sections += [bursts(rng, rate), phrases_audio(seed + 1, phrase_seconds, rate)]
    return np.concatenate(sections).astype(np.float32)


def heldout_program(seed: int = 1000, seconds: float = 16.0, rate: int = RATE) -> np.ndarray:
    """Phrases no training excitation contains (training seeds stay below 1000)."""
    return phrases_audio(seed, seconds, rate)

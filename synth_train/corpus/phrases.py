"""Seeded composition of short musical phrases: a band (drums, bass, chords, melody) or one instrument alone.

The music only has to be plausible (diatonic chords, a walking melody, common drum grooves) so that models hear
realistic textures, onsets and mixtures; every note is returned so the manifest can record it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .gm import DRUM_CHANNEL

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
Scale = tuple[int, ...]
TAIL_S = 0.4  # release room after the last note starts; the clip window is phrase seconds + TAIL_S


def _r(x: float) -> float:
    return round(float(x), 3)


def _choice(rng: np.random.Generator, options: list | tuple) -> Any:
    return options[int(rng.integers(len(options)))]


def fit_range(note: int, lo: int, hi: int) -> int:
    """Move a note by octaves into [lo, hi] (clamped if the range is under an octave)."""
    while note < lo:
        note += 12
    while note > hi:
        note -= 12
    return min(max(note, lo), hi)


def scale_notes(key: int, scale: tuple[int, ...], lo: int, hi: int) -> list[int]:
    return [n for n in range(lo, hi + 1) if (n - key) % 12 in scale]


def chord_classes(key: int, scale: tuple[int, ...], degree: int, seventh: bool) -> list[int]:
    steps = (0, 2, 4, 6) if seventh else (0, 2, 4)
    return [(key + scale[(degree + s) % 7]) % 12 for s in steps]


def voicing(classes: list[int], lo: int, hi: int, center: int) -> list[int]:
    """Close voicing of the pitch classes starting just below `center`, kept inside the range."""
    base = max(lo, min(center - 6, hi - 12))
    notes = []
    for pc in classes:
        n = base + ((pc - base) % 12)
        notes.append(fit_range(n, lo, hi))
    return sorted(set(notes))


def progression(rng: np.random.Generator, bars: int) -> list[int]:
    """Scale degrees (0 = tonic), one chord per bar, starting on the tonic."""
    degrees = [0]
    while len(degrees) < bars:
        degrees.append(int(_choice(rng, (3, 4, 5, 1, 0, 4, 3, 2))))
    return degrees


def bass_notes(rng: np.random.Generator, key: int, scale: Scale, degrees: list[int], beat: float, total_s: float,
               lo: int, hi: int) -> list[list]:
    style = _choice(rng, ("whole", "quarters", "eighths", "root_fifth"))
    notes = []
    for bar, degree in enumerate(degrees):
        root = fit_range(36 + (key + scale[degree]) % 12, lo, min(hi, lo + 24))
        fifth = fit_range(root + 7, lo, hi)
        t0 = bar * 4 * beat
        if style == "whole":
            hits = [(0, 4, root)]
        elif style == "quarters":
            hits = [(b, 1, root) for b in range(4)]
        elif style == "eighths":
            hits = [(b / 2, 0.5, root) for b in range(8)]
        else:
            hits = [(0, 1.5, root), (1.5, 0.5, root), (2, 1.5, fifth), (3.5, 0.5, root)]
        for b, d, n in hits:
            t = t0 + b * beat
            if t < total_s:
                notes.append([_r(t), _r(d * beat * 0.95), int(n), int(rng.integers(80, 116))])
    return notes


def harmony_notes(rng: np.random.Generator, key: int, scale: Scale, degrees: list[int], beat: float, total_s: float,
                  lo: int, hi: int) -> list[list]:
    style = _choice(rng, ("sustain", "stabs", "arpeggio", "halves"))
    seventh = bool(rng.random() < 0.35)
    center = int(np.clip(64, lo + 6, hi - 6))
    notes = []
    for bar, degree in enumerate(degrees):
        chord = voicing(chord_classes(key, scale, degree, seventh), lo, hi, center)
        t0 = bar * 4 * beat
        if style == "sustain":
            hits = [(0, 4, chord)]
        elif style == "halves":
            hits = [(0, 2, chord), (2, 2, chord)]
        elif style == "stabs":
            hits = [(b, 0.5, chord) for b in (0, 1, 2, 3) if b == 0 or rng.random() < 0.7]
        else:
            hits = [(b / 2, 0.5, [chord[b % len(chord)]]) for b in range(8)]
        for b, d, group in hits:
            t = t0 + b * beat
            if t < total_s:
                vel = int(rng.integers(55, 100))
                notes.extend([_r(t), _r(d * beat * 0.97), int(n), vel] for n in group)
    return notes


def melody_notes(rng: np.random.Generator, key: int, scale: Scale, beat: float, total_s: float, lo: int,
                 hi: int) -> list[list]:
    pool = scale_notes(key, scale, max(lo, 55), min(hi, 88)) or scale_notes(key, scale, lo, hi)
    idx = int(rng.integers(len(pool)))
    t, notes = 0.0, []
    while t < total_s:
        d = float(_choice(rng, (0.5, 0.5, 1.0, 1.0, 1.5, 2.0)))
        if rng.random() > 0.15:
            notes.append([_r(t), _r(d * beat * 0.92), int(pool[idx]), int(rng.integers(70, 118))])
        idx = int(np.clip(idx + int(_choice(rng, (-2, -1, -1, 0, 1, 1, 2, 3, -3))), 0, len(pool) - 1))
        t += d * beat
    return notes


def drum_notes(rng: np.random.Generator, beat: float, bars: int, total_s: float) -> list[list]:
    """A rock/pop groove: kick on 1 and 3, snare on 2 and 4, eighth hats (or ride), optional crash and tom fill."""
    ride = bool(rng.random() < 0.2)
    extra_kick = bool(rng.random() < 0.4)
    notes = []
    def hit(t: float, key: int, lo: int, hi: int) -> None:
        if t < total_s:
            notes.append([_r(t), 0.1, key, int(rng.integers(lo, hi))])
    for bar in range(bars):
        t0 = bar * 4 * beat
        for b in (0, 2):
            hit(t0 + b * beat, 36, 95, 125)
        if extra_kick:
            hit(t0 + 2.5 * beat, 36, 75, 105)
        for b in (1, 3):
            hit(t0 + b * beat, 38, 90, 125)
        for e in range(8):
            if e == 7 and rng.random() < 0.3:
                hit(t0 + e * beat / 2, 46, 70, 100)
            else:
                hit(t0 + e * beat / 2, 51 if ride else 42, 55 if e % 2 else 75, 85 if e % 2 else 110)
        if bar == 0 and rng.random() < 0.6:
            hit(t0, 49, 90, 120)
        if bar == bars - 1 and rng.random() < 0.4:
            for i, key in enumerate((50, 48, 45, 43)):
                hit(t0 + 3 * beat + i * beat / 4, key, 85, 120)
    return notes


def _frame(rng: np.random.Generator, seconds: float) -> dict:
    bpm = int(rng.integers(80, 161))
    key = int(rng.integers(12))
    mode = "major" if rng.random() < 0.6 else "minor"
    beat = 60.0 / bpm
    bars = max(1, math.ceil(seconds / (4 * beat)))
    return {"tempo_bpm": bpm, "key": key, "mode": mode, "beat": beat, "bars": bars}


def compose_band(rng: np.random.Generator, programs: dict[str, int], ranges: dict[str, tuple[int, int]],
                 kit: int, seconds: float) -> dict:
    """Params for a band phrase: drums on channel 10, bass, chords and melody with the given programs."""
    f = _frame(rng, seconds)
    scale = MAJOR if f["mode"] == "major" else MINOR
    degrees = progression(rng, f["bars"])
    args = (f["key"], scale)
    parts = [
        drum_part(kit, drum_notes(rng, f["beat"], f["bars"], seconds), volume=int(rng.integers(85, 111))),
        part(0, programs["bass"], bass_notes(rng, *args, degrees, f["beat"], seconds, *ranges["bass"]),
             volume=int(rng.integers(90, 116))),
        part(1, programs["harmony"], harmony_notes(rng, *args, degrees, f["beat"], seconds, *ranges["harmony"]),
             volume=int(rng.integers(70, 101))),
        part(2, programs["melody"], melody_notes(rng, *args, f["beat"], seconds, *ranges["melody"]),
             volume=int(rng.integers(85, 116))),
    ]
    return {"kind": "phrase", "tempo_bpm": f["tempo_bpm"], "key": f["key"], "mode": f["mode"],
            "progression": degrees, "drum_kit": kit, "programs": programs, "seconds": _r(seconds),
            "window_s": _r(seconds + TAIL_S), "parts": parts}


def compose_stem(rng: np.random.Generator, program: int, prange: tuple[int, int], polyphonic: bool,
                 seconds: float) -> dict:
    """Params for one instrument alone: chords plus melody if it is polyphonic, otherwise a melody or bass line."""
    f = _frame(rng, seconds)
    scale = MAJOR if f["mode"] == "major" else MINOR
    degrees = progression(rng, f["bars"])
    lo, hi = prange
    if polyphonic:
        notes = harmony_notes(rng, f["key"], scale, degrees, f["beat"], seconds, lo, hi)
        if rng.random() < 0.6:
            notes += melody_notes(rng, f["key"], scale, f["beat"], seconds, lo, hi)
        style = "chords+melody"
    elif hi <= 64:
        notes, style = bass_notes(rng, f["key"], scale, degrees, f["beat"], seconds, lo, hi), "bass line"
    else:
        notes, style = melody_notes(rng, f["key"], scale, f["beat"], seconds, lo, hi), "melody"
    if not notes:  # a very sparse draw: keep at least one note so the stem is never silent
        notes = [[0.0, _r(min(1.0, seconds)), fit_range(60 + f["key"], lo, hi), 90]]
    notes.sort(key=lambda n: (n[0], n[2]))
    return {"kind": "stem", "style": style, "tempo_bpm": f["tempo_bpm"], "key": f["key"], "mode": f["mode"],
            "progression": degrees, "program": program, "seconds": _r(seconds), "window_s": _r(seconds + TAIL_S),
            "parts": [part(0, program, notes, volume=int(rng.integers(90, 121)))]}


def part(channel: int, program: int, notes: list[list], volume: int = 100) -> dict:
    """A MIDI part as stored in params: notes are [start_s, duration_s, key, velocity]."""
    return {"channel": channel, "program": program, "volume": volume, "notes": notes}


def drum_part(kit: int, notes: list[list], volume: int = 100) -> dict:
    return part(DRUM_CHANNEL, kit, notes, volume)

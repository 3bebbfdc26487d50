"""Presets and the build plan: every clip with every parameter, drawn from the seed before anything renders.

Each section draws from its own random stream (seed + section name), so changing how many clips one section has
does not reshuffle the others. The plan is grouped into tasks sized so one tool call renders many clips.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .clip import Clip
from .fluid import GAP_S, drum_part, part
from .gm import DRUM_KITS, DRUM_NOTES, POLYPHONIC_FAMILIES, PITCHED_FAMILIES, PROGRAM_RANGE, programs_of
from .hydrogen import plan_hydrogen
from .licences import soundfont_licence
from .manifest import DRUM_CLASSES
from .mixes import plan_mixes
from .noise import plan_noise, plan_silence
from .phrases import compose_band, compose_stem
from .speech import plan_espeak, plan_festival
from .splits import (
    TEST_SOUNDFONT, TRAIN_DRUM_KITS, TRAIN_SOUNDFONTS, VAL_DRUM_KITS, schedule, train_programs, val_programs,
)


@dataclass(frozen=True)
class Preset:
    name: str
    espeak: int
    festival_per_voice: int
    notes_per_family: int
    stems_per_family: int
    band_phrases: int
    drum_hits_per_class: int
    hydrogen_per_class_per_kit: int | None  # None: every layer of every mapped instrument
    noise: int
    silence: int
    speech_music: int
    speech_noise: int
    augment_fraction: float
    fluid_chunk_seconds: float  # audio laid out per fluidsynth call
    speech_chunk: int  # utterances per espeak/festival task


PRESETS = {
    "small": Preset("small", espeak=12, festival_per_voice=1, notes_per_family=7, stems_per_family=1, band_phrases=6,
                    drum_hits_per_class=5, hydrogen_per_class_per_kit=1, noise=8, silence=8, speech_music=6,
                    speech_noise=6, augment_fraction=0.25, fluid_chunk_seconds=3000.0, speech_chunk=40),
    "full": Preset("full", espeak=800, festival_per_voice=60, notes_per_family=700, stems_per_family=50,
                   band_phrases=300, drum_hits_per_class=120, hydrogen_per_class_per_kit=None, noise=350, silence=150,
                   speech_music=300, speech_noise=300, augment_fraction=0.3, fluid_chunk_seconds=900.0,
                   speech_chunk=60),
}

MELODY_FAMILIES = ("keys", "guitar", "brass", "reed", "pipe", "synth", "strings", "organ", "voice")
HARMONY_FAMILIES = ("keys", "organ", "guitar", "strings", "synth")
# Rough seconds of work per task, used only to start the slow tasks first.
SOUNDFONT_LOAD_COST = {"FluidR3_GM": 1.0, "TimGM6mb": 0.6, "MuseScore_General": 4.0, "Csound_GMbank": 0.4}


@dataclass
class Task:
    kind: str  # espeak | festival | fluidsynth | hydrogen | synthesised | mix
    clips: list[Clip]
    cost: float
    soundfont: str | None = None
    component_paths: dict[str, str] = field(default_factory=dict)

    def label(self) -> str:
        what = f"{self.kind} {self.soundfont}" if self.soundfont else self.kind
        return f"{what}: {len(self.clips)} clips"


def section_rng(seed: int, section: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(section.encode())])


def _pick(rng: np.random.Generator, options: Iterable[Any]) -> Any:
    options = list(options)
    return options[int(rng.integers(len(options)))]


def soundfont_for(rng: np.random.Generator, split: str) -> str:
    return TEST_SOUNDFONT if split == "test" else _pick(rng, TRAIN_SOUNDFONTS)


def program_pool(split: str, families: Iterable[str]) -> list[int]:
    """Programs a clip of this split may use: held-out programs for val, all programs for the test soundfont."""
    if split == "test":
        return [p for f in families for p in programs_of(f)]
    if split == "val":
        return [val_programs()[f] for f in families]
    return [p for f in families for p in train_programs(f)]


def kit_pool(split: str) -> list[int]:
    if split == "test":
        return list(DRUM_KITS)
    return list(VAL_DRUM_KITS if split == "val" else TRAIN_DRUM_KITS)


def plan_notes(rng: np.random.Generator, per_family: int) -> list[Clip]:
    clips = []
    for family in PITCHED_FAMILIES:
        for split in schedule(rng, per_family):
            sf = soundfont_for(rng, split)
            program = _pick(rng, program_pool(split, [family]))
            lo, hi = PROGRAM_RANGE[program]
            note, vel = int(rng.integers(lo, hi + 1)), int(rng.integers(30, 128))
            hold = round(float(rng.uniform(0.7, 1.4)), 3)
            params = {"kind": "note", "soundfont": sf, "program": program, "note": note, "velocity": vel,
                      "hold_s": hold, "window_s": round(hold + 0.6, 3),
                      "parts": [part(0, program, [[0.0, hold, note, vel]])]}
            cid = f"note-{len(clips):05d}"
            clips.append(Clip(cid, f"notes/{cid}.flac", "fluidsynth", ["music"], split, soundfont_licence(sf), params,
                              instrument=family, pitch=note, velocity=vel))
    return clips


def plan_drum_hits(rng: np.random.Generator, per_class: int) -> list[Clip]:
    clips = []
    for drum in DRUM_CLASSES:
        for split in schedule(rng, per_class):
            sf = soundfont_for(rng, split)
            kit = _pick(rng, kit_pool(split))
            note, vel = int(_pick(rng, DRUM_NOTES[drum])), int(rng.integers(30, 128))
            window = 2.0 if drum in ("cymbal", "open_hat") else 1.2
            params = {"kind": "drum", "soundfont": sf, "kit": kit, "kit_name": DRUM_KITS[kit], "note": note,
                      "velocity": vel, "window_s": window, "parts": [drum_part(kit, [[0.0, 0.1, note, vel]])]}
            cid = f"drumhit-{len(clips):05d}"
            clips.append(Clip(cid, f"drums/fluidsynth/{cid}.flac", "fluidsynth", ["music"], split,
                              soundfont_licence(sf),
                              params, instrument="drums", drum=drum, velocity=vel))
    return clips


def _role_range(program: int, lo_cap: int, hi_cap: int) -> tuple[int, int]:
    lo, hi = PROGRAM_RANGE[program]
    lo2, hi2 = max(lo, lo_cap), min(hi, hi_cap)
    return (lo2, hi2) if hi2 - lo2 >= 12 else (lo, hi)


def plan_bands(rng: np.random.Generator, n: int) -> list[Clip]:
    """Band phrases: drums + bass + chords + melody; content music, no single instrument label."""
    clips = []
    for i, split in enumerate(schedule(rng, n)):
        sf = soundfont_for(rng, split)
        programs = {"bass": _pick(rng, program_pool(split, ["bass"])),
                    "harmony": _pick(rng, program_pool(split, HARMONY_FAMILIES)),
                    "melody": _pick(rng, program_pool(split, MELODY_FAMILIES))}
        ranges = {"bass": _role_range(programs["bass"], 28, 55), "harmony": _role_range(programs["harmony"], 48, 84),
                  "melody": _role_range(programs["melody"], 55, 91)}
        params = {"soundfont": sf, **compose_band(rng, programs, ranges, _pick(rng, kit_pool(split)),
                                                    float(rng.uniform(3.6, 7.6)))}
        cid = f"band-{i:05d}"
        clips.append(Clip(cid, f"phrases/{cid}.flac", "fluidsynth", ["music"], split, soundfont_licence(sf), params))
    return clips


def plan_stems(rng: np.random.Generator, per_family: int) -> list[Clip]:
    """One instrument alone playing a phrase, labelled with its family (material for instrument stems)."""
    clips = []
    for family in PITCHED_FAMILIES:
        for split in schedule(rng, per_family) if per_family >= 3 else ["train", "val", "test"][:per_family]:
            sf = soundfont_for(rng, split)
            program = _pick(rng, program_pool(split, [family]))
            params = {"soundfont": sf, **compose_stem(rng, program, PROGRAM_RANGE[program],
                                                      family in POLYPHONIC_FAMILIES, float(rng.uniform(3.6, 7.6)))}
            cid = f"stem-{len(clips):05d}"
            clips.append(Clip(cid, f"stems/{cid}.flac", "fluidsynth", ["music"], split, soundfont_licence(sf), params,
                              instrument=family))
    return clips


def assign_augmentation(rng: np.random.Generator, clips: list[Clip], fraction: float) -> None:
    for clip in clips:
        if "silence" not in clip.content and rng.random() < fraction:
            clip.augment_seed = int(rng.integers(2**31))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def fluid_tasks(clips: list[Clip], chunk_seconds: float) -> list[Task]:
    tasks = []
    for sf in sorted({c.params["soundfont"] for c in clips}):
        batch: list[Clip] = []
        seconds = 0.0
        for clip in (c for c in clips if c.params["soundfont"] == sf):
            batch.append(clip)
            seconds += clip.params["window_s"] + GAP_S
            if seconds >= chunk_seconds:
                tasks.append(Task("fluidsynth", batch, SOUNDFONT_LOAD_COST[sf] + seconds / 150, soundfont=sf))
                batch, seconds = [], 0.0
        if batch:
            tasks.append(Task("fluidsynth", batch, SOUNDFONT_LOAD_COST[sf] + seconds / 150, soundfont=sf))
    return tasks


@dataclass
class Plan:
    first: list[Task]  # everything but mixes
    mixes: list[Task]  # read clean clips written by `first`

    def clips(self) -> list[Clip]:
        return [c for t in self.first + self.mixes for c in t.clips]


def make_plan(preset: Preset, seed: int) -> Plan:
    """Every clip of the corpus for this preset and seed, grouped into tasks (slowest first)."""
    espeak = plan_espeak(section_rng(seed, "espeak"), preset.espeak)
    festival = plan_festival(section_rng(seed, "festival"), preset.festival_per_voice)
    fluid = (plan_notes(section_rng(seed, "notes"), preset.notes_per_family)
             + plan_stems(section_rng(seed, "stems"), preset.stems_per_family)
             + plan_bands(section_rng(seed, "bands"), preset.band_phrases)
             + plan_drum_hits(section_rng(seed, "drums"), preset.drum_hits_per_class))
    hydrogen = plan_hydrogen(section_rng(seed, "hydrogen"), preset.hydrogen_per_class_per_kit)
    synthesised = (plan_noise(section_rng(seed, "noise"), preset.noise)
                   + plan_silence(section_rng(seed, "silence"), preset.silence))
    base = espeak + festival + fluid + hydrogen + synthesised
    assign_augmentation(section_rng(seed, "augment"), sorted(base, key=lambda c: c.id), preset.augment_fraction)

    clean = [c for c in base if c.augment_seed is None]
    speech = [c for c in clean if c.content == ["speech"]]
    music = [c for c in clean if c.params.get("kind") in ("phrase", "stem")]
    noise = [c for c in clean if c.content == ["noise"]]
    mixes = (plan_mixes(section_rng(seed, "mix-music"), preset.speech_music, "music", speech, music)
             + plan_mixes(section_rng(seed, "mix-noise"), preset.speech_noise, "noise", speech, noise))
    assign_augmentation(section_rng(seed, "augment-mixes"), mixes, preset.augment_fraction)

    first = fluid_tasks(fluid, preset.fluid_chunk_seconds)
    first += [Task("espeak", b, 0.03 * len(b)) for b in _chunks(espeak, preset.speech_chunk)]
    for voice in sorted({c.params["voice"] for c in festival}):
        of_voice = [c for c in festival if c.params["voice"] == voice]
        first += [Task("festival", b, 0.3 + 0.15 * len(b)) for b in _chunks(of_voice, preset.speech_chunk)]
    first += [Task("hydrogen", b, 0.02 * len(b)) for b in _chunks(hydrogen, 100)]
    first += [Task("synthesised", b, 0.05 * len(b)) for b in _chunks(synthesised, 100)]
    first.sort(key=lambda t: -t.cost)
    paths = {c.id: c.path for c in base}
    mix_tasks = [Task("mix", b, 0.05 * len(b), component_paths={i: paths[i] for c in b for i in
                                                                 (c.params["speech_id"], c.params["background_id"])})
                 for b in _chunks(mixes, 100)]
    return Plan(first, mix_tasks)

"""Render test material with the Debian tools the corpus uses, made fresh inside each test run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")  # the corpus holds this soundfont out for testing


def need(tool: str) -> None:
    """Skip when a tool is truly absent; CI sets SYNTH_HOST_REQUIRE_TOOLS=1 so it fails instead."""
    if shutil.which(tool) is None or (tool == "fluidsynth" and not SOUNDFONT.exists()):
        if os.environ.get("SYNTH_HOST_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{tool} is required here: run scripts/install_corpus_tools.sh")
        pytest.skip(f"{tool} not installed (scripts/install_corpus_tools.sh installs it)")


def read_mono(path: Path, rate: int) -> np.ndarray:
    from pedalboard.io import AudioFile

    with AudioFile(str(path)).resampled_to(rate) as f:
        return f.read(f.frames).mean(axis=0).astype(np.float32)


def speech(tmp: Path, text: str, voice: str = "en-us+m3", rate: int = 16000) -> np.ndarray:
    need("espeak-ng")
    out = tmp / f"speech-{abs(hash((text, voice)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(out), text], check=True, capture_output=True)
    return read_mono(out, rate)


def midi_render(tmp: Path, notes: list[tuple[int, int, float, float, int]], programs: dict[int, int],
                rate: int = 16000, seconds: float | None = None) -> np.ndarray:
    """``notes``: (channel, pitch, start_s, length_s, velocity); ``programs``: channel -> GM program."""
    need("fluidsynth")
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))  # 1 beat = 0.5 s
    for channel, program in programs.items():
        track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    events = []
    for channel, pitch, start, length, velocity in notes:
        events.append((start, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        events.append((start + length, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    now = 0.0
    for when, message in sorted(events, key=lambda e: e[0]):
        message.time = int(round((when - now) * 960))
        now = when
        track.append(message)
    path = tmp / f"midi-{abs(hash(tuple(notes)))}.mid"
    mid.save(path)
    wav = path.with_suffix(".wav")
    subprocess.run(["fluidsynth", "-ni", "-g", "0.6", "-r", "44100", "-F", str(wav), str(SOUNDFONT), str(path)],
                   check=True, capture_output=True)
    audio = read_mono(wav, rate)
    if seconds is not None:
        audio = np.pad(audio, (0, max(0, int(seconds * rate) - len(audio))))[: int(seconds * rate)]
    return audio


def phrase(tmp: Path, rate: int = 16000, seconds: float = 4.0) -> np.ndarray:
    """Drums, bass, chords and a melody: unmistakably music."""
    notes = []
    for beat in range(int(seconds * 2)):
        t = beat * 0.5
        notes.append((9, 36 if beat % 2 == 0 else 38, t, 0.1, 110))
        notes.append((9, 42, t + 0.25, 0.1, 80))
        notes.append((1, 36 + (0, 5, 7, 5)[beat // 2 % 4], t, 0.45, 100))
        notes.append((2, 72 + (0, 2, 4, 7, 9, 7, 4, 2)[beat % 8], t, 0.45, 90))
    for bar in range(int(seconds / 2)):
        for pitch in (60, 64, 67):
            notes.append((0, pitch + (0, 5, 7, 5)[bar % 4], bar * 2.0, 1.9, 70))
    return midi_render(tmp, notes, {0: 0, 1: 33, 2: 73}, rate, seconds)


def pink_noise(seconds: float, rate: int, seed: int = 0, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(int(seconds * rate)))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    x = np.fft.irfft(spectrum, int(seconds * rate))
    return (level * x / np.std(x)).astype(np.float32)


def write(path: Path, audio: np.ndarray, rate: int) -> Path:
    sf.write(path, audio, rate, subtype="PCM_16")
    return path

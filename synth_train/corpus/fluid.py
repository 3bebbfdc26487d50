"""Rendering many MIDI items with one fluidsynth call, then cutting them apart at known sample offsets.

Loading a soundfont costs 0.5-4 s, rendering is hundreds of times faster than real time, so items are laid end to
end in one long MIDI file: each item resets its channels, plays inside its window, is cut off with All Sound Off at
the window's end, and is followed by a gap of digital silence. Reverb and chorus are off so no tail crosses into
the next item (augmentation adds room sound later); with them off the output is bit-identical run to run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

from .audio import db_to_amp, fade, trim_silence
from .clip import Clip, finish
from .phrases import drum_part, part  # noqa: F401 (re-exported for the planner)
from .manifest import SAMPLE_RATE
from .tools import SOUNDFONTS, require_file, run

GAP_S = 1.5
LEAD_IN_S = 0.5
TICKS_PER_BEAT = 480
TEMPO_US = 500_000  # 120 bpm: 960 ticks per second, about 1 ms resolution
TICKS_PER_SECOND = TICKS_PER_BEAT * 1_000_000 // TEMPO_US
FLUIDSYNTH_GAIN = 0.6
SILENT_DB = -70.0  # a rendered item quieter than this (peak dBFS) is dropped as "no sample for this key"

# Order of events that share a tick: resets, then program/volume, then note-offs, then note-ons.
_RESET, _SETUP, _OFF, _ON = 0, 1, 2, 3


def item_events(params: dict) -> list[tuple[float, int, mido.Message]]:
    """(seconds from item start, order, message) for one item's parts, clipped to its window."""
    window = params["window_s"]
    events: list[tuple[float, int, mido.Message]] = []
    for part in params["parts"]:
        ch = part["channel"]
        events.append((0.0, _RESET, mido.Message("control_change", channel=ch, control=121, value=0)))
        events.append((0.0, _SETUP, mido.Message("program_change", channel=ch, program=part["program"])))
        events.append((0.0, _SETUP, mido.Message("control_change", channel=ch, control=7, value=part["volume"])))
        for t, dur, note, vel in part["notes"]:
            if t >= window:
                continue
            end = min(t + dur, window - 0.005)
            events.append((t, _ON, mido.Message("note_on", channel=ch, note=note, velocity=vel)))
            events.append((end, _OFF, mido.Message("note_off", channel=ch, note=note, velocity=0)))
        events.append((window, _RESET, mido.Message("control_change", channel=ch, control=120, value=0)))
        events.append((window, _RESET, mido.Message("control_change", channel=ch, control=123, value=0)))
    return events


def build_midi(clips: list[Clip]) -> tuple[mido.MidiFile, list[tuple[int, int]]]:
    """One MIDI file holding all items, and each item's (start sample, window samples) in the rendered audio."""
    timed: list[tuple[int, int, int, mido.Message]] = []
    spans: list[tuple[int, int]] = []
    cursor = LEAD_IN_S
    for clip in clips:
        start_tick = int(round(cursor * TICKS_PER_SECOND))
        window = clip.params["window_s"]
        for t, order, msg in item_events(clip.params):
            timed.append((start_tick + int(round(t * TICKS_PER_SECOND)), order, len(timed), msg))
        start_sample = int(round(start_tick * SAMPLE_RATE / TICKS_PER_SECOND))
        spans.append((start_sample, int(round(window * SAMPLE_RATE))))
        cursor = start_tick / TICKS_PER_SECOND + window + GAP_S
    timed.sort(key=lambda e: (e[0], e[1], e[2]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0))
    last = 0
    for tick, _, _, msg in timed:
        track.append(msg.copy(time=tick - last))
        last = tick
    end_tick = last + int(GAP_S * TICKS_PER_SECOND)
    track.append(mido.MetaMessage("end_of_track", time=end_tick - last))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    return midi, spans


def fluidsynth_args(soundfont: Path, midi_path: Path, wav_path: Path) -> list[str]:
    return ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", str(FLUIDSYNTH_GAIN), "-r", str(SAMPLE_RATE),
            "-o", "audio.file.format=float", "-o", "synth.cpu-cores=1", "-F", str(wav_path), str(soundfont),
            str(midi_path)]


MIN_DRUM_S = 0.25


def postprocess(params: dict, x: np.ndarray) -> np.ndarray:
    """One-shots lose their silent tail (but a note keeps at least its held part, a drum hit MIN_DRUM_S, so clip
    lengths stay regular); phrases keep their window. All get a short fade-out at the cut."""
    kind = params["kind"]
    if kind in ("note", "drum"):
        keep = params["hold_s"] if kind == "note" else MIN_DRUM_S
        trimmed = trim_silence(x, threshold_db=-60.0, pad_s=0.02, lead=False)
        n = min(x.size, max(trimmed.size, int(round(keep * SAMPLE_RATE))))
        return fade(x[:n], fade_out_s=0.01)
    return fade(x, fade_out_s=0.05)


def render_soundfont_chunk(soundfont: str, clips: list[Clip], root: Path) -> list[dict]:
    """Render the items with one fluidsynth call and write one clip per item; silent items come back as drops."""
    sf_path, package = SOUNDFONTS[soundfont]
    require_file(sf_path, package)
    midi, spans = build_midi(clips)
    records: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="corpus-fluid-") as tmp:
        midi_path, wav_path = Path(tmp) / "items.mid", Path(tmp) / "items.wav"
        midi.save(str(midi_path))
        run(fluidsynth_args(sf_path, midi_path, wav_path))
        with sf.SoundFile(str(wav_path)) as wav:
            if wav.samplerate != SAMPLE_RATE:
                raise RuntimeError(f"fluidsynth wrote {wav.samplerate} Hz, expected {SAMPLE_RATE}")
            for clip, (start, length) in zip(clips, spans):
                wav.seek(min(start, wav.frames))
                block = wav.read(length, dtype="float32", always_2d=True)
                x = np.zeros(length, dtype=np.float32)
                x[: block.shape[0]] = block.mean(axis=1)
                peak = float(np.max(np.abs(x)))
                if peak < db_to_amp(SILENT_DB):
                    records.append({"dropped": clip.id, "reason": f"{soundfont} rendered silence"})
                    continue
                records.append(finish(clip, postprocess(clip.params, x), root))
    return records

"""MIDI files become notes: on/off pairs, velocity, tempo changes, overlaps, channels and bad files."""

from __future__ import annotations

import mido
import pytest

from host.midi import read_midi_notes
from plugin_specs import AudioInputError, Note
from assertions import assert_one_line_error


def write(path, tracks, ticks=480, kind=1):
    midi = mido.MidiFile(type=kind, ticks_per_beat=ticks)
    for messages in tracks:
        track = mido.MidiTrack()
        track.extend(messages)
        midi.tracks.append(track)
    midi.save(str(path))
    return path


def on(note, velocity, time=0, channel=0):
    return mido.Message("note_on", note=note, velocity=velocity, time=time, channel=channel)


def off(note, time=0, channel=0, as_zero_velocity=False):
    if as_zero_velocity:
        return mido.Message("note_on", note=note, velocity=0, time=time, channel=channel)
    return mido.Message("note_off", note=note, velocity=64, time=time, channel=channel)


def test_note_on_and_off_give_start_duration_pitch_and_velocity(tmp_path):
    # default tempo 120 bpm: 480 ticks = 0.5 s
    path = write(tmp_path / "a.mid", [[on(60, 100), off(60, 480), on(64, 30, 240), off(64, 960, as_zero_velocity=True)]])
    assert read_midi_notes(path) == [Note(0.0, 0.5, 60.0, 100), Note(0.75, 1.0, 64.0, 30)]


def test_tempo_changes_apply_from_where_they_happen(tmp_path):
    tempo = [mido.MetaMessage("set_tempo", tempo=500000, time=0),   # 120 bpm
             mido.MetaMessage("set_tempo", tempo=1000000, time=960)]  # 60 bpm after 2 beats (1.0 s)
    notes = [on(60, 90), off(60, 480), on(62, 90, 480), off(62, 480)]
    path = write(tmp_path / "t.mid", [tempo, notes])
    # the second note starts at beat 2 (1.0 s) and lasts one beat at 60 bpm (1.0 s)
    assert read_midi_notes(path) == [Note(0.0, 0.5, 60.0, 90), Note(1.0, 1.0, 62.0, 90)]


def test_overlapping_notes_keep_their_own_lengths(tmp_path):
    messages = [on(60, 100), on(67, 80, 240), on(60, 50, 240), off(60, 240), off(67, 240), off(60, 240)]
    got = read_midi_notes(write(tmp_path / "o.mid", [messages]))
    # the first release of key 60 ends the first strike (oldest first); last-in-first-out would give 1.25 and 0.25
    assert got == [Note(0.0, 0.75, 60.0, 100), Note(0.25, 0.75, 67.0, 80), Note(0.5, 0.75, 60.0, 50)]


def test_channels_drums_and_notes_left_sounding(tmp_path):
    messages = [on(60, 100, channel=0), on(36, 120, channel=9), on(72, 70, channel=3),
                off(36, 480, channel=9), off(60, 0, channel=0)]  # 72 is never released
    path = write(tmp_path / "c.mid", [messages])
    assert read_midi_notes(path) == [Note(0.0, 0.5, 60.0, 100), Note(0.0, 0.5, 72.0, 70)]
    assert read_midi_notes(path, drums=True)[0] == Note(0.0, 0.5, 36.0, 120)
    assert read_midi_notes(path, channels={4}) == [Note(0.0, 0.5, 72.0, 70)]


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such MIDI file"),
    (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVE"), "not a readable MIDI file"),
    (lambda p: write(p, [[mido.MetaMessage("set_tempo", tempo=500000)]]), "has no notes (drum channel 10 is skipped)"),
    (lambda p: write(p, [[on(60, 100)], [on(62, 100)]], kind=2), "MIDI type 2"),
])
def test_bad_midi_files_get_one_line_errors(tmp_path, make, message):
    path = tmp_path / "bad.mid"
    make(path)
    with pytest.raises(AudioInputError) as err:
        read_midi_notes(path)
    assert_one_line_error(err.value, path, message)


def test_truncated_midi_is_reported_not_half_read(tmp_path):
    path = write(tmp_path / "full.mid", [[on(60, 100), off(60, 480), on(62, 100), off(62, 480)]])
    cut = tmp_path / "cut.mid"
    cut.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(AudioInputError) as err:
        read_midi_notes(cut)
    assert str(cut) in str(err.value)

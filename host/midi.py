"""MIDI files to the note lists generator plugins play (``plugin_specs.Note``), read with mido.

Times are seconds with every tempo change applied (mido merges the tracks of a type 0 or 1 file in time
order). A note-on with velocity 0 is a note-off. When the same key is struck again before it is released,
releases close the oldest sounding note first, so overlapping repeats keep their own lengths. Notes still
sounding at the end of the file end there.
"""

from __future__ import annotations

from collections import defaultdict, deque
from pathlib import Path

from plugin_specs import AudioInputError, Note

DRUM_CHANNEL = 9  # General MIDI channel 10, zero-based


def read_midi_notes(path: str | Path, channels: set[int] | None = None, drums: bool = False) -> list[Note]:
    """Every note of ``path`` sorted by start then pitch; ``channels`` are 1-based, as musicians count them."""
    import mido

    p = Path(path)
    if not p.is_file():
        raise AudioInputError(f"{p}: no such MIDI file")
    try:
        midi = mido.MidiFile(str(p))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise AudioInputError(f"{p}: not a readable MIDI file ({str(exc) or type(exc).__name__})") from None
    if midi.type == 2:
        raise AudioInputError(f"{p}: MIDI type 2 (independent sequences) is not supported; save it as type 0 or 1")
    sounding: dict[tuple[int, int], deque[tuple[float, int]]] = defaultdict(deque)
    notes: list[Note] = []
    now = 0.0
    try:
        for msg in midi:
            now += msg.time
            if msg.type not in ("note_on", "note_off"):
                continue
            if (channels is not None and msg.channel + 1 not in channels) or (msg.channel == DRUM_CHANNEL and not drums):
                continue
            key = (msg.channel, msg.note)
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[key].append((now, msg.velocity))
            elif sounding[key]:
                start, velocity = sounding[key].popleft()
                notes.append(Note(round(start, 6), round(now - start, 6), float(msg.note), velocity))
    except (ValueError, KeyError, EOFError) as exc:
        raise AudioInputError(f"{p}: corrupt MIDI data at {now:.3f} s ({exc})") from None
    for (channel, pitch), starts in sounding.items():
        for start, velocity in starts:
            notes.append(Note(round(start, 6), round(now - start, 6), float(pitch), velocity))
    notes = [n for n in notes if n.duration > 0]
    if not notes:
        which = "" if channels is None else f" on channel(s) {', '.join(map(str, sorted(channels)))}"
        raise AudioInputError(f"{p}: has no notes{which}" + ("" if drums else " (drum channel 10 is skipped)"))
    return sorted(notes, key=lambda n: (n.start, n.pitch))

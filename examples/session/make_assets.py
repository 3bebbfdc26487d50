"""Write the example session's MIDI parts and its audio pad (run from this folder; the outputs are committed).

The parts are the demo's: an arpeggio, a bass line and a drum pattern at 120 bpm, as type 1 MIDI files.
The pad is a detuned sawtooth chord synthesised here with numpy, so the session also has an audio track.
"""

from __future__ import annotations

import mido
import numpy as np
import soundfile as sf

from host.demo import demo_notes

SECONDS = 16.0
TICKS = 480  # per beat; 120 bpm is 0.5 s per beat


def write_midi(name: str, notes: list[tuple[float, float, float, int]], channel: int) -> None:
    events = []
    for start, duration, pitch, velocity in notes:
        events.append((round(start * 2 * TICKS), "note_on", int(pitch), velocity))
        events.append((round((start + duration) * 2 * TICKS), "note_off", int(pitch), 0))
    events.sort(key=lambda e: (e[0], e[1] == "note_on"))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0)])
    now = 0
    for tick, kind, pitch, velocity in events:
        track.append(mido.Message(kind, note=pitch, velocity=velocity, channel=channel, time=tick - now))
        now = tick
    mido.MidiFile(type=1, ticks_per_beat=TICKS, tracks=[track]).save(name)


def write_pad(name: str, rate: int = 22050) -> None:
    t = np.arange(int(SECONDS * rate)) / rate
    pad = np.zeros_like(t)
    for bar, root in enumerate((57, 53, 55, 52)):
        for offset in (0, 3, 7):
            f = 440 * 2 ** ((root + offset - 69) / 12)
            for detune in (-0.004, 0.004):
                phase = (f * (1 + detune) * t) % 1.0
                saw = 2 * phase - 1
                pad += saw * ((t >= bar * 4) & (t < bar * 4 + 4))
    fade = np.minimum(1.0, np.minimum(t / 0.5, (SECONDS - t) / 0.5))
    smooth = np.convolve(pad, np.ones(8) / 8, mode="same")  # a gentle low-pass
    sf.write(name, (0.05 * smooth * fade).astype(np.float32), rate, subtype="PCM_16")


if __name__ == "__main__":
    parts = demo_notes(SECONDS)
    write_midi("arpeggio.mid", parts["arpeggio"], 0)
    write_midi("bass.mid", parts["bass"], 1)
    write_midi("drums.mid", parts["drums"], 9)
    write_pad("pad.flac")

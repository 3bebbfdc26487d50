"""General MIDI program names, so users can ask for ``--instrument violin`` rather than program 40."""

from __future__ import annotations

import re

#: Pitched instrument families the note generators know (the instrument classifier's labels less drums).
FAMILIES = ("keys", "organ", "guitar", "bass", "strings", "brass", "reed", "pipe", "synth", "voice")

#: Drum one-shot classes (the corpus labels, the drum classifier's and drum-gan's vocabulary).
DRUM_CLASSES = ("kick", "snare", "closed_hat", "open_hat", "tom", "clap", "cymbal", "rim")

GM_PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet", "Celesta", "Glockenspiel", "Music Box",
    "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer", "Drawbar Organ", "Percussive Organ",
    "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics", "Acoustic Bass",
    "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1", "Slap Bass 2",
    "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings",
    "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1", "String Ensemble 2",
    "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit", "Trumpet",
    "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)", "Pad 1 (new age)", "Pad 2 (warm)",
    "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
    "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)", "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba",
    "Bagpipe", "Fiddle", "Shanai", "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum",
    "Melodic Tom", "Synth Drum", "Reverse Cymbal", "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)


def slug(name: str) -> str:
    """'Acoustic Guitar (nylon)' -> 'acoustic-guitar-nylon'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


PROGRAM_BY_SLUG = {slug(name): number for number, name in enumerate(GM_PROGRAMS)}


def program_family(program: int) -> str | None:
    """The pitched family of a GM program (the corpus's grouping), or None for timpani, hits, effects."""
    groups = {0: "keys", 1: "keys", 2: "organ", 3: "guitar", 4: "bass", 6: "strings", 7: "brass", 8: "reed", 9: "pipe",
              10: "synth", 11: "synth", 12: "synth"}
    special = {47: None, 55: None, 104: "guitar", 105: "guitar", 106: "guitar", 107: "guitar", 108: "keys",
               109: "reed", 110: "strings", 111: "reed", 112: "keys", 114: "keys", 52: "voice", 53: "voice",
               54: "voice"}
    if program in special:
        return special[program]
    if 40 <= program <= 51:
        return "strings"
    return groups.get(program // 8)


#: Every name ``--instrument`` accepts: a family, or a GM program of a pitched family.
INSTRUMENT_NAMES = FAMILIES + tuple(slug(GM_PROGRAMS[p]) for p in range(128) if program_family(p))

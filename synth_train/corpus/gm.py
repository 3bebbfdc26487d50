"""General MIDI facts the renderer needs: program -> instrument family, playable ranges, drum notes and kits.

The family map follows the GM program groups; programs with no fitting family (timpani, orchestra hit,
unpitched percussion, sound effects) are left out rather than given a misleading label.
"""

from __future__ import annotations

# (first program, last program, family, lowest note, highest note); ranges are conservative playable ranges.
_PROGRAM_TABLE: tuple[tuple[int, int, str, int, int], ...] = (
    (0, 7, "keys", 28, 100),     # pianos, electric pianos, harpsichord, clavinet
    (8, 8, "keys", 60, 96),      # celesta
    (9, 9, "keys", 72, 100),     # glockenspiel
    (10, 10, "keys", 60, 96),    # music box
    (11, 11, "keys", 53, 89),    # vibraphone
    (12, 12, "keys", 45, 96),    # marimba
    (13, 13, "keys", 65, 100),   # xylophone
    (14, 14, "keys", 60, 77),    # tubular bells
    (15, 15, "keys", 48, 84),    # dulcimer
    (16, 20, "organ", 36, 96),   # drawbar, percussive, rock, church, reed organ
    (21, 21, "organ", 48, 89),   # accordion (GM organ group)
    (22, 22, "organ", 60, 84),   # harmonica (GM organ group)
    (23, 23, "organ", 48, 89),   # tango accordion (GM organ group)
    (24, 31, "guitar", 40, 86),  # nylon, steel, jazz, clean, muted, overdriven, distortion, harmonics
    (32, 37, "bass", 28, 60),    # acoustic, finger, pick, fretless, slap basses
    (38, 39, "bass", 28, 64),    # synth basses
    (40, 40, "strings", 55, 96),  # violin
    (41, 41, "strings", 48, 84),  # viola
    (42, 42, "strings", 36, 76),  # cello
    (43, 43, "strings", 28, 60),  # contrabass
    (44, 45, "strings", 36, 84),  # tremolo, pizzicato strings
    (46, 46, "strings", 36, 96),  # harp
    (48, 51, "strings", 36, 88),  # string ensembles, synth strings
    (52, 53, "voice", 48, 79),    # choir aahs, voice oohs
    (54, 54, "voice", 48, 84),    # synth voice
    (56, 56, "brass", 55, 84),    # trumpet
    (57, 57, "brass", 40, 72),    # trombone
    (58, 58, "brass", 28, 58),    # tuba
    (59, 59, "brass", 55, 82),    # muted trumpet
    (60, 60, "brass", 41, 77),    # french horn
    (61, 63, "brass", 40, 84),    # brass section, synth brass
    (64, 64, "reed", 56, 88),     # soprano sax
    (65, 65, "reed", 49, 81),     # alto sax
    (66, 66, "reed", 44, 76),     # tenor sax
    (67, 67, "reed", 36, 69),     # baritone sax
    (68, 68, "reed", 58, 91),     # oboe
    (69, 69, "reed", 52, 81),     # english horn
    (70, 70, "reed", 34, 72),     # bassoon
    (71, 71, "reed", 50, 91),     # clarinet
    (72, 72, "pipe", 74, 102),    # piccolo
    (73, 79, "pipe", 60, 92),     # flute, recorder, pan flute, blown bottle, shakuhachi, whistle, ocarina
    (80, 87, "synth", 36, 96),    # synth leads
    (88, 95, "synth", 36, 88),    # synth pads
    (96, 103, "synth", 36, 88),   # synth effects
    (104, 104, "guitar", 48, 77),  # sitar (plucked string)
    (105, 105, "guitar", 48, 84),  # banjo
    (106, 106, "guitar", 50, 79),  # shamisen
    (107, 107, "guitar", 55, 91),  # koto
    (108, 108, "keys", 60, 96),    # kalimba (tuned percussion, like the chromatic-percussion group)
    (109, 109, "reed", 60, 84),    # bagpipe
    (110, 110, "strings", 55, 96),  # fiddle
    (111, 111, "reed", 60, 91),    # shanai
    (112, 112, "keys", 72, 96),    # tinkle bell
    (114, 114, "keys", 52, 88),    # steel drums
)

PROGRAM_FAMILY: dict[int, str] = {}
PROGRAM_RANGE: dict[int, tuple[int, int]] = {}
for _first, _last, _family, _lo, _hi in _PROGRAM_TABLE:
    for _p in range(_first, _last + 1):
        PROGRAM_FAMILY[_p] = _family
        PROGRAM_RANGE[_p] = (_lo, _hi)

PITCHED_FAMILIES = ("keys", "organ", "guitar", "bass", "strings", "brass", "reed", "pipe", "synth", "voice")


def programs_of(family: str) -> list[int]:
    """GM programs (0-based) mapped to a family, ascending."""
    return sorted(p for p, f in PROGRAM_FAMILY.items() if f == family)


# Families that sustain chords well, for the harmony role in band phrases and for polyphonic stems.
POLYPHONIC_FAMILIES = ("keys", "organ", "guitar", "strings", "synth", "voice")

# GM percussion key map (channel 10) -> drum class, as given in the corpus spec.
DRUM_NOTES: dict[str, tuple[int, ...]] = {
    "kick": (35, 36),
    "snare": (38, 40),
    "closed_hat": (42, 44),
    "open_hat": (46,),
    "tom": (41, 43, 45, 47, 48, 50),
    "clap": (39,),
    "cymbal": (49, 51, 52, 55, 57, 59),
    "rim": (37,),
}
NOTE_DRUM = {note: cls for cls, notes in DRUM_NOTES.items() for note in notes}

# GM/GS drum kit programs present in all three soundfonts (bank 128). The Orchestra kit (48) is left out:
# it puts timpani on the tom/hat keys, so the key map above would mislabel it.
DRUM_KITS = {0: "Standard", 8: "Room", 16: "Power", 24: "Electronic", 25: "TR-808", 32: "Jazz", 40: "Brush"}

DRUM_CHANNEL = 9  # GM channel 10, zero-based

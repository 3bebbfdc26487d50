"""Built-in demo material, so a fresh install can render something with no files at hand.

The material comes from the bundled generators: neural-instrument plays an arpeggio and a bass line,
drum-gan plays the beat; the demo chain then mixes effects over the result.
"""

from __future__ import annotations

import numpy as np

DEMO_CHAIN = ("HighpassFilter cutoff_frequency_hz=40 | Compressor threshold_db=-20 ratio=3 | "
              "Chorus mix=0.3 | Delay delay_seconds=0.375 feedback=0.35 mix=0.25 | Reverb room_size=0.5 wet_level=0.25 | "
              "Limiter threshold_db=-1")
STEP = 0.125  # seconds per sixteenth at 120 bpm
ARPEGGIO = (57, 60, 64, 67, 69, 67, 64, 60)
BASS = (45, 45, 41, 43)


def demo_notes(seconds: float) -> dict[str, list[tuple[float, float, float, int]]]:
    """Note lists for the three parts: (start, duration, pitch, velocity)."""
    steps = int(seconds / STEP)
    arpeggio = [(i * STEP, 0.22, ARPEGGIO[i % 8] + 12 * ((i // 16) % 2), 80 + 20 * (i % 4 == 0)) for i in range(steps)]
    bass = [(bar * 1.0, 0.9, BASS[bar % 4], 100) for bar in range(int(seconds))]
    drums = []
    for i in range(steps):
        if i % 8 == 0:
            drums.append((i * STEP, 0.1, 36, 120))  # kick on beats one and three
        if i % 8 == 4:
            drums.append((i * STEP, 0.1, 38, 110))  # snare on two and four
        if i % 2 == 0:
            drums.append((i * STEP, 0.1, 42, 60 + 20 * (i % 4 == 0)))  # closed hats on eighths
    return {"arpeggio": arpeggio, "bass": bass, "drums": drums}


def demo_signal(seconds: float = 12.0, sample_rate: int = 48000, seed: int = 0, host: object | None = None) -> np.ndarray:
    """Stereo ``(2, samples)`` float32: arpeggio panned across the field, bass and drums in the centre."""
    from .registry import PluginHost

    host = host or PluginHost()
    notes = demo_notes(seconds)
    parts = {}
    for name, plugin_id, params in (("arpeggio", "neural-instrument", {"instrument": "electric-piano-1"}),
                                    ("bass", "neural-instrument", {"instrument": "electric-bass-finger"}),
                                    ("drums", "drum-gan", {})):
        plugin = host.create(plugin_id, params, kind="generator")
        plugin.prepare(sample_rate, 1, 8192)
        parts[name] = plugin.generate(seconds, sample_rate, seed, notes[name])[0]
    n = int(round(seconds * sample_rate))
    pan = 0.5 + 0.35 * np.sin(2 * np.pi * np.arange(n) / (4.0 * sample_rate))
    centre = 0.9 * parts["bass"] / _peak(parts["bass"]) + 0.8 * parts["drums"] / _peak(parts["drums"])
    lead = 0.6 * parts["arpeggio"] / _peak(parts["arpeggio"])
    out = np.stack([centre + lead * (1 - pan), centre + lead * pan])
    return (out / max(1.0, np.abs(out).max() * 1.25)).astype(np.float32)


def _peak(x: np.ndarray) -> float:
    return max(float(np.abs(x).max()), 1e-6)

"""How much the windowed PitchShift (pedalboard#415 workaround) departs from pedalboard's whole-file render.

    python bench/pitchshift_seams.py

Reports the largest and median difference of the 512-sample level envelope, in dB, for a few shifts.
"""

from __future__ import annotations

import numpy as np
import pedalboard

from host.chain_spec import parse_chain
from host.registry import PluginHost
from host.render import render_array


def envelope_db(x: np.ndarray) -> np.ndarray:
    frames = x[: len(x) // 512 * 512].reshape(-1, 512)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def main() -> None:
    host = PluginHost()
    sr, seconds = 44100, 30
    t = np.arange(sr * seconds) / sr
    rng = np.random.default_rng(0)
    mono = np.sin(2 * np.pi * 220 * t + 3 * np.sin(2 * np.pi * 0.5 * t)) * 0.3 + 0.02 * rng.standard_normal(t.size)
    x = np.stack([mono, mono]).astype(np.float32)
    for semitones in (2.0, -5.0, 7.0):
        ours = render_array(host, parse_chain(f"PitchShift semitones={semitones}"), x, sr, 512, tail=0)[0]
        whole = pedalboard.PitchShift(semitones=semitones)(x, sr)[0]
        diff = np.abs(envelope_db(ours) - envelope_db(whole))[4:-4]
        print(f"semitones {semitones:+.0f}: envelope difference max {diff.max():.1f} dB, "
              f"median {np.median(diff):.2f} dB, 99th pct {np.percentile(diff, 99):.2f} dB")


if __name__ == "__main__":
    main()

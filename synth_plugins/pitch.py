"""A YIN pitch tracker (de Cheveigné and Kawahara, 2002), vectorised over frames with numpy FFTs.

Generators are judged by how often their notes land within 50 cents of the target, so the judge must be
independent of them: this tracker shares no code or training with any model, and its tests check it against
librosa's pYIN. YIN's cumulative-mean-normalised difference picks the first dip under ``threshold``, which avoids
the octave-down errors of a plain autocorrelation peak; parabolic interpolation gives sub-sample periods.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class PitchTrack(NamedTuple):
    times: np.ndarray  # frame centres, seconds
    f0: np.ndarray  # Hz, NaN where unvoiced
    aperiodicity: np.ndarray  # the normalised difference at the chosen lag: 0 is perfectly periodic


def track_pitch(audio: np.ndarray, sample_rate: int, fmin: float = 40.0, fmax: float = 2000.0,
                hop_seconds: float = 0.01, threshold: float = 0.15, voiced_below: float = 0.3) -> PitchTrack:
    """f0 of mono ``audio`` every ``hop_seconds``; frames are as long as the longest period plus 20 ms."""
    x = np.asarray(audio, dtype=np.float64).ravel()
    tau_min = max(2, int(sample_rate / fmax))
    tau_max = int(np.ceil(sample_rate / fmin))
    window = max(tau_max, int(0.02 * sample_rate))
    hop = max(1, int(round(hop_seconds * sample_rate)))
    span = window + tau_max + 1
    n_frames = max(1, 1 + (len(x) - 1) // hop)
    padded = np.pad(x, (span // 2, span))  # frame i spans window and lags, centred on sample i * hop
    idx = np.arange(n_frames)[:, None] * hop + np.arange(span)[None, :]
    frames = padded[idx]
    frames -= frames.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * span)))
    # r(tau) = sum_{j < window} x[j] x[j + tau], for every lag at once
    r = np.fft.irfft(np.conj(np.fft.rfft(frames[:, :window], size)) * np.fft.rfft(frames, size), size)[:, : tau_max + 1]
    sq = np.concatenate([np.zeros((n_frames, 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(tau_max + 1)
    energy_shifted = sq[:, lags + window] - sq[:, lags]  # sum of x[tau : tau + window]^2
    diff = np.maximum(sq[:, window : window + 1] + energy_shifted - 2.0 * r, 0.0)
    cmnd = np.ones_like(diff)
    running = np.cumsum(diff[:, 1:], axis=1)
    cmnd[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(running, 1e-12)
    period = np.full(n_frames, np.nan)
    aperiodicity = np.ones(n_frames)
    search = cmnd[:, tau_min : tau_max + 1]
    for i in range(n_frames):
        row = search[i]
        below = np.nonzero(row < threshold)[0]
        if len(below):
            k = below[0]
            while k + 1 < len(row) and row[k + 1] < row[k]:  # walk down to the bottom of that dip
                k += 1
        else:
            k = int(np.argmin(row))
        tau = k + tau_min
        aperiodicity[i] = row[k]
        if 0 < k < len(row) - 1:  # interpolate on the raw difference, whose dips are parabolic
            a, b, c = diff[i, tau - 1], diff[i, tau], diff[i, tau + 1]
            den = a - 2 * b + c
            tau = tau + (0.5 * (a - c) / den if den > 0 else 0.0)
        period[i] = tau
    f0 = sample_rate / period
    silent = sq[:, window] < 1e-10 * window
    f0[(aperiodicity > voiced_below) | silent] = np.nan
    times = np.arange(n_frames) * hop / sample_rate
    return PitchTrack(times, f0, aperiodicity)


def cents(f: np.ndarray | float, reference: np.ndarray | float) -> np.ndarray:
    return 1200.0 * np.log2(np.asarray(f, dtype=np.float64) / np.asarray(reference, dtype=np.float64))

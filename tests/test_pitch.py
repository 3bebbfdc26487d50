"""The YIN pitch tracker that judges generators: tones, harmonics, vibrato, silence, noise, and pYIN agreement."""

from __future__ import annotations

import numpy as np
import pytest

from synth_plugins.pitch import cents, track_pitch

RATE = 16000


def harmonic(f0, seconds=1.0, rate=RATE, harmonics=10, fundamental=1.0):
    t = np.arange(int(seconds * rate)) / rate
    f = np.broadcast_to(np.asarray(f0, dtype=np.float64), t.shape)
    phase = 2 * np.pi * np.cumsum(f) / rate
    amps = [fundamental] + [1.0 / k for k in range(2, harmonics + 1)]
    below_nyquist = [(k, a) for k, a in enumerate(amps, 1) if k * f.max() < 0.45 * rate]  # no aliased partials
    return sum(a * np.sin(k * phase) for k, a in below_nyquist).astype(np.float32) * 0.2


@pytest.mark.parametrize("f0", [55.0, 110.0, 261.63, 440.0, 987.77, 1760.0])
def test_steady_tones_within_a_few_cents(f0):
    """Parabolic interpolation of a period of 9 to 290 samples: a few cents, far inside the 50-cent judgement."""
    track = track_pitch(harmonic(f0), RATE)
    voiced = track.f0[5:-5]
    assert np.all(np.isfinite(voiced))
    assert np.max(np.abs(cents(voiced, f0))) < (3.0 if f0 < 500 else 8.0)


def test_a_weak_fundamental_is_not_heard_an_octave_up():
    track = track_pitch(harmonic(220.0, fundamental=0.15), RATE)
    assert np.nanmedian(np.abs(cents(track.f0, 220.0))) < 5.0


def test_silence_and_white_noise_are_unvoiced():
    assert np.all(np.isnan(track_pitch(np.zeros(RATE, np.float32), RATE).f0))
    noise = np.random.default_rng(0).standard_normal(RATE).astype(np.float32) * 0.1
    assert np.mean(np.isfinite(track_pitch(noise, RATE).f0)) < 0.1


def test_frames_are_centred_on_their_times():
    x = np.concatenate([np.zeros(RATE // 2, np.float32), harmonic(330.0, 0.5)])
    track = track_pitch(x, RATE)
    first = track.times[np.isfinite(track.f0)][0]
    assert abs(first - 0.5) < 0.03


def test_agrees_with_librosa_pyin_on_a_vibrato_glide():
    librosa = pytest.importorskip("librosa")
    t = np.arange(2 * RATE) / RATE
    f0 = 196.0 * 2 ** (t / 2) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))  # G3 up an octave, with vibrato
    x = harmonic(f0, 2.0)
    ours = track_pitch(x, RATE, hop_seconds=512 / RATE)
    ref, _, _ = librosa.pyin(x, fmin=80, fmax=1000, sr=RATE, frame_length=2048, hop_length=512)
    n = min(len(ref), len(ours.f0))
    both = np.isfinite(ref[:n]) & np.isfinite(ours.f0[:n])
    assert both.mean() > 0.8
    assert np.median(np.abs(cents(ours.f0[:n][both], ref[:n][both]))) < 10.0
    truth = np.interp(ours.times[:n][both], t, f0)
    assert np.percentile(np.abs(cents(ours.f0[:n][both], truth)), 95) < 20.0

"""The watermark robustness edits do what their names say: spectra, lengths, gains and bitrates."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from synth_train.edits import EDITS, MP3_64K_LEVEL, OPUS_32K_LEVEL, apply, resample, splice

RATE = 16000


def tone(freqs: tuple[float, ...], seconds: float = 4.0, rate: int = RATE, amp: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * sum(np.sin(2 * np.pi * f * t) for f in freqs))[None].astype(np.float32)


def level_at(x: np.ndarray, freq: float, rate: int = RATE) -> float:
    """Amplitude of the sinusoid at ``freq`` (Hann-windowed FFT of the middle of the clip)."""
    mid = x[0, x.shape[1] // 4: 3 * x.shape[1] // 4]
    spec = np.abs(np.fft.rfft(mid * np.hanning(mid.size))) / (mid.size / 4)
    k = int(round(freq * mid.size / rate))
    return float(spec[k - 2:k + 3].max())


def peak_freq(x: np.ndarray, rate: int = RATE) -> float:
    spec = np.abs(np.fft.rfft(x[0] * np.hanning(x.shape[1])))
    return float(np.argmax(spec) * rate / x.shape[1])


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_every_edit_returns_float32_audio_with_the_input_channels():
    x = np.concatenate([tone((440.0,)), tone((660.0,))])
    for name in EDITS:
        y = apply(name, x, RATE, rng())
        assert y.dtype == np.float32 and y.shape[0] == 2, name
        assert np.all(np.isfinite(y)), name
    assert np.array_equal(apply("none", x, RATE, rng()), x)
    with pytest.raises(KeyError, match="unknown edit 'chorus'"):
        apply("chorus", x, RATE, rng())


@pytest.mark.parametrize("name, passed, stopped", [
    ("bandpass 500-5000 Hz", 1500.0, 100.0),
    ("highpass 1500 Hz", 4000.0, 200.0),
    ("lowpass 500 Hz", 150.0, 4000.0),
])
def test_filters_pass_and_stop_the_right_bands(name, passed, stopped):
    x = tone((passed, stopped))
    y = apply(name, x, RATE, rng())
    assert y.shape == x.shape
    assert level_at(y, passed) > 0.7 * 0.1
    assert level_at(y, stopped) < 0.3 * 0.1


def test_gain_edits_scale_and_clip():
    x = tone((440.0,), amp=0.5)
    loud, quiet = apply("gain x10 (clipped)", x, RATE, rng()), apply("gain x0.1", x, RATE, rng())
    assert np.max(np.abs(loud)) == pytest.approx(1.0) and np.mean(np.abs(loud) >= 0.999) > 0.5
    assert np.allclose(quiet, x * 0.1, atol=1e-7)
    assert np.array_equal(apply("polarity inversion", x, RATE, rng()), -x)


@pytest.mark.parametrize("name, factor", [("speed x1.25", 1.25), ("speed x0.8", 0.8)])
def test_speed_changes_length_and_pitch_together(name, factor):
    x = tone((500.0,))
    y = apply(name, x, RATE, rng())
    assert y.shape[1] == round(x.shape[1] / factor)
    assert peak_freq(y) == pytest.approx(500.0 * factor, rel=0.01)


def test_resampling_round_trip_removes_only_what_16k_cannot_hold():
    rate = 44100
    x = tone((1000.0, 12000.0), rate=rate)
    y = apply("resample 16 kHz", x, rate, rng())
    assert y.shape == x.shape
    assert level_at(y, 1000.0, rate) == pytest.approx(0.1, rel=0.05)
    assert level_at(y, 12000.0, rate) < 0.01
    assert resample(x, rate, 16000).shape[1] == round(x.shape[1] * 16000 / rate)


@pytest.mark.parametrize("snr_db, name", [(20.0, "white noise 20 dB SNR"), (20.0, "pink noise 20 dB SNR")])
def test_noise_is_added_at_the_stated_snr(snr_db, name):
    x = tone((440.0,))
    y = apply(name, x, RATE, rng())
    noise = y.astype(np.float64) - x
    assert 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean(noise ** 2)) == pytest.approx(snr_db, abs=0.2)
    spec = np.abs(np.fft.rfft(noise[0])) ** 2
    low, high = spec[(np.arange(spec.size) > 50) & (np.arange(spec.size) < 2000)].mean(), spec[-20000:].mean()
    # white noise is flat; pink noise has far more power at low frequencies
    assert (low / high > 10) == ("pink" in name)


def test_codec_levels_give_the_named_bitrates():
    x = (np.random.default_rng(1).standard_normal((1, 10 * 48000)) * 0.1).astype(np.float32)
    for fmt, subtype, level, rate, kbps, extra in (
        ("MP3", "MPEG_LAYER_III", MP3_64K_LEVEL, 44100, 64, {"bitrate_mode": "CONSTANT"}),
        ("OGG", "OPUS", OPUS_32K_LEVEL, 48000, 32, {}),
    ):
        buf = io.BytesIO()
        sf.write(buf, x[0, : 10 * rate], rate, format=fmt, subtype=subtype, compression_level=level, **extra)
        assert len(buf.getvalue()) * 8 / 10 / 1000 == pytest.approx(kbps, rel=0.15), fmt


@pytest.mark.parametrize("name", ["MP3 64 kbps", "MP3 lowest VBR", "Opus 32 kbps"])
def test_codecs_keep_length_and_alignment(name):
    rate = 44100
    x = tone((440.0, 880.0), rate=rate, amp=0.2)
    y = apply(name, x, rate, rng())
    assert y.shape == x.shape
    mid = slice(rate, 3 * rate)
    corr = np.corrcoef(x[0, mid], y[0, mid])[0, 1]
    assert corr > 0.95  # aligned: a codec delay left uncorrected would decorrelate the tones


def test_echo_reverb_compressor_and_pitch_shift():
    x = np.zeros((1, 2 * RATE), dtype=np.float32)
    x[0, 100] = 0.5
    echo = apply("echo 0.3 s", x, RATE, rng())
    assert abs(echo[0, 100 + int(0.3 * RATE)]) > 0.05  # the repeat 0.3 s later
    wet = apply("reverb", x, RATE, rng())
    assert np.sqrt(np.mean(wet[0, RATE // 10:RATE // 2] ** 2)) > 1e-4  # a tail 0.1-0.5 s after the impulse
    loud = tone((440.0,), amp=0.5)
    squashed = apply("compressor -30 dB 4:1", loud, RATE, rng())
    assert level_at(squashed, 440.0) < 0.5 * level_at(loud, 440.0)
    shifted = apply("pitch shift +1 st", tone((440.0,)), RATE, rng())
    assert shifted.shape[1] == 4 * RATE
    assert peak_freq(shifted) == pytest.approx(440.0 * 2 ** (1 / 12), rel=0.01)


def test_crop_and_splice():
    x = (np.arange(12 * RATE, dtype=np.float64) / (12 * RATE))[None].astype(np.float32)  # a ramp: value = position
    crops = [apply("crop 3 s", x, RATE, np.random.default_rng(seed)) for seed in range(4)]
    starts = set()
    for cropped in crops:
        assert cropped.shape == (1, 3 * RATE)
        start = int(np.argmin(np.abs(x[0] - cropped[0, 0])))
        assert np.array_equal(x[0, start:start + 3 * RATE], cropped[0])
        starts.add(start)
    assert len(starts) == 4  # the position is random
    marked, unmarked = np.ones((1, 2 * RATE), np.float32), np.zeros((1, 12 * RATE), np.float32)
    spliced, truth = splice(marked, unmarked, RATE, np.random.default_rng(4))
    assert spliced.shape == (1, 10 * RATE) and truth.sum() == RATE
    assert np.array_equal(spliced[0] == 1.0, truth)

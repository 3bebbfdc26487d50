"""The streaming loudness meter behind manifests and normalisation, against whole-buffer references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from host.arrays import interleave
from host.loudness import LoudnessMeter

RATE = 44100


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_interleave_is_frame_major(channels):
    x = np.random.default_rng(channels).standard_normal((channels, 1001)).astype(np.float32)
    out = interleave(x[:, 3:])  # a view that does not start at the buffer's beginning
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, x[:, 3:].T.reshape(-1))


def _music(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    return np.stack([tone, np.roll(tone, 30)]).astype(np.float32) + 0.02 * rng.standard_normal((2, len(t))).astype(np.float32)


@pytest.mark.parametrize("block", [512, 8192, 100_000])
def test_meter_matches_pyloudnorm_and_numpy_peaks_for_any_block_size(block):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    x = _music(6.0, 1)
    x[1, 12345] = -0.97  # the loudest sample, negative and in one channel only
    for true_peak in (False, True):
        meter = LoudnessMeter(RATE, 2, true_peak=true_peak)
        for i in range(0, x.shape[-1], block):
            meter.add(x[:, i : i + block])
        result = meter.result()
        reference = pyloudnorm.Meter(RATE).integrated_loudness(x.T.astype(np.float64))
        assert abs(result.lufs - reference) < 0.1
        assert result.sample_peak_db == pytest.approx(20 * math.log10(0.97), abs=1e-6)
        if true_peak:
            assert result.true_peak_db >= result.sample_peak_db
        else:
            assert math.isnan(result.true_peak_db) and "true_peak_dbtp" not in result.to_dict()


def test_meter_of_nothing_is_silent():
    result = LoudnessMeter(RATE, 2).result()
    assert result.lufs == -math.inf and result.sample_peak_db == -math.inf
    assert result.to_dict() == {"lufs": None, "sample_peak_dbfs": None, "true_peak_dbtp": None}

"""The torch front end against librosa on the same signals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

librosa = pytest.importorskip("librosa")

from synth_plugins.features import MFCC, LogMel, hz_to_mel, mel_filterbank, mel_to_hz  # noqa: E402


def signals(sr):
    rng = np.random.default_rng(0)
    t = np.arange(sr) / sr
    chirp = np.sin(2 * np.pi * (100 + 3000 * t) * t)
    return {"noise": 0.3 * rng.standard_normal(sr), "chirp": 0.5 * chirp,
            "tones": 0.2 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3100 * t)}


def test_mel_scale_matches_librosa():
    hz = np.array([0.0, 200.0, 999.0, 1000.0, 4000.0, 11025.0])
    assert np.allclose(hz_to_mel(hz), librosa.hz_to_mel(hz), rtol=1e-9)
    assert np.allclose(mel_to_hz(hz_to_mel(hz)), hz, rtol=1e-9)


@pytest.mark.parametrize("sr,n_fft,n_mels", [(16000, 512, 64), (22050, 1024, 96), (44100, 2048, 128)])
def test_filterbank_matches_librosa(sr, n_fft, n_mels):
    ours = mel_filterbank(sr, n_fft, n_mels)
    theirs = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)
    assert np.max(np.abs(ours - theirs)) <= 1e-6 * np.max(theirs)


@pytest.mark.parametrize("name", ["noise", "chirp", "tones"])
def test_log_mel_matches_librosa_within_0_01_db(name):
    sr = 16000
    x = signals(sr)[name].astype(np.float32)
    ours = LogMel(sr, 512, 160, 64)(torch.from_numpy(x)[None])[0].numpy()
    power = librosa.feature.melspectrogram(y=x, sr=sr, n_fft=512, hop_length=160, n_mels=64, center=True)
    theirs = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=80.0)
    assert ours.shape == theirs.shape
    assert np.max(np.abs(ours - theirs)) < 0.01  # dB


@pytest.mark.parametrize("name", ["noise", "chirp", "tones"])
def test_mfcc_matches_librosa(name):
    sr = 22050
    x = signals(sr)[name].astype(np.float32)
    ours = MFCC(20, sample_rate=sr, n_fft=1024, hop=256, n_mels=64)(torch.from_numpy(x)[None])[0].numpy()
    theirs = librosa.feature.mfcc(y=x, sr=sr, n_mfcc=20, n_fft=1024, hop_length=256, n_mels=64)
    assert ours.shape == theirs.shape
    assert np.max(np.abs(ours - theirs)) < 0.05 + 1e-4 * np.max(np.abs(theirs))


def test_batches_are_independent():
    x = torch.randn(3, 8000)
    batch = LogMel(top_db=None)(x)
    single = LogMel(top_db=None)(x[1:2])
    assert torch.allclose(batch[1:2], single, atol=1e-4)

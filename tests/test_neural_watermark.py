"""The shipped neural watermark: finds its mark and message, ignores unmarked audio, windows equal whole buffers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from plugin_specs import ParameterError
from synth_plugins import neural_watermark
from synth_plugins.neural_watermark import NeuralWatermark
from synth_plugins.weights import card_path
from test_watermark import music_like, si_snr


def speech_like(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Voiced syllables: a gliding pulse train through two moving resonances, with pauses."""
    import pedalboard

    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    t = 0.0
    while t < seconds - 0.4:
        dur = rng.uniform(0.12, 0.3)
        a, b = int(t * rate), int((t + dur) * rate)
        f0 = rng.uniform(100, 220) * np.linspace(1.0, rng.uniform(0.8, 1.2), b - a)
        phase = np.cumsum(2 * np.pi * f0 / rate)
        out[a:b] = np.sign(np.sin(phase)) * np.hanning(b - a) * 0.2
        t += dur + rng.uniform(0.02, 0.2)
    board = pedalboard.Pedalboard([pedalboard.PeakFilter(float(rng.uniform(500, 900)), 12, 3),
                                   pedalboard.PeakFilter(float(rng.uniform(1200, 2500)), 10, 3),
                                   pedalboard.LowpassFilter(4000)])
    return board(out[None].astype(np.float32), rate) * 0.5


@pytest.fixture(scope="module")
def plugin():
    wm = NeuralWatermark()
    wm.prepare(44100, 2, 4096)
    return wm


def test_the_threshold_ships_with_the_weights(plugin):
    card = json.loads(card_path("neural-watermark").read_text())
    assert card["threshold"]["false_positive_rate"] == 0.01
    assert 0.0 < card["threshold"]["value"] < 1.0
    assert plugin.threshold == card["threshold"]["value"]


@pytest.mark.parametrize("make", [music_like, speech_like])
def test_embed_then_detect_finds_mark_and_message(plugin, make):
    rate = 44100
    audio = make(6.0, rate, 4)
    audio = np.stack([audio[0], audio[-1] * 0.8])
    marked = plugin.embed(audio, "c0de")
    assert marked.shape == audio.shape
    assert si_snr(audio, marked) > 25.0
    found = plugin.detect(marked)
    assert found.detected and found.message == "c0de"
    assert found.segments and found.segments[0].start < 0.5 and found.segments[-1].end > 5.0
    clean = plugin.detect(audio)
    assert not clean.detected and clean.message is None and clean.score < plugin.threshold


def test_windowed_embedding_equals_whole_buffer(plugin, monkeypatch):
    rate = 16000
    audio = music_like(12.0, rate, seed=8, channels=1)
    plugin.prepare(rate, 1, 4096)
    whole = plugin.embed(audio, "1234")
    monkeypatch.setattr(neural_watermark, "WINDOW_FRAMES", 150)  # 2.4 s windows
    windowed = plugin.embed(audio, "1234")
    assert np.max(np.abs(whole - windowed)) < 1e-5
    plugin.prepare(44100, 2, 4096)


def test_bad_messages_are_refused(plugin):
    with pytest.raises(ParameterError, match="must be 4 hex digits"):
        plugin.embed(np.zeros((1, 1000), np.float32), "12")
    with pytest.raises(ParameterError, match="not hexadecimal"):
        plugin.embed(np.zeros((1, 1000), np.float32), "xyzw")

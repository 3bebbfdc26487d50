"""The neural watermark's plumbing, with untrained weights: shapes, windowing, message checks.

The trained weights are not shipped yet (issue 5 is open), so these tests build the networks from their
constructor; they check what does not depend on training.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugin_specs import ParameterError
from synth_plugins import neural_watermark
from synth_plugins.models.watermark_nets import HOP, WatermarkPair, carrier
from synth_plugins.neural_watermark import NeuralWatermark, presence_score
from test_watermark import music_like


@pytest.fixture()
def plugin():
    torch.manual_seed(0)
    wm = NeuralWatermark()
    wm.model = WatermarkPair(bands=32, hidden=32, bits=16, max_db=2.0).eval()
    wm.card = {"config": {}, "threshold": {"value": 0.5}, "_device": "cpu"}
    wm.prepare(16000, 1, 4096)
    return wm


def test_carrier_is_zero_mean_and_not_its_own_negation():
    c = carrier(600, 0, "cpu")
    assert abs(float(c.mean())) < 1e-6
    for shift in range(1, 6):
        assert not torch.allclose(torch.roll(c, shift), -c)
    assert torch.equal(carrier(10, 4, "cpu"), carrier(14, 0, "cpu")[4:])


def test_embed_keeps_shape_and_changes_little(plugin):
    plugin.prepare(44100, 2, 4096)
    audio = music_like(3.0, 44100, seed=2)
    marked = plugin.embed(audio, "c0de")
    assert marked.shape == audio.shape and marked.dtype == np.float32
    residual = marked - audio
    assert np.allclose(residual[0], residual[1], atol=1e-6)  # one mark, added to every channel
    assert 0 < np.sqrt(np.mean(residual ** 2)) < np.sqrt(np.mean(audio ** 2))
    assert not np.allclose(plugin.embed(audio, "0001"), marked)  # the message changes the mark


def test_windowed_embedding_and_detection_equal_whole_buffer(plugin, monkeypatch):
    audio = music_like(12.0, 16000, seed=8, channels=1)
    whole = plugin.embed(audio, "1234")
    whole_logits = plugin.frame_logits(whole)
    monkeypatch.setattr(neural_watermark, "WINDOW_FRAMES", 151)  # 2.4 s windows, odd frame offsets
    windowed = plugin.embed(audio, "1234")
    assert np.max(np.abs(whole - windowed)) < 1e-5
    assert np.max(np.abs(plugin.frame_logits(whole) - whole_logits)) < 1e-4
    assert whole_logits.shape == (17, len(audio[0]) // HOP + 1)


def test_presence_score_is_the_best_one_second_average():
    p = np.zeros(600)
    p[100:162] = 1.0
    assert presence_score(p) == pytest.approx(1.0)
    assert presence_score(np.full(20, 0.3)) == pytest.approx(0.3)
    assert presence_score(np.zeros(0)) == 0.0


def test_bad_messages_are_refused(plugin):
    with pytest.raises(ParameterError, match="must be 4 hex digits"):
        plugin.embed(np.zeros((1, 1000), np.float32), "12")
    with pytest.raises(ParameterError, match="not hexadecimal"):
        plugin.embed(np.zeros((1, 1000), np.float32), "xyzw")

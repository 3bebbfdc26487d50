"""Latency compensation, tails, rate and channel conversion."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from host.chain import build_chain
from host.chain_spec import parse_chain
from host.render import render_array


def _impulse(n=4000, at=1000, channels=2):
    x = np.zeros((channels, n), dtype=np.float32)
    x[:, at] = 1.0
    return x


def test_declared_latency_is_compensated(host):
    x = _impulse()
    out = render_array(host, parse_chain("test-delay-line samples=300"), x, 44100, block_size=128, tail=0)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out, x)


def test_fixed_block_plugin_latency_is_compensated(host):
    x = _impulse(n=1234)
    out = render_array(host, parse_chain("test-fixed-block"), x, 44100, block_size=37, tail=0)
    np.testing.assert_array_equal(out, x)


def test_pedalboard_latency_is_compensated(host, noise):
    """MP3 encoding delays by a codec frame in pedalboard; the host output must line up."""
    t = np.arange(44100) / 44100
    x = np.stack([np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32) * 0.5
    out = render_array(host, parse_chain("MP3Compressor vbr_quality=0"), x, 44100, block_size=512, tail=0)
    lag = np.argmax(np.correlate(out[0, 4000:8000], x[0, 4000 - 50 : 8000 + 50], mode="valid")) - 50
    assert abs(lag) <= 1


def test_reverb_tail_rendered_past_the_end(host):
    x = _impulse(n=44100, at=100)
    out = render_array(host, parse_chain("Reverb room_size=0.9 wet_level=0.8"), x, 44100, block_size=4096, tail=2.0)
    assert out.shape[1] == 44100 + 88200
    tail_energy = float(np.sum(out[:, 44100:] ** 2))
    assert tail_energy > 1e-3
    cut = render_array(host, parse_chain("Reverb room_size=0.9 wet_level=0.8"), x, 44100, block_size=4096, tail=0)
    assert cut.shape[1] == 44100
    np.testing.assert_allclose(cut, out[:, :44100], atol=1e-6)


def test_default_tail_comes_from_plugins(host):
    chain = build_chain(host, parse_chain("Delay delay_seconds=0.5 feedback=0.5 | Compressor release_ms=200"), 44100, 2)
    expected = 0.5 * (1 + np.log(1e-3) / np.log(0.5)) + 0.2
    assert abs(chain.tail_seconds() - expected) < 1e-9
    frozen = build_chain(host, parse_chain("Reverb freeze_mode=1"), 44100, 2)
    assert frozen.tail_seconds() == 10.0  # capped


def test_convolution_with_impulse_response_file(host, tmp_path, noise):
    ir = np.zeros((2, 2000), dtype=np.float32)
    ir[:, 0], ir[:, 1500] = 1.0, 0.5
    path = tmp_path / "ir.wav"
    sf.write(path, ir.T, 44100, subtype="FLOAT")
    x = _impulse(n=8000, at=100)
    out = render_array(host, parse_chain(f"Convolution impulse_response_filename={path}"), x, 44100,
                       block_size=512, tail=0)
    peaks = np.sort(np.argsort(np.abs(out[0]))[-2:])
    assert list(peaks) == [100, 1600]


def test_sample_rate_conversion_around_a_16k_plugin(host):
    sr = 44100
    t = np.arange(sr) / sr
    x = np.stack([np.sin(2 * np.pi * 1000 * t)] * 2).astype(np.float32)
    out = render_array(host, parse_chain("test-16k-gain"), x, sr, block_size=1024, tail=0)
    assert out.shape == x.shape
    mid = slice(2000, sr - 2000)
    np.testing.assert_allclose(out[:, mid], 0.5 * x[:, mid], atol=2e-3)  # aligned, gain applied


def test_channel_rules(host):
    stereo = np.stack([np.ones(500), -np.ones(500)]).astype(np.float32)
    dual = render_array(host, parse_chain("test-mono-scale factor=0.25"), stereo, 44100, tail=0)
    np.testing.assert_allclose(dual, stereo * 0.25)
    chain = build_chain(host, parse_chain("test-mono-scale"), 44100, 6)
    assert chain.out_channels == 6 and chain.stages[0].name.endswith("x6")

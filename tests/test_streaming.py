"""Streamed rendering equals whole-buffer rendering, for every bundled plugin and the toy torch effects."""

from __future__ import annotations

import numpy as np
import pytest

from host.chain_spec import StepSpec, parse_chain
from host.render import render_array
from synth_plugins.pedalboard_builtins import BUILTINS

BLOCK_SIZES = [64, 1000, 8192, 65536]
# parameters that make each plugin do real work (defaults of some are no-ops)
ACTIVE = {
    "Compressor": {"threshold_db": -20.0, "ratio": 4.0},
    "Convolution": None,  # needs a file: covered in test_latency_tail
    "Delay": {"delay_seconds": 0.05, "feedback": 0.5},
    "Distortion": {"drive_db": 20.0},
    "NoiseGate": {"threshold_db": -20.0},
    "PitchShift": {"semitones": 3.0},
    "LadderFilter": {"mode": "BPF24", "cutoff_hz": 800.0, "resonance": 0.5},
    "Limiter": {"threshold_db": -12.0},
    "PeakFilter": {"gain_db": 6.0},
    "HighpassFilter": {"cutoff_frequency_hz": 500.0},
    "LowpassFilter": {"cutoff_frequency_hz": 2000.0},
}
BUNDLED = [name for name in BUILTINS if ACTIVE.get(name, {}) is not None]


def _render(host, specs, audio, sr, block):
    return render_array(host, specs, audio, sr, block_size=block, tail=0.25)


@pytest.mark.parametrize("plugin_id", BUNDLED)
def test_bundled_plugin_streams_like_whole_buffer(host, noise, plugin_id):
    sr = 44100
    audio = noise(seconds=3.2 if plugin_id == "PitchShift" else 1.5, sr=sr)
    specs = [StepSpec(plugin_id, ACTIVE.get(plugin_id, {}))]
    whole = _render(host, specs, audio, sr, audio.shape[1])
    assert whole.shape == (2, audio.shape[1] + round(0.25 * sr))
    assert np.isfinite(whole).all()
    for block in BLOCK_SIZES:
        streamed = _render(host, specs, audio, sr, block)
        assert streamed.shape == whole.shape
        np.testing.assert_allclose(streamed, whole, atol=1e-5, rtol=0, err_msg=f"{plugin_id} at block {block}")


@pytest.mark.parametrize("chain", [
    "test-torch-onepole coeff=0.95",
    "test-torch-fir",
    "test-torch-onepole | test-torch-fir | test-delay-line samples=77",
    "HighpassFilter cutoff_frequency_hz=100 | test-torch-fir | Reverb room_size=0.2 | test-torch-onepole",
    "test-fixed-block | Gain gain_db=-3",
    "test-16k-gain",
    "test-mono-scale factor=-1",
])
def test_neural_and_mixed_chains_stream_like_whole_buffer(host, noise, chain):
    sr = 44100
    audio = noise(seconds=0.12, sr=sr)
    specs = parse_chain(chain)
    whole = render_array(host, specs, audio, sr, block_size=audio.shape[1], tail=0.0)
    for block in (64, 1000, 4096, 65536):
        streamed = render_array(host, specs, audio, sr, block_size=block, tail=0.0)
        np.testing.assert_allclose(streamed, whole, atol=1e-5, rtol=0, err_msg=f"{chain} at block {block}")


def test_torch_effect_really_filters(host, noise):
    """Guards the equality tests against a chain that silently does nothing."""
    audio = noise(seconds=0.05)
    out = render_array(host, parse_chain("test-torch-onepole coeff=0.9"), audio, 44100, block_size=64, tail=0)
    expected = np.zeros_like(audio)
    y = np.zeros(2, dtype=np.float64)
    for i in range(audio.shape[1]):
        y = 0.9 * y + 0.1 * audio[:, i]
        expected[:, i] = y
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_consecutive_torch_steps_share_one_device_segment(host):
    from host.chain import build_chain
    from host.stages import TorchSegment

    chain = build_chain(host, parse_chain("test-torch-onepole | test-torch-fir | Gain | test-torch-fir"), 44100, 2,
                        device="cpu")
    kinds = [type(s).__name__ for s in chain.stages]
    assert kinds == ["TorchSegment", "PedalboardStage", "TorchSegment"]
    assert len(chain.stages[0].stages) == 2 and isinstance(chain.stages[0], TorchSegment)


def test_consecutive_pedalboard_steps_run_as_one_board(host):
    from host.chain import build_chain

    chain = build_chain(host, parse_chain("HighpassFilter | Compressor | Reverb | PitchShift | Gain"), 44100, 2)
    assert chain.describe() == ["HighpassFilter | Compressor | Reverb", "PitchShift", "Gain"]


def test_subnormals_are_flushed_after_every_stage(host):
    """Subnormal samples slow the next DSP 10-100x: a later stage's, or a bus's the chain feeds."""
    from host.chain import build_chain
    from host.chain_spec import parse_chain

    x = np.full((1, 256), 1e-40, np.float32)  # subnormal in float32
    x[0, ::2] = 0.25
    chain = build_chain(host, parse_chain("test-delay-line samples=0 | test-recorder"), 44100, 1, 256)
    out = chain.push(x)
    seen = np.concatenate(chain.effects[-1].seen, axis=-1)
    assert np.array_equal(seen[0, ::2], x[0, ::2]) and not seen[0, 1::2].any()
    assert np.array_equal(out, seen)

"""neural-denoise: exact reconstruction, streaming, its parameters, and that it really removes noise."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from host.chain import build_chain
from host.chain_spec import parse_chain
from synth_plugins.models.denoise_nets import HOP, SpectralGRUDenoiser
from synth_plugins.weights import card_path, weights_path
from synth_train.metrics import si_snr


def voiced(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Speech-like: a gliding harmonic voice in syllables of 150-300 ms with pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t) + 10 * np.sin(2 * np.pi * 5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * phase) / k ** 1.2 for k in range(1, 25) if k * 170 < rate / 2)
    env = np.zeros(n)
    at = 0.1
    while at < seconds - 0.3:
        length = rng.uniform(0.15, 0.3)
        a, b = int(at * rate), int((at + length) * rate)
        env[a:b] = np.sin(np.linspace(0, np.pi, b - a))
        at += length + rng.uniform(0.05, 0.25)
    return (0.1 * voice * env / np.abs(voice).max()).astype(np.float32)


def test_a_unit_mask_reconstructs_the_input_one_hop_late():
    net = SpectralGRUDenoiser()
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((2, HOP * 40)).astype(np.float32))
    spec = net.frames(torch.cat([torch.zeros(2, HOP), x], dim=-1))
    out, _ = net.synthesise(spec, torch.zeros(2, HOP))
    assert out.shape == x.shape
    assert torch.allclose(out[:, HOP:], x[:, :-HOP], atol=1e-5)


def test_streaming_equals_whole_buffer():
    torch.manual_seed(0)
    net = SpectralGRUDenoiser().eval()
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((2, HOP * 90)).astype(np.float32) * 0.1)
    with torch.inference_mode():
        whole = net(x)
        pieces, state, at = [], None, 0
        for hops in (1, 3, 40, 2, 44):
            y, state = net.stream(x[:, at : at + hops * HOP], state)
            pieces.append(y)
            at += hops * HOP
    assert torch.allclose(torch.cat(pieces, dim=-1), whole, atol=1e-6)


def test_shipped_model_is_small_and_carded():
    card = json.loads(card_path("neural-denoise").read_text())
    assert card["parameters"] <= 200_000
    assert weights_path("neural-denoise").stat().st_size <= 2_000_000
    assert card["training"]["steps"] > 0 and "data" in card


def _chain(host, text: str, rate: int, channels: int):
    return build_chain(host, parse_chain(text), rate, channels, device="cpu")


def test_denoiser_improves_si_snr_on_a_noisy_voice(host):
    clean = voiced(4.0, 16000)
    noise = np.random.default_rng(5).standard_normal(len(clean)).astype(np.float32)
    noise *= np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10 ** (5 / 10))
    noisy = clean + noise
    out = _chain(host, "neural-denoise", 16000, 1).process(noisy[None])[0]
    assert out.shape == noisy.shape
    before, after = si_snr(clean, noisy), si_snr(clean, out)
    assert before == pytest.approx(5.0, abs=0.2)
    assert after > before + 5.0, (before, after)


def test_denoiser_leaves_silence_silent_and_noise_much_quieter(host):
    chain = _chain(host, "neural-denoise", 16000, 1)
    assert np.abs(chain.process(np.zeros((1, 16000), np.float32))).max() < 1e-6
    noise = (0.05 * np.random.default_rng(2).standard_normal((1, 32000))).astype(np.float32)
    chain.reset()
    out = chain.process(noise)
    drop = 10 * np.log10(np.mean(noise[:, 8000:] ** 2) / np.mean(out[:, 8000:] ** 2))
    assert drop > 15.0


def test_zero_attenuation_and_zero_mix_pass_the_input_through_aligned(host):
    """The host compensates the plugin's one-hop latency, so a transparent setting is the identity."""
    audio = voiced(1.0, 16000)[None] + 0.01 * np.random.default_rng(3).standard_normal((1, 16000)).astype(np.float32)
    for text in ("neural-denoise attenuation_db=0", "neural-denoise mix=0"):
        out = _chain(host, text, 16000, 1).process(audio)
        np.testing.assert_allclose(out, audio, atol=1e-5)


def test_chain_at_48k_stereo_streams_like_the_whole_buffer(host):
    rng = np.random.default_rng(4)
    left = np.interp(np.arange(48000) / 3, np.arange(16000), voiced(1.0, 16000, seed=1))
    audio = np.stack([left, left[::-1]]).astype(np.float32) + 0.02 * rng.standard_normal((2, 48000)).astype(np.float32)
    chain = _chain(host, "neural-denoise attenuation_db=30 | Gain gain_db=2", 48000, 2)
    whole = chain.process(audio)
    chain.reset()
    out = [chain.push(audio[:, i : i + 2999]) for i in range(0, 48000, 2999)]
    out.append(chain.push(np.zeros((2, 48000), np.float32)))
    streamed = np.concatenate(out, axis=-1)[:, :48000]
    np.testing.assert_allclose(streamed, whole, atol=1e-5)


def test_neural_denoise_passes_the_validator(host):
    from host.validation import Subject, validate

    with Subject.from_host(host, "neural-denoise") as subject:
        report = validate(subject, 5)
    assert report.passed, [(r.name, r.message) for r in report.failures]


def test_denoiser_cleans_espeak_speech_under_pink_noise(tmp_path, host):
    from render_tools import speech

    clean = speech(tmp_path, "Please leave the parcel by the blue door before six tonight.", "en-gb+f3")
    spec = np.fft.rfft(np.random.default_rng(6).standard_normal(len(clean)))
    spec[1:] /= np.sqrt(np.arange(1, len(spec)))
    pink = np.fft.irfft(spec, len(clean)).astype(np.float32)
    pink *= np.sqrt(np.mean(clean**2) / np.mean(pink**2) / 10 ** (5 / 10))
    out = _chain(host, "neural-denoise", 16000, 1).process((clean + pink)[None])[0]
    assert si_snr(clean, out) > si_snr(clean, clean + pink) + 4.0

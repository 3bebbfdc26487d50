"""A real third-party VST3 (DISTRHO 3 Band EQ, built from Debian's dpf-plugins source) inside chains."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from host.chain import instantiate
from host.chain_spec import parse_chain
from host.render import render_array
from plugin_specs import ParameterError, PluginError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def eq_path():
    out = Path(os.environ.get("SYNTH_HOST_VST3_DIR", ROOT / ".cache" / "vst3"))
    bundle = out / "3BandEQ.vst3"
    if not bundle.exists():
        required = os.environ.get("SYNTH_HOST_REQUIRE_VST3") == "1"
        if shutil.which("apt-get") is None and not required:
            pytest.skip("no apt-get to build the test VST3")
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "build_test_vst3.sh"), str(out)],
                              env={**os.environ, "PYTHON": sys.executable}, capture_output=True, text=True)
        if proc.returncode != 0:
            if required:
                pytest.fail(f"building the test VST3 failed:\n{proc.stderr[-3000:]}")
            pytest.skip("could not build the test VST3 (set SYNTH_HOST_REQUIRE_VST3=1 to fail instead)")
    return bundle


def _tone(freq, sr=44100, seconds=1.0):
    t = np.arange(int(sr * seconds)) / sr
    return np.stack([np.sin(2 * np.pi * freq * t)] * 2).astype(np.float32) * 0.5


def _rms(x):
    return float(np.sqrt(np.mean(x[:, 4410:] ** 2)))


def test_vst3_declares_its_parameters(host, eq_path):
    (plugin,) = instantiate(host, parse_chain(f"vst3:{eq_path}"))
    params = {p.name: p for p in plugin.parameters}
    assert params["low_db"].minimum == -24.0 and params["low_db"].maximum == 24.0 and params["low_db"].unit == "dB"
    assert plugin.info.channels == (2,) and plugin.info.latency_samples == 0
    with pytest.raises(ParameterError, match="'low_db': value 30.0 is above the maximum 24.0"):
        instantiate(host, parse_chain(f"vst3:{eq_path} low_db=30"))
    with pytest.raises(PluginError, match="no such file"):
        instantiate(host, parse_chain("vst3:/nonexistent/Thing.vst3"))


def test_vst3_processes_inside_a_mixed_chain(host, eq_path):
    low = _tone(100)
    flat = render_array(host, parse_chain(f"vst3:{eq_path} | Gain gain_db=0"), low, 44100, block_size=512, tail=0)
    np.testing.assert_allclose(flat, low, atol=1e-4)  # default settings are transparent
    cut = render_array(host, parse_chain(f"HighpassFilter cutoff_frequency_hz=20 | vst3:{eq_path} low_db=-24 | Gain gain_db=6"),
                       low, 44100, block_size=512, tail=0)
    ratio = _rms(cut) / _rms(low)
    assert 0.5 < ratio < 1.2  # -24 dB low band (about x0.44) then +6 dB (x2)
    high = _tone(8000)
    kept = render_array(host, parse_chain(f"vst3:{eq_path} low_db=-24"), high, 44100, block_size=512, tail=0)
    assert _rms(kept) / _rms(high) > 0.9  # only the low band moved


def test_vst3_streams_like_whole_buffer_and_restores_state(host, eq_path, tmp_path, noise):
    audio = noise(seconds=1.0)
    chain = parse_chain(f"vst3:{eq_path} mid_db=12 high_db=-12")
    whole = render_array(host, chain, audio, 44100, block_size=audio.shape[1], tail=0)
    for block in (64, 1000, 65536):
        np.testing.assert_allclose(render_array(host, chain, audio, 44100, block_size=block, tail=0), whole, atol=1e-5)
    (configured,) = instantiate(host, chain)
    (fresh,) = instantiate(host, parse_chain(f"vst3:{eq_path}"))
    fresh.load_state(configured.state())  # host-level state: parameters plus the plugin's raw state
    assert fresh.params["mid_db"] == 12.0 and fresh.pedalboard_plugin().high_db == pytest.approx(-12.0, abs=0.05)
    with pytest.raises(PluginError, match="preset .*missing.vstpreset: no such file"):
        instantiate(host, parse_chain(f"vst3:{eq_path} preset={tmp_path / 'missing.vstpreset'}"))


def test_vst3_passes_the_validator_at_highest_strictness(host, eq_path):
    from host.validation import Subject, validate

    with Subject.from_host(host, f"vst3:{eq_path}") as subject:
        report = validate(subject, 10)
    assert report.passed, [(r.name, r.message) for r in report.failures]
    assert {r.name for r in report.results} >= {"latency", "automation-clicks", "concurrency", "state-roundtrip"}

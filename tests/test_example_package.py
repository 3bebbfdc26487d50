"""The external example package, pip-installed as a user would: found by entry point, chained, validated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from host.cli import main
from host.registry import PluginHost
from host.validation import Subject, validate

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "synth-host-limiter"


@pytest.fixture(scope="module")
def installed_host():
    host = PluginHost()
    if "lookahead-limiter" not in host.records:
        pytest.fail(f"the example package is not installed: pip install {EXAMPLE}")
    return host


def test_found_through_its_own_entry_point(installed_host):
    record = installed_host.records["lookahead-limiter"]
    assert record.package == "synth-host-limiter" and record.version == "1.0.0"
    assert record.cls.__module__ == "synth_host_limiter"
    assert "register_effects" in record.hooks


def test_limits_inside_a_chain_from_the_cli(installed_host, tmp_path):
    rng = np.random.default_rng(0)
    x = (0.6 * rng.standard_normal((48000, 2))).astype(np.float32)
    src, out = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(src, x, 48000, subtype="FLOAT")
    chain = "Gain gain_db=6 | lookahead-limiter ceiling_db=-3 lookahead_ms=2 | HighpassFilter cutoff_frequency_hz=20"
    assert main(["process", str(src), "-o", str(out), "-c", chain, "--tail", "0"]) == 0
    y, sr = sf.read(out, dtype="float32")
    assert sr == 48000 and y.shape == x.shape
    # the limiter holds -3 dBFS; the gentle high-pass after it may overshoot by a hair
    assert np.max(np.abs(y)) < 10 ** (-3 / 20) * 1.02
    assert np.max(np.abs(y)) > 0.5


def test_validates_at_highest_strictness(installed_host):
    with Subject.from_host(installed_host, "lookahead-limiter") as subject:
        report = validate(subject, 10)
    assert report.passed, [(r.name, r.message) for r in report.failures]
    latency = next(r for r in report.results if r.name == "latency")
    assert latency.details["declared"] == 240 and latency.details["measured"] == [240, 240]


def test_its_own_test_suite_passes(installed_host):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=EXAMPLE,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]

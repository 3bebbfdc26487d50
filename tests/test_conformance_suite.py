"""The pytest plugin: the conformance suite and fixtures, as a plugin author would use them."""

from __future__ import annotations

import numpy as np
import pytest

from broken_plugins import GoodGain
from plugin_specs.testing import PluginConformance


class TestGoodGainConforms(PluginConformance):
    plugin = GoodGain
    strictness = 10


class TestBuiltinByIdConforms(PluginConformance):
    plugin = "Delay"
    params = {"feedback": 0.3, "delay_seconds": 0.05}
    strictness = 6


def test_suite_is_parametrised_per_check(request):
    items = [i.name for i in request.session.items if i.cls is TestGoodGainConforms]
    assert "test_conformance[latency]" in items and "test_conformance[automation-clicks]" in items
    assert "test_conformance[generate-shape]" not in items  # effects get effect checks only


def test_register_plugin_fixture_gives_an_isolated_host(register_plugin):
    host = register_plugin(GoodGain)
    assert [r.id for r in host.listing()] == ["good-gain"]
    effect = host.create("good-gain", {"gain_db": "6"})
    assert effect.params["gain_db"] == 6.0


def test_plugin_host_has_no_entry_points(plugin_host):
    assert plugin_host.listing() == []


def test_audio_signal_covers_every_kind(audio_signal):
    assert audio_signal.shape == (2, 48000) and audio_signal.dtype == np.float32
    assert np.max(np.abs(audio_signal)) <= 1.0


@pytest.mark.parametrize("kind,peak,mean", [("impulse", 1.0, 1 / 48000), ("dc", 0.5, 0.5), ("silence", 0.0, 0.0)])
def test_make_signal_values(make_signal, kind, peak, mean):
    x = make_signal(kind, seconds=1.0, sample_rate=48000, channels=1)
    assert np.max(np.abs(x)) == pytest.approx(peak)
    assert np.mean(x) == pytest.approx(mean, abs=1e-6)

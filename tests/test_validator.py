"""The validator: it passes good plugins and catches each kind of broken one."""

from __future__ import annotations

import json

import pytest

from broken_plugins import BROKEN, GoodGain
from host.cli import main
from host.validation import FAIL, PASS, Subject, validate


def run(cls, strictness=6, only=None):
    with Subject.of_class(cls) as subject:
        return validate(subject, strictness, only)


def test_good_plugin_passes_every_check():
    report = run(GoodGain, 10)
    assert report.passed, [(r.name, r.message) for r in report.failures]
    names = {r.name for r in report.results}
    assert {"latency", "tail", "automation-clicks", "block-size-invariance", "concurrency"} <= names


@pytest.mark.parametrize("cls", list(BROKEN), ids=lambda c: c.info.id)
def test_broken_plugin_fails_its_check(cls):
    report = run(cls)
    failed = {r.name: r.message for r in report.results if r.status == FAIL}
    assert BROKEN[cls] in failed, f"{cls.info.id} should fail {BROKEN[cls]}; failures: {failed}"


def test_latency_liar_is_told_the_measured_delay():
    result = run(broken_for("latency"), only=["latency"]).results[0]
    assert result.status == FAIL
    assert "declares 0 samples of latency, measured 64" in result.message


def test_length_changer_is_named():
    result = run(broken_for("io-shape"), only=["io-shape"]).results[0]
    assert "returned 999 samples for a block of 1000" in result.message


def test_slow_import_fails_import_time():
    from slow_import_plugin import SlowToImport

    result = run(SlowToImport, 5, only=["import-time"]).results[0]
    assert result.status == FAIL and "took" in result.message and result.details["seconds"] > 0.5


def test_top_level_torch_import_fails_import_time():
    from torch_import_plugin import ImportsTorch

    result = run(ImportsTorch, 5, only=["import-time"]).results[0]
    assert result.status == FAIL and "imports torch" in result.message


def test_strictness_adds_checks():
    low = {r.name for r in run(GoodGain, 1).results}
    high = {r.name for r in run(GoodGain, 10).results}
    assert low < high and "latency" not in low and "automation-clicks" in high


def broken_for(name):
    return next(cls for cls, check in BROKEN.items() if check == name)


@pytest.mark.parametrize("plugin_id", ["Gain", "Reverb", "Compressor"])
def test_cli_validate_passes_and_reports_json(plugin_id, capsys):
    assert main(["validate", plugin_id, "--strictness", "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["plugin"] == plugin_id
    assert all(r["status"] in (PASS, "skip") for r in report["results"])
    speed = next(r for r in report["results"] if r["name"] == "speed")
    assert speed["details"]["x_real_time"] > 1


def test_cli_validate_exits_1_on_failure(capsys):
    import broken_plugins
    import host.cli as cli
    from host.registry import PluginHost

    cli._host = PluginHost(autoload=False)
    cli._host.add_module(broken_plugins, name="broken", package="tests")
    cli._host.start()
    try:
        assert main(["validate", "lies-about-latency", "--check", "latency", "--check", "metadata"]) == 1
        out = capsys.readouterr().out
        assert "FAIL latency" in out and "PASS metadata" in out and "1 passed, 1 failed" in out
        assert main(["validate", "good-gain", "--strictness", "3"]) == 0
    finally:
        cli._host = None


BUNDLED = [cls.info.id for cls in __import__("synth_plugins.pedalboard_builtins").pedalboard_builtins.EFFECTS]


@pytest.mark.parametrize("plugin_id", BUNDLED)
def test_bundled_plugin_passes_highest_strictness(plugin_id):
    from host.registry import PluginHost

    with Subject.from_host(PluginHost(), plugin_id) as subject:
        report = validate(subject, 10)
    assert report.passed, [(r.name, r.message) for r in report.failures]


def test_cli_validate_rejects_unknown_check(capsys):
    assert main(["validate", "Gain", "--check", "nope"]) == 1
    assert "--check nope: unknown check" in capsys.readouterr().err

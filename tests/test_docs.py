"""docs/plugins.md stays complete and true: every hook, field and check is documented, and every
hook's example runs."""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
from pathlib import Path

import click
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from host import pytest_plugin
from host.chain_spec import parse_chain
from host.registry import PluginHost
from host.render import RenderOptions, render_file
from host.validation import CHECKS, Subject, validate
from plugin_specs import Parameter, PluginInfo, hookspecs

DOC = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
HOOKS = sorted(name for name, fn in vars(hookspecs).items()
               if inspect.isfunction(fn) and hasattr(fn, "synth_host_spec"))


def section(hook: str) -> str:
    match = re.search(rf"^### `{hook}\((.*?)\)`\n(.*?)(?=^## |^### |\Z)", DOC, re.S | re.M)
    assert match, f"docs/plugins.md has no '### `{hook}(...)`' section"
    return match.group(0)


def example_module(hook: str) -> types.ModuleType:
    code = re.search(r"```python\n(.*?)```", section(hook), re.S)
    assert code, f"the {hook} section has no python example"
    module = types.ModuleType(f"docs_example_{hook}")
    exec(compile(code.group(1), f"docs/plugins.md:{hook}", "exec"), module.__dict__)
    return module


def host_with(module: types.ModuleType) -> PluginHost:
    host = PluginHost(autoload=False)
    host.add_module(module, name=module.__name__, package="docs")
    host.start()
    return host


def test_hooks_are_found():
    assert len(HOOKS) == 10 and "register_effects" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_with_its_exact_signature(hook):
    documented = re.search(rf"^### `{hook}\((.*?)\)`", section(hook), re.M).group(1)
    assert documented == ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_example_defines_that_hook(hook):
    module = example_module(hook)
    impl = getattr(module, hook, None)
    assert impl is not None and hasattr(impl, "synth_host_impl"), f"example does not implement @{hook}"
    assert list(inspect.signature(impl).parameters) == list(inspect.signature(getattr(hookspecs, hook)).parameters)


@pytest.mark.parametrize("hook,plugin_id,kind", [("register_effects", "docs-polarity", "effect"),
                                                 ("register_generators", "docs-noise", "generator"),
                                                 ("register_watermarkers", "docs-null-mark", "watermark"),
                                                 ("register_classifiers", "docs-clipping", "classifier")])
def test_registration_examples_register_working_plugins(hook, plugin_id, kind):
    host = host_with(example_module(hook))
    assert host.records[plugin_id].kind == kind
    if kind != "watermark":  # the watermark example shows registration only
        with Subject.from_host(host, plugin_id) as subject:
            report = validate(subject, 3)
        assert report.passed, [(r.name, r.message) for r in report.failures]


def test_step_scheme_example_resolves_steps():
    host = host_with(example_module("register_step_schemes"))
    effect = host.create("docs-scale:0.5")
    assert np.allclose(effect.process(np.ones((1, 4), np.float32)), 0.5)


def test_command_example_adds_a_command():
    module = example_module("register_commands")
    group = click.Group()
    host_with(module).pm.hook.register_commands(cli=group)
    result = CliRunner().invoke(group, ["docs-hello", "world"])
    assert result.exit_code == 0 and result.output == "hello world\n"


def test_life_cycle_examples_run():
    start, stop = example_module("startup"), example_module("shutdown")
    host = PluginHost(autoload=False)
    host.add_module(start, name="start", package="docs")
    host.add_module(stop, name="stop", package="docs")
    host.start()
    assert start.SEEN == [[]]
    host.close()
    assert stop.CLOSED == [True]


def test_render_hook_examples_see_each_render(tmp_path):
    before, after = example_module("before_render"), example_module("after_render")
    host = PluginHost(autoload=False)
    host.add_module(__import__("synth_plugins.pedalboard_builtins").pedalboard_builtins, name="pb")
    host.add_module(before, name="before", package="docs")
    host.add_module(after, name="after", package="docs")
    host.start()
    sf.write(tmp_path / "in.wav", np.zeros((4800, 1), np.float32), 48000)
    render_file(host, parse_chain("Gain gain_db=-3"), tmp_path / "in.wav", tmp_path / "out.wav", RenderOptions())
    assert before.LOG == [("start", "in.wav", ["Gain"])]
    assert after.LOG[0][:3] == ("done", "out.wav", 4800)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(PluginInfo)])
def test_every_metadata_field_is_documented(name):
    assert f"| `{name}` |" in DOC


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Parameter)])
def test_every_parameter_field_is_documented(name):
    assert f"| `{name}` |" in DOC


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_validator_check_is_documented_with_its_level(name):
    row = re.search(rf"^\| `{re.escape(name)}` \| (\d+) \|", DOC, re.M)
    assert row, f"check {name} missing from the validator table"
    assert int(row.group(1)) == CHECKS[name].level


@pytest.mark.parametrize("fixture", ["plugin_host", "register_plugin", "make_signal", "audio_signal"])
def test_documented_fixtures_exist(fixture):
    assert hasattr(pytest_plugin, fixture) and f"| `{fixture}` |" in DOC

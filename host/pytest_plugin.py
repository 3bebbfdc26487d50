"""synth-host's pytest plugin, loaded through the ``pytest11`` entry point.

Fixtures: ``plugin_host`` (a host with autoload off), ``register_plugin`` (registers
plugin classes for one test), ``make_signal`` and ``audio_signal`` (the six test
signals). It also expands :class:`plugin_specs.testing.PluginConformance` subclasses
into one test per validator check that applies to the plugin's kind.
"""

from __future__ import annotations

import itertools
import types
from typing import Any, Iterator

import pytest

_SIGNALS = ("sine", "noise", "impulse", "silence", "dc", "full_scale")
_counter = itertools.count()


@pytest.fixture
def plugin_host() -> Iterator[Any]:
    """A PluginHost that loads no entry points: a test sees only what it registers."""
    from host.registry import PluginHost

    host = PluginHost(autoload=False)
    host.start()
    yield host
    host.close()


@pytest.fixture
def register_plugin(plugin_host: Any) -> Any:
    """``register_plugin(Cls, ...)`` registers plugin classes in ``plugin_host`` and returns the host."""
    from plugin_specs import hookimpl
    from plugin_specs.base import KIND_CLASSES

    hook_for = {"generator": "register_generators", "effect": "register_effects",
                "watermark": "register_watermarkers", "classifier": "register_classifiers"}

    def register(*classes: Any) -> Any:
        module = types.ModuleType(f"synth_host_test_plugins_{next(_counter)}")
        for kind, hook in hook_for.items():
            chosen = [c for c in classes if issubclass(c, KIND_CLASSES[kind])]
            if chosen:
                setattr(module, hook, hookimpl(_registrar(chosen), specname=hook))
        plugin_host.add_module(module, name=module.__name__, package="pytest")
        return plugin_host

    return register


def _registrar(classes: list[Any]) -> Any:
    def hook(register: Any) -> None:
        for cls in classes:
            register(cls)

    return hook


@pytest.fixture
def make_signal() -> Any:
    """``make_signal(kind, seconds=1.0, sample_rate=48000, channels=2, seed=0)`` -> float32 (channels, samples)."""
    from host.validation.signals import make_signal as make

    return make


@pytest.fixture(params=_SIGNALS)
def audio_signal(request: Any) -> Any:
    """Each test signal in turn: one second of stereo at 48 kHz."""
    from host.validation.signals import make_signal as make

    return make(request.param)


# -- the conformance suite ---------------------------------------------------------------


def _subject_for(cls: Any) -> Any:
    from host.validation import Subject

    target, params = cls.plugin, dict(cls.params or {})
    if isinstance(target, str):
        from host.registry import PluginHost

        return Subject.from_host(PluginHost(), target, params)
    return Subject.of_class(target, params)


def pytest_generate_tests(metafunc: Any) -> None:
    if "conformance_check" not in metafunc.fixturenames or metafunc.cls is None:
        return
    from host.validation import checks_for

    cls = metafunc.cls
    if cls.plugin is None:
        raise pytest.UsageError(f"{cls.__name__}: set `plugin` to a plugin class or id")
    with _subject_for(cls) as subject:
        names = [c.name for c in checks_for(subject.kind, cls.strictness)]
    metafunc.parametrize("conformance_check", names, ids=names)


@pytest.fixture(scope="class")
def conformance_context(request: Any) -> Iterator[Any]:
    """One validator context per conformance class, so checks share their renders."""
    from host.validation.registry import Context

    with _subject_for(request.cls) as subject:
        yield Context(subject, request.cls.strictness, request.cls.seed)

"""The hooks a synth-host plugin package may implement, grouped by life-cycle stage.

Registration hooks take a ``register`` callback instead of returning lists, so the
host can add keyword arguments later without breaking any plugin.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT = "synth_host"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[..., None]


# -- registration: called once, when the host loads plugins ------------------


@hookspec
def register_generators(register: Register) -> None:
    """Call ``register(GeneratorClass)`` for each Generator subclass the package provides."""


@hookspec
def register_effects(register: Register) -> None:
    """Call ``register(EffectClass)`` for each Effect subclass the package provides."""


@hookspec
def register_watermarkers(register: Register) -> None:
    """Call ``register(WatermarkerClass)`` for each Watermarker subclass the package provides."""


@hookspec
def register_classifiers(register: Register) -> None:
    """Call ``register(ClassifierClass)`` for each Classifier subclass the package provides."""


@hookspec
def register_step_schemes(register: Register) -> None:
    """Call ``register(scheme, factory)`` to resolve chain steps written ``scheme:REF``.

    ``factory(ref, params)`` returns an Effect instance; ``vst3:PATH`` is registered this way.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``synth-host`` click group ``cli`` (use ``@cli.command()``)."""


# -- host life cycle -----------------------------------------------------------


@hookspec
def startup(host: Any) -> None:
    """Called after all plugins are registered, with the PluginHost."""


@hookspec
def shutdown(host: Any) -> None:
    """Called once when the host closes; release devices and files here."""


# -- rendering -----------------------------------------------------------------


@hookspec
def before_render(job: Any) -> None:
    """Called before a file is rendered; ``job`` has ``input``, ``output`` and ``chain``."""


@hookspec
def after_render(job: Any, result: Any) -> None:
    """Called after a file is rendered; ``result`` has ``frames``, ``seconds`` and ``output``."""

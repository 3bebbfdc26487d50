"""VST3 plugins as chain steps: ``vst3:PATH[#plugin-name]``, loaded with ``pedalboard.load_plugin``.

Parameters are declared from what the plugin reports, so they are validated like
any other plugin's. ``preset`` loads a ``.vstpreset`` file and ``state_file`` raw
plugin state saved from ``raw_state``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from plugin_specs import Parameter, PluginError, PluginInfo, hookimpl
from plugin_specs.pedalboard_effect import PedalboardEffect

_FILE_PARAMS = (
    Parameter("preset", "str", None, description="A .vstpreset file to load before other parameters"),
    Parameter("state_file", "str", None, description="A file of raw plugin state (as saved from raw_state)"),
)


class VST3Effect(PedalboardEffect):
    """One loaded VST3 plugin; instances are made by :func:`load_vst3`."""

    plugin_path: str = ""
    plugin_name: str | None = None

    def __init__(self, loaded: Any, **params: Any) -> None:
        super().__init__(**params)
        self._plugin = loaded
        if self.params.get("preset"):
            self._load_file("preset", lambda p: loaded.load_preset(str(p)))
        if self.params.get("state_file"):
            self._load_file("state_file", lambda p: setattr(loaded, "raw_state", p.read_bytes()))
        for name, value in params.items():
            if name not in ("preset", "state_file"):
                self.apply_parameter(loaded, name, self.params[name])

    def _load_file(self, name: str, load: Any) -> None:
        path = Path(self.params[name])
        if not path.is_file():
            raise PluginError(f"{self.info.id}: {name} {path}: no such file")
        try:
            load(path)
        except Exception as exc:
            raise PluginError(f"{self.info.id}: {name} {path}: could not be loaded: {exc}") from None

    def apply_parameter(self, plugin: Any, name: str, value: Any) -> None:
        if name in ("preset", "state_file"):
            return
        try:
            setattr(plugin, name, value)
        except Exception as exc:
            raise PluginError(f"{self.info.id}: parameter {name!r}: {exc}") from None

    def build(self) -> Any:
        return load_plugin_file(self.plugin_path, self.plugin_name)

    def state(self) -> dict[str, Any]:
        return {"params": dict(self.params), "raw_state": bytes(self.pedalboard_plugin().raw_state)}

    def load_state(self, state: dict[str, Any]) -> None:
        if "raw_state" in state:
            self.pedalboard_plugin().raw_state = state["raw_state"]
        super().load_state({"params": {k: v for k, v in state.get("params", {}).items()
                                       if k not in ("preset", "state_file")}})


def load_plugin_file(path: str, name: str | None) -> Any:
    import pedalboard

    return pedalboard.load_plugin(path, plugin_name=name)


def _declare(name: str, param: Any, current: Any) -> Parameter:
    kind = getattr(param, "type", float)
    if kind is bool:
        return Parameter(name, "bool", bool(current), description="VST3 parameter")
    if kind is str:
        return Parameter(name, "str", str(current), choices=tuple(param.valid_values), description="VST3 parameter")
    low, high, _ = param.range
    finite = lambda v: v if v is not None and math.isfinite(v) else None  # noqa: E731
    return Parameter(name, "float", float(current), finite(low), finite(high), unit=param.units or "",
                     description="VST3 parameter")


def _accepts_mono(plugin: Any) -> bool:
    import numpy as np

    try:
        plugin.process(np.zeros((1, 32), dtype=np.float32), 44100.0, reset=True)
        return True
    except ValueError:
        return False
    finally:
        plugin.reset()


def load_vst3(ref: str, params: dict[str, Any]) -> VST3Effect:
    """Factory for the ``vst3`` scheme: ``PATH`` or ``PATH#Plugin Name``."""
    path, _, name = ref.partition("#")
    plugin_id = f"vst3:{ref}"
    if not path:
        raise PluginError(f"{plugin_id}: expected vst3:PATH[#plugin-name]")
    if not Path(path).exists():
        raise PluginError(f"{plugin_id}: {path}: no such file or bundle")
    try:
        loaded = load_plugin_file(path, name or None)
    except Exception as exc:
        raise PluginError(f"{plugin_id}: cannot load: {exc}") from None
    declared = tuple(_declare(n, p, getattr(loaded, n)) for n, p in loaded.parameters.items()) + _FILE_PARAMS
    info = PluginInfo(
        id=plugin_id,
        name=loaded.name,
        version=str(getattr(loaded, "version", "") or "0.0.0"),
        authors=(str(getattr(loaded, "manufacturer_name", "") or "unknown"),),
        description=f"VST3 plugin {loaded.name} ({getattr(loaded, 'category', '')})",
        tags=("vst3",),
        license="proprietary or unknown: see the plugin vendor",
        channels=None if _accepts_mono(loaded) else (2,),
        latency_samples=int(getattr(loaded, "reported_latency_samples", 0) or 0),
        stateful=True,
    )
    cls = type("VST3Plugin", (VST3Effect,), {"info": info, "parameters": declared,
                                             "plugin_path": path, "plugin_name": name or None})
    return cls(loaded, **params)


@hookimpl
def register_step_schemes(register):
    register("vst3", load_vst3)

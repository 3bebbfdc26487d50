"""Presets: a plugin's ``state()`` as a JSON file. Bytes (VST3 raw state) travel as base64."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from plugin_specs import Plugin, PluginError

_BYTES = "__bytes_b64__"


def encode_state(value: Any) -> Any:
    """JSON-ready copy of ``value``; raises TypeError for anything JSON cannot hold."""
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): encode_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_state(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be stored in a preset")


def decode_state(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES}:
            return base64.b64decode(value[_BYTES])
        return {k: decode_state(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    return value


def save_preset(plugin: Plugin, path: Path) -> None:
    data = {"plugin": plugin.info.id, "version": plugin.info.version, "state": encode_state(plugin.state())}
    path.write_text(json.dumps(data, indent=2) + "\n")


def load_preset(plugin: Plugin, path: Path) -> None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PluginError(f"{path}: not a readable preset: {exc}") from None
    if data.get("plugin") != plugin.info.id:
        raise PluginError(f"{path}: preset is for {data.get('plugin')!r}, not {plugin.info.id!r}")
    plugin.load_state(decode_state(data.get("state", {})))

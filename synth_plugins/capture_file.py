"""Capture files: one safetensors file holding a capture network's weights and everything needed to use it.

The safetensors header's string metadata carries the format tag and version, the architecture and its
config, the sample rate, free-form metadata (what was captured, how it was trained) and the held-out
metrics, each as JSON. Loading never unpickles, and every failure is one line naming the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_specs import WeightsError

FORMAT = "synth-host-capture"
VERSION = 1


@dataclass
class Capture:
    arch: str
    config: dict[str, Any]
    sample_rate: int
    tensors: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def build(self, device: str = "cpu") -> Any:
        """The network, weights loaded, in eval mode on ``device``."""
        from .models.capture_nets import build_capture_net

        net = build_capture_net(self.arch, self.config)
        net.load_state_dict(self.tensors, strict=True)
        return net.to(device).eval()


def save_capture(path: Path, net: Any, arch: str, config: dict[str, Any], sample_rate: int,
                 metadata: dict[str, Any], metrics: dict[str, Any]) -> None:
    """Write atomically: a crash leaves no half-written capture under ``path``."""
    from safetensors.torch import save_file

    header = {"format": FORMAT, "version": str(VERSION), "arch": arch, "config": json.dumps(config),
              "sample_rate": str(int(sample_rate)), "metadata": json.dumps(metadata, sort_keys=True),
              "metrics": json.dumps(metrics, sort_keys=True)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    save_file({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, str(tmp), metadata=header)
    tmp.chmod(0o644)
    tmp.replace(path)


def _field(header: dict[str, str], key: str, path: Path, parse: Any = str) -> Any:
    if key not in header:
        raise WeightsError(f"{path}: not a synth-host capture: header has no {key!r}")
    try:
        return parse(header[key])
    except (ValueError, TypeError) as exc:
        raise WeightsError(f"{path}: capture header field {key!r} is invalid: {exc}") from None


def load_capture(path: str | Path) -> Capture:
    """Read and check a capture file; the network is built and loaded once to prove the weights fit."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such capture file")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"{path}: not a readable safetensors file: {str(exc).splitlines()[0]}") from None
    if header.get("format") != FORMAT:
        raise WeightsError(f"{path}: not a synth-host capture (format {header.get('format')!r})")
    version = _field(header, "version", path, int)
    if version > VERSION:
        raise WeightsError(f"{path}: capture format version {version} is newer than this synth-host reads ({VERSION})")
    rate = _field(header, "sample_rate", path, int)
    if not 8000 <= rate <= 384000 or not math.isfinite(rate):
        raise WeightsError(f"{path}: capture sample rate {rate} is out of range")
    capture = Capture(_field(header, "arch", path), _field(header, "config", path, json.loads), rate, tensors,
                      _field(header, "metadata", path, json.loads), _field(header, "metrics", path, json.loads))
    try:
        capture.build()
    except (ValueError, TypeError, RuntimeError) as exc:
        raise WeightsError(f"{path}: weights do not fit the {capture.arch} described: "
                           f"{str(exc).strip().splitlines()[0]}") from None
    return capture

"""Shipped model weights: safetensors beside a JSON model card, loaded without unpickling anything.

Every failure names the file and the cause in one line (``WeightsError``).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from plugin_specs import WeightsError

WEIGHTS_DIR = Path(str(resources.files("synth_plugins") / "weights"))


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.safetensors"


def card_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.json"


def load_card(name: str, path: Path | None = None) -> dict[str, Any]:
    path = path or card_path(name)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise WeightsError(f"{path}: model card missing; reinstall synth-host or run `synth-host train {name}`") from None
    except (OSError, ValueError) as exc:
        raise WeightsError(f"{path}: model card unreadable: {exc}") from None


def load_state(name: str, path: Path | None = None, device: str = "cpu") -> dict[str, Any]:
    """The tensors of a safetensors file, checked for presence and integrity."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = path or weights_path(name)
    if not path.is_file():
        raise WeightsError(f"{path}: weights file missing; reinstall synth-host or run `synth-host train {name}`")
    try:
        return load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        size = path.stat().st_size
        raise WeightsError(f"{path}: corrupt weights file ({size} bytes): {exc}") from None


def load_model(model: Any, name: str, path: Path | None = None, device: str = "cpu") -> Any:
    """Fill ``model`` from its weights; a shape or key mismatch is a WeightsError, not a traceback."""
    state = load_state(name, path, device)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise WeightsError(f"{path or weights_path(name)}: weights do not fit the model: {first}") from None
    return model.to(device).eval()


def save_model(model: Any, path: Path, card: dict[str, Any]) -> None:
    """Write weights and card atomically (temp file then rename), so a crash leaves the old pair intact."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".safetensors.part")
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))
    tmp.chmod(0o644)  # package data: readable by every user of an installed copy
    tmp.replace(path)
    card_tmp = path.with_suffix(".json.part")
    card_tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    card_tmp.replace(path.with_suffix(".json"))

"""Model cards for the bundled captures, written beside their capture files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _command(name: str, cfg: dict[str, Any]) -> str:
    flags = " ".join(f"--{k.replace('_', '-')} {cfg[k]}" for k in
                     ("arch", "size", "steps", "lr", "batch_size", "segment", "warmup", "seed", "threads"))
    return f"synth-host capture --bundled {name} {flags} --device cpu"


def write_card(target: Path, summary: dict[str, Any]) -> Path:
    """Data, training, size and held-out ESR of one capture, from the file itself and its training summary."""
    from synth_plugins.capture_file import load_capture

    capture = load_capture(target)
    meta = capture.metadata
    card = {
        "name": meta["name"], "kind": "effect (neural capture)", "arch": capture.arch, "size": meta.get("size"),
        "config": capture.config, "sample_rate": capture.sample_rate,
        "parameters": summary["parameters"], "weights_bytes": target.stat().st_size,
        "captured_chain": meta.get("chain"),
        "data": {"training": f"the synth-host capture excitation v{meta.get('excitation_version')} "
                             f"({meta.get('excitation_seconds')} s: clicks, sweeps, noise bursts, phrases) "
                             "rendered through the chain", "heldout": meta.get("heldout")},
        "training": {"steps_run": summary["steps_run"], "best_step": summary["best_step"],
                     "minutes": summary["train_minutes"], "device": summary["device"],
                     "threads": summary["threads"], "seed": summary["config"]["seed"],
                     "command": _command(meta["name"], summary["config"])},
        "metrics": {"heldout_esr": summary["heldout_esr"]},
    }
    path = target.with_suffix(".json")
    path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return path

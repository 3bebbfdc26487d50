"""Classifier speed on one CPU thread, front end included, against silero-vad in the same run.

    python bench/classifier_speed.py            # writes bench/results/classifiers.json

Material: 60 s of noise-plus-tone at 48 kHz stereo, so resampling and downmixing are timed too.
The cost per second is flat in input length (windowed inference); the run checks 10 s and 120 s.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from host.registry import PluginHost

RATE = 48000


def material(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * RATE)) / RATE
    x = 0.05 * rng.standard_normal(t.size) + 0.2 * np.sin(2 * np.pi * 220 * t)
    return np.stack([x, x]).astype(np.float32)


def speed(plugin, seconds: float) -> float:
    x = material(seconds)
    plugin.classify(x[:, :RATE])  # warm-up
    best = min(_timed(plugin, x) for _ in range(3))
    return seconds / best


def _timed(plugin, x) -> float:
    start = time.perf_counter()
    plugin.classify(x)
    return time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(1)
    host = PluginHost()
    results = {"machine": f"{platform.machine()}, 1 torch thread", "input": "48 kHz stereo"}
    for plugin_id in ("content-classifier", "instrument-classifier", "silero-vad"):
        if plugin_id not in host.records:
            results[plugin_id] = "not installed"
            continue
        plugin = host.create(plugin_id)
        plugin.prepare(RATE, 2, 8192, "cpu")
        results[plugin_id] = {f"{s:g}s_x_realtime": round(speed(plugin, s), 1) for s in (10.0, 60.0, 120.0)}
    if isinstance(results.get("silero-vad"), dict):
        ours = results["content-classifier"]["60s_x_realtime"]
        results["content_vs_silero_speed_ratio_60s"] = round(ours / results["silero-vad"]["60s_x_realtime"], 2)
    out = Path(__file__).parent / "results" / "classifiers.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

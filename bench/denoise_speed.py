"""Speed of neural-denoise, RNNoise and noisereduce on one CPU thread, over input lengths.

Each system gets the same 16 kHz noise-like input (RNNoise upsampled to its 48 kHz inside the timing);
quality side by side is in ``synth-host eval neural-denoise``.

    python bench/denoise_speed.py --lengths 10 60 [--out bench/results/denoise_speed.json]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from synth_train.denoise_eval import RATE, noisereduce, ours, rnnoise
from synth_train.evaluate import x_realtime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--out", default="bench/results/denoise_speed.json")
    args = parser.parse_args()
    systems = {"neural-denoise": ours(), "rnnoise": rnnoise(), "noisereduce": noisereduce()}
    table = {name: {f"{s:g} s": round(x_realtime(run, RATE, s), 1) for s in args.lengths}
             for name, run in systems.items() if run is not None}
    for name, row in table.items():
        print(f"{name:16s} " + "  ".join(f"{k}: {v:7.1f}x" for k, v in row.items()))
    report = {"machine": platform.processor() or platform.machine(), "threads": 1, "x_realtime": table}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

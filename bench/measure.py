"""Timing helpers the benchmark scripts share (they run as ``python bench/X.py``, so this folder is on the path)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from typing import Callable

# A tiny launcher runs each command: a child forked straight from a (large) benchmark process would report
# that process's memory as its own peak.
_PROBE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
          "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
          "w = time.perf_counter() - t; sys.stderr.write(r.stderr.decode(errors='replace')); "
          "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")


def synth_host() -> list[str]:
    exe = shutil.which("synth-host")
    return [exe] if exe else [sys.executable, "-m", "host.cli"]


def run_child(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of ``cmd`` and its children, in a fresh process; exits if it fails."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *cmd], capture_output=True, text=True, check=True)
    wall, maxrss_kib, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"failed ({rc}): {' '.join(cmd)}\n{out.stderr}")
    return float(wall), int(maxrss_kib) * 1024


def best_of(run: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best

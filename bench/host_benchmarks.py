"""Host overhead, streaming memory and startup, each against a peer measured in the same run.

    python bench/host_benchmarks.py [--minutes 20] [--long-minutes 60] [--out bench/results/host.json]

1. Overhead: a 5-effect pedalboard chain through `synth-host process` against a plain
   pedalboard script streaming the same file with AudioFile (both as fresh processes).
2. Memory: peak RSS of `synth-host process` on a 1-minute and a long stereo 48 kHz file.
3. Startup: wall time of `synth-host plugins`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from measure import run_child, synth_host

CHAIN = ("HighpassFilter cutoff_frequency_hz=80 | Compressor threshold_db=-18 ratio=3 | "
         "Chorus | Reverb room_size=0.3 | Gain gain_db=-3")
PEER = """
import sys
import pedalboard
from pedalboard.io import AudioFile
board = pedalboard.Pedalboard([pedalboard.HighpassFilter(cutoff_frequency_hz=80),
    pedalboard.Compressor(threshold_db=-18, ratio=3), pedalboard.Chorus(), pedalboard.Reverb(room_size=0.3),
    pedalboard.Gain(gain_db=-3)])
with AudioFile(sys.argv[1]) as f, AudioFile(sys.argv[2], "w", f.samplerate, f.num_channels, bit_depth=24) as o:
    while f.tell() < f.frames:
        o.write(board(f.read(8192), f.samplerate, reset=False))
"""
SR = 48000


def make_file(path: Path, minutes: float) -> None:
    """Stereo 48 kHz 24-bit: a chord with a slow tremolo plus a little noise, written in one-minute pieces."""
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", SR, 2, subtype="PCM_24") as f:
        done, total = 0, int(minutes * 60 * SR)
        while done < total:
            n = min(60 * SR, total - done)
            t = (done + np.arange(n)) / SR
            mono = sum(np.sin(2 * np.pi * f0 * t) for f0 in (220.0, 277.2, 329.6)) / 4
            mono *= 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t)
            x = np.stack([mono, np.roll(mono, 50)]) + 0.01 * rng.standard_normal((2, n))
            f.write(x.T.astype(np.float32))
            done += n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0, help="length of the overhead test file")
    ap.add_argument("--long-minutes", type=float, default=60.0, help="length of the long memory test file")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="bench/results/host.json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="synth-host-bench-"))
    results: dict = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                     "python": platform.python_version()}
    try:
        src = work / "in.wav"
        make_file(src, args.minutes)
        peer_script = work / "peer.py"
        peer_script.write_text(PEER)
        ours, theirs = [], []
        for i in range(args.repeats):  # interleaved so drift hits both alike; fresh output files each time
            for out in (work / "ours.wav", work / "peer.wav"):
                out.unlink(missing_ok=True)
            subprocess.run(["sync"], check=False)  # neither run pays for the other's disk writeback
            ours.append(run_child(synth_host() + ["process", str(src), "-o", str(work / "ours.wav"), "--chain", CHAIN,
                                              "--tail", "0"])[0])
            subprocess.run(["sync"], check=False)
            theirs.append(run_child([sys.executable, str(peer_script), str(src), str(work / "peer.wav")])[0])
        a, b = sf.read(work / "ours.wav", frames=SR * 10), sf.read(work / "peer.wav", frames=SR * 10)
        audio_s = args.minutes * 60
        results["overhead"] = {
            "chain": CHAIN, "audio_seconds": audio_s,
            "synth_host_s": statistics.median(ours), "pedalboard_s": statistics.median(theirs),
            "ratio": statistics.median(ours) / statistics.median(theirs),
            "synth_host_x_realtime": audio_s / statistics.median(ours),
            "max_abs_diff_first_10s": float(np.max(np.abs(a[0] - b[0]))),
        }
        print(json.dumps(results["overhead"], indent=2))

        memory = {}
        for label, minutes in (("short", 1.0), ("long", args.long_minutes)):
            path = work / f"{label}.wav"
            make_file(path, minutes)
            secs, rss = run_child(synth_host() + ["process", str(path), "-o", str(work / f"{label}-out.wav"), "--chain",
                                              CHAIN, "--overwrite"])
            memory[label] = {"minutes": minutes, "peak_rss_mb": rss / 2**20, "seconds": secs,
                             "x_realtime": minutes * 60 / secs}
            path.unlink()
            (work / f"{label}-out.wav").unlink()
        memory["difference_mb"] = memory["long"]["peak_rss_mb"] - memory["short"]["peak_rss_mb"]
        results["memory"] = memory
        print(json.dumps(memory, indent=2))

        starts = [run_child(synth_host() + ["plugins"])[0] for _ in range(5)]
        results["startup"] = {"plugins_command_s": statistics.median(starts)}
        print(json.dumps(results["startup"], indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Batch rendering: worker scaling, SoX as the peer, Ray's overhead, and session memory against length.

    python bench/batch_benchmarks.py [--files 200] [--seconds 10] [--out bench/results/batch.json]

1. Scaling: FILES x SECONDS stereo 44.1 kHz files through a pedalboard + neural chain with
   `synth-host process --jobs 1` and `--jobs 2` (fresh processes; startup included).
2. Peer: the same files through a pedalboard-only chain against SoX running the equivalent effects
   (highpass, compand, reverb, gain), one file at a time as a shell loop runs it, and two at a time;
   the best of two runs each. SoX pads each input with the reverb tail synth-host renders, so both write the same audio. The
   ceiling is the bare pedalboard board on both cores with no reading, writing, hashing or loudness:
   no batch job can beat it.
3. Ray: the scaling batch with `--backend ray --jobs 2` (a local Ray instance, started by the run) against
   the local pool.
4. Memory: peak RSS of `synth-host render` on a 10-track session of 1 and of 10 minutes.
5. Overhead: where one worker's time goes on the pedalboard-only chain, in this process: the bare
   pedalboard board, the loudness measurement the manifest needs, and the whole job as a worker runs it.
6. Lockstep: 3 files through the pedalboard + neural chain rendered together (`--batch 3`) and one at a time.
7. Resample: the host's input resampler (libsoxr) against pedalboard's StreamResampler, 60 s stereo 44.1 -> 48 kHz.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from measure import best_of, run_child, synth_host

NEURAL_CHAIN = ("HighpassFilter cutoff_frequency_hz=80 | capture-bus-glue | Compressor threshold_db=-18 ratio=3 | "
                "Reverb room_size=0.3 | Gain gain_db=-3")
PEDALBOARD_CHAIN = ("HighpassFilter cutoff_frequency_hz=80 | Compressor threshold_db=-18 ratio=3 attack_ms=10 "
                    "release_ms=100 | Reverb room_size=0.3 | Gain gain_db=-3")
SOX_EFFECTS = ["highpass", "80", "compand", "0.01,0.1", "6:-70,-70,-18,-18,0,-12", "0", "reverb", "30", "gain", "-3"]
SR = 44100
PEER_REPEATS = 3  # best of three for synth-host and for SoX one file at a time


def make_files(folder: Path, count: int, seconds: float, rate: int = SR) -> None:
    """Music-like material: a chord per file with tremolo and a little noise, 16-bit stereo."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    for i in range(count):
        rng = np.random.default_rng(i)
        roots = 110 * 2 ** (rng.integers(0, 12, 3) / 12)
        mono = sum(np.sin(2 * np.pi * f * t) for f in roots) / 4 * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
        x = np.stack([mono, np.roll(mono, 40)]) + 0.01 * rng.standard_normal((2, len(t)))
        sf.write(folder / f"take{i:04d}.wav", x.T.astype(np.float32), rate, subtype="PCM_16")


def process(inputs: Path, out: Path, chain: str, *extra: str) -> float:
    shutil.rmtree(out, ignore_errors=True)
    wall, _ = run_child([*synth_host(), "process", str(inputs), "-o", str(out), "-c", chain, *extra])
    return wall


def sox_batch(inputs: Path, out: Path, parallel: int, pad: float) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    script = (f'cd "{inputs}" && ls *.wav | xargs -P {parallel} -I{{}} '
              f'sox {{}} -b 16 "{out}/{{}}" pad 0 {pad:.6f} {" ".join(SOX_EFFECTS)}')
    wall, _ = run_child(["bash", "-c", script])
    return wall


def session_text(source: Path, minutes: float) -> str:
    tracks = []
    chains = ["Compressor threshold_db=-20 ratio=3", "HighpassFilter cutoff_frequency_hz=100 | Chorus",
              "LowpassFilter cutoff_frequency_hz=6000", "Distortion drive_db=6 | Gain gain_db=-6",
              "Phaser", "PeakFilter cutoff_frequency_hz=1000 gain_db=3", "Delay delay_seconds=0.25 mix=0.3",
              "Compressor threshold_db=-12 ratio=2 | LowShelfFilter gain_db=2", "HighShelfFilter gain_db=-2", "Gain"]
    for i, chain in enumerate(chains):
        tracks.append(f'[[track]]\nname = "t{i}"\nsource = "{source}"\nstart = {i * 0.1}\npan = {(i - 4.5) / 5:.2f}\n'
                      f'gain_db = -8\nchain = "{chain}"\nsends = {{ room = -10.0 }}\n')
    return (f"[session]\nsample_rate = 48000\nduration = {minutes * 60}\n" + "\n".join(tracks)
            + '\n[[bus]]\nname = "room"\nchain = "Reverb room_size=0.6 wet_level=1 dry_level=0"\n'
              '\n[master]\nchain = "Limiter threshold_db=-2"\n'
              '\n[output]\nbit_depth = 24\nloudness = -16.0\ntrue_peak = -1.0\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--session-minutes", type=float, nargs=2, default=(1.0, 10.0))
    parser.add_argument("--parts", nargs="+", default=["scaling", "sox", "ray", "memory", "overhead", "lockstep", "resample"],
                        choices=["scaling", "sox", "ray", "memory", "overhead", "lockstep", "resample"],
                        help="which measurements to run")
    parser.add_argument("--out", default="bench/results/batch.json")
    args = parser.parse_args()
    # A wheel install ships bytecode; an editable one, run with PYTHONDONTWRITEBYTECODE set (as on this
    # machine), would recompile every module in the supervisor and in each worker at every start.
    repo = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(repo / d) for d in ("host", "synth_plugins",
                    "plugin_specs"))], check=True)
    audio = args.files * args.seconds
    parts = set(args.parts)
    previous = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    results: dict = {**previous, "machine": platform.machine(), "cpus": os.cpu_count(), "files": args.files,
                     "seconds_each": args.seconds, "audio_seconds": audio}
    with tempfile.TemporaryDirectory(prefix="synth-host-batch-") as tmp:
        root = Path(tmp)
        make_files(root / "in", args.files, args.seconds)
        if "scaling" in parts or "ray" in parts:
            one = process(root / "in", root / "o1", NEURAL_CHAIN, "--jobs", "1")
            two = process(root / "in", root / "o2", NEURAL_CHAIN, "--jobs", "2")
            results["scaling"] = {"chain": NEURAL_CHAIN, "wall_1_worker": round(one, 2), "wall_2_workers": round(two, 2),
                                  "x_realtime_1": round(audio / one, 1), "x_realtime_2": round(audio / two, 1),
                                  "speedup_2_vs_1": round(one / two, 3)}
            print(json.dumps(results["scaling"]), flush=True)
        if "sox" in parts:
            sox_part(root, audio, results)
        if "ray" in parts:
            ray = process(root / "in", root / "r2", NEURAL_CHAIN, "--jobs", "2", "--backend", "ray")
            results["ray"] = {"wall_ray_2": round(ray, 2), "wall_local_2": round(two, 2),
                              "overhead_ratio": round(ray / two, 3), "overhead_seconds": round(ray - two, 2)}
            print(json.dumps(results["ray"]), flush=True)
        if "memory" in parts:
            memory_part(root, args.session_minutes, results)
        if "overhead" in parts:
            overhead_part(root, args.seconds, results)
        if "lockstep" in parts:
            lockstep_part(root, results)
        if "resample" in parts:
            resample_part(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def sox_part(root: Path, audio: float, results: dict) -> None:
    ours_one = process(root / "in", root / "p1", PEDALBOARD_CHAIN, "--jobs", "1")
    first = sorted((root / "in").glob("*.wav"))[0]
    tail = sf.info(root / "p1" / first.name).duration - sf.info(first).duration
    ours_runs, sox1_runs = [], []
    for _ in range(PEER_REPEATS):  # interleaved, so a slow spell of the machine hits both sides
        ours_runs.append(process(root / "in", root / "p2", PEDALBOARD_CHAIN, "--jobs", "2"))
        sox1_runs.append(sox_batch(root / "in", root / "s1", 1, tail))
    ours, sox1 = min(ours_runs), min(sox1_runs)
    sox2 = min(sox_batch(root / "in", root / "s2", 2, tail) for _ in range(2))
    if abs(sf.info(root / "s1" / first.name).frames - sf.info(root / "p1" / first.name).frames) > 1:
        raise SystemExit("SoX and synth-host wrote different lengths; the comparison would not be like for like")
    audio_in = load(sorted((root / "in").glob("*.wav")), tail)
    bare = best_of(lambda: run_board(audio_in), repeats=1)
    results["peer_sox"] = {
        "chain": PEDALBOARD_CHAIN, "sox_effects": f"pad 0 {tail:.3f} " + " ".join(SOX_EFFECTS),
        "tail_seconds": round(tail, 3), "bare_pedalboard_1_core_s": round(bare, 2),
        "ceiling_2_cores_vs_sox_sequential": round(sox1 / (bare / 2), 2),
        "sox_version": subprocess.run(["sox", "--version"], capture_output=True, text=True).stdout.strip(),
        "wall_ours_2_workers": round(ours, 2), "wall_ours_1_worker": round(ours_one, 2),
        "runs_ours_2_workers": [round(t, 2) for t in ours_runs], "runs_sox_sequential": [round(t, 2) for t in sox1_runs],
        "wall_sox_sequential": round(sox1, 2), "wall_sox_2_parallel": round(sox2, 2),
        "x_realtime_ours_2": round(audio / ours, 1), "x_realtime_ours_1": round(audio / ours_one, 1),
        "x_realtime_sox_sequential": round(audio / sox1, 1), "x_realtime_sox_2": round(audio / sox2, 1),
        "ours_2_vs_sox_sequential": round(sox1 / ours, 2), "ours_2_vs_sox_2_parallel": round(sox2 / ours, 2),
        "ours_1_vs_sox_sequential": round(sox1 / ours_one, 2)}
    print(json.dumps(results["peer_sox"]), flush=True)


def load(files: list[Path], tail: float = 0.0) -> list[np.ndarray]:
    """Each file as float32 (channels, samples), with ``tail`` seconds of silence after it."""
    out = []
    for f in files:
        x = sf.read(f, dtype="float32", always_2d=True)[0].T
        out.append(np.concatenate([x, np.zeros((x.shape[0], round(tail * SR)), np.float32)], axis=1))
    return out


def run_board(audio: list[np.ndarray]) -> None:
    """The peer chain's pedalboard board alone, 8192-sample blocks, a fresh board per file: no I/O."""
    import pedalboard

    for x in audio:
        board = pedalboard.Pedalboard([pedalboard.HighpassFilter(80), pedalboard.Compressor(-18, 3, 10, 100),
                                       pedalboard.Reverb(room_size=0.3), pedalboard.Gain(-3)])
        for i in range(0, x.shape[-1], 8192):
            board.process(x[:, i : i + 8192], SR, buffer_size=8192, reset=False)


def overhead_part(root: Path, seconds: float, results: dict) -> None:
    """20 files in this process, one thread: the chain alone, the loudness meter alone, the whole job."""
    import torch

    from host.jobs import process_payload, run_job
    from host.loudness import LoudnessMeter
    from host.registry import PluginHost
    from host.render import RenderOptions

    torch.set_num_threads(1)
    files = sorted((root / "in").glob("*.wav"))[:20]
    audio = load(files)

    def bare() -> None:
        run_board(audio)

    def meter() -> None:
        for x in audio:
            m = LoudnessMeter(SR, 2, true_peak=False)
            for i in range(0, x.shape[-1], 8192):
                m.add(x[:, i : i + 8192])
            m.result()

    host, out = PluginHost(), root / "overhead"
    out.mkdir(exist_ok=True)

    def jobs() -> None:
        for f in files:
            run_job(host, process_payload(f, out / f.name, PEDALBOARD_CHAIN, RenderOptions(overwrite=True)), out)

    audio_s = len(files) * seconds
    t_bare, t_meter, t_job = best_of(bare), best_of(meter), best_of(jobs)
    results["worker_overhead"] = {
        "files": len(files), "audio_seconds": audio_s, "bare_pedalboard_s": round(t_bare, 3),
        "loudness_meter_s": round(t_meter, 3), "whole_job_s": round(t_job, 3),
        "x_realtime_bare": round(audio_s / t_bare, 1), "x_realtime_meter": round(audio_s / t_meter, 1),
        "x_realtime_job": round(audio_s / t_job, 1), "pedalboard_share_of_job": round(t_bare / t_job, 3),
        "meter_share_of_job": round(t_meter / t_job, 3)}
    print(json.dumps(results["worker_overhead"]), flush=True)


def lockstep_part(root: Path, results: dict) -> None:
    """Three files of different lengths, together in lockstep and one after another, warm, in this process."""
    import torch

    from host.chain_spec import parse_chain
    from host.lockstep import render_group
    from host.registry import PluginHost
    from host.render import RenderOptions, render_file

    torch.set_num_threads(1)
    folder = root / "lockstep"
    make_files(folder, 3, 5.0, rate=48000)
    files = sorted(folder.glob("take*.wav"))
    host, specs, opts = PluginHost(), parse_chain(NEURAL_CHAIN), RenderOptions(overwrite=True, device="cpu")
    together = best_of(lambda: render_group(host, specs, [(f, folder / f"g{f.name}") for f in files], opts))
    alone = best_of(lambda: [render_file(host, specs, f, folder / f"s{f.name}", opts) for f in files])
    results["lockstep_cpu"] = {"files": 3, "seconds_each": 5.0, "together_s": round(together, 3),
                               "one_at_a_time_s": round(alone, 3), "ratio": round(together / alone, 3)}
    print(json.dumps(results["lockstep_cpu"]), flush=True)


def resample_part(results: dict) -> None:
    from pedalboard.io import StreamResampler

    from host.audio_io import resampled

    x = np.random.default_rng(0).standard_normal((2, 60 * SR)).astype(np.float32) * 0.1
    blocks = [x[:, i : i + 8192] for i in range(0, x.shape[-1], 8192)]

    def ours() -> None:
        for _ in resampled(iter(blocks), SR, 48000, 2):
            pass

    def peer() -> None:
        r = StreamResampler(float(SR), 48000.0, 2)
        for b in blocks:
            r.process(b)
        r.process(None)

    t_ours, t_peer = best_of(ours), best_of(peer)
    results["input_resampler"] = {"seconds": 60, "soxr_x_realtime": round(60 / t_ours, 1),
                                  "stream_resampler_x_realtime": round(60 / t_peer, 1),
                                  "speedup": round(t_peer / t_ours, 1)}
    print(json.dumps(results["input_resampler"]), flush=True)


def memory_part(root: Path, session_minutes: list[float], results: dict) -> None:
    long_minutes = max(session_minutes)
    source = root / "long.wav"
    make_files(root / "long", 1, long_minutes * 60 + 5, rate=48000)  # the session's rate: no resampling
    (root / "long" / "take0000.wav").rename(source)
    memory = {}
    for minutes in session_minutes:
        path = root / f"session-{minutes:g}.toml"
        path.write_text(session_text(source, minutes))
        shutil.rmtree(root / "sess", ignore_errors=True)
        wall, rss = run_child([*synth_host(), "render", str(path), "-o", str(root / "sess")])
        memory[f"{minutes:g} min"] = {"peak_rss_mib": round(rss / 2**20, 1), "wall": round(wall, 2),
                                      "x_realtime": round(minutes * 60 / wall, 1)}
        print(minutes, memory[f"{minutes:g} min"], flush=True)
    results["session_memory_10_tracks"] = memory


if __name__ == "__main__":
    main()

"""Batches: worker pool, fault isolation, timeouts, retries, resume after kill -9, manifest, Ray backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from host.manifest import Manifest, sha256_file

TESTS = Path(__file__).parent
CHAIN = "HighpassFilter cutoff_frequency_hz=80 | Compressor threshold_db=-18"


def cli(*args, check=None, **kwargs):
    """``synth-host`` in a fresh process with the misbehaving test plugins available to its workers."""
    env = {**os.environ, "SYNTH_HOST_PLUGIN_MODULES": "batch_plugins",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "host.cli", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=300, **kwargs)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


def make_inputs(folder: Path, count: int = 4, loud: tuple[int, ...] = (), seconds: float = 1.0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        x = np.random.default_rng(i).standard_normal((2, int(48000 * seconds))).astype(np.float32) * 0.1
        if i in loud:
            x[:, 1000] = 0.99  # the test-fault plugin misbehaves on this file only
        p = folder / f"take{i}.wav"
        sf.write(p, x.T, 48000, subtype="FLOAT")
        paths.append(p)
    return paths


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def finished(folder: Path) -> dict:
    """What a killed batch left on disk: the manifest and its journal's newer entries."""
    return Manifest(folder / "manifest.json", "process", {}).load_previous()


def hidden(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def test_a_raising_plugin_fails_its_job_only(tmp_path):
    make_inputs(tmp_path / "in", 4, loud=(2,))
    proc = cli("process", tmp_path / "in", "-o", tmp_path / "out", "-c", f"{CHAIN} | test-fault mode=raise",
               "--jobs", "2", check=1)
    assert "take2.wav: RuntimeError: test-fault: loud block" in proc.stderr
    m = manifest(tmp_path / "out")
    status = {Path(j["job"]).name: j["status"] for j in m["jobs"]}
    assert status == {"take0.wav": "done", "take1.wav": "done", "take2.wav": "failed", "take3.wav": "done"}
    assert not (tmp_path / "out" / "take2.wav").exists()
    for job in m["jobs"]:
        if job["status"] == "done":
            out = job["outputs"][0]
            assert sha256_file(tmp_path / "out" / out["path"]) == out["sha256"]
            assert out["lufs"] < -10 and out["sample_peak_dbfs"] < 0
            assert [(c["plugin"], c["version"]) for c in job["chain"]][-1] == ("test-fault", "1.0")
            assert job["chain"][0]["version"].startswith("pedalboard ")
    assert hidden(tmp_path / "out") == []


def test_a_killed_worker_and_a_timeout_are_reported_and_the_rest_finish(tmp_path):
    make_inputs(tmp_path / "a", 3, loud=(1,))
    proc = cli("process", tmp_path / "a", "-o", tmp_path / "crash", "-c", "test-fault mode=crash", "--jobs", "2",
               check=1)
    assert "take1.wav: worker process killed by signal SIGKILL" in proc.stderr
    assert [j["status"] for j in manifest(tmp_path / "crash")["jobs"]] == ["done", "failed", "done"]
    start = time.perf_counter()
    proc = cli("process", tmp_path / "a", "-o", tmp_path / "hang", "-c", "test-fault mode=hang", "--jobs", "2",
               "--timeout", "4", check=1)
    assert time.perf_counter() - start < 60
    assert "take1.wav: timed out after 4 s" in proc.stderr
    assert [j["status"] for j in manifest(tmp_path / "hang")["jobs"]] == ["done", "failed", "done"]
    assert hidden(tmp_path / "crash") == [] and hidden(tmp_path / "hang") == []


def test_retries_rerun_a_crashed_job(tmp_path):
    make_inputs(tmp_path / "in", 3, loud=(0,))
    marker = tmp_path / "crashed-once"
    cli("process", tmp_path / "in", "-o", tmp_path / "out", "-c", f"test-fault mode=crash once={marker}",
        "--jobs", "2", "--retries", "1", check=0)
    jobs = manifest(tmp_path / "out")["jobs"]
    assert [j["status"] for j in jobs] == ["done"] * 3
    assert [j["attempts"] for j in jobs] == [2, 1, 1]


def test_resume_after_a_worker_is_killed_redoes_only_what_is_missing(tmp_path):
    make_inputs(tmp_path / "in", 4, loud=(3,))
    marker = tmp_path / "crashed-once"
    chain = f"{CHAIN} | test-fault mode=crash once={marker}"
    cli("process", tmp_path / "in", "-o", tmp_path / "out", "-c", chain, "--jobs", "2", check=1)
    first = {j["job"]: j for j in manifest(tmp_path / "out")["jobs"]}
    assert [j["status"] for j in first.values()] == ["done", "done", "done", "failed"]
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.wav")}
    proc = cli("process", tmp_path / "in", "-o", tmp_path / "out", "-c", chain, "--jobs", "2", "--resume", check=0)
    assert "3 skipped" in proc.stderr
    jobs = manifest(tmp_path / "out")["jobs"]
    assert [j["status"] for j in jobs] == ["done"] * 4
    for p in (tmp_path / "out").glob("take[012].wav"):
        assert p.stat().st_mtime_ns == stamps[p.name]  # verified by hash, not rewritten
    for j in jobs:
        assert sha256_file(tmp_path / "out" / j["outputs"][0]["path"]) == j["outputs"][0]["sha256"]


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def test_resume_after_the_whole_batch_is_killed(tmp_path):
    """kill -9 of the supervisor mid-batch: no partial file under a real name, and --resume completes it."""
    make_inputs(tmp_path / "in", 8, seconds=2.0)
    out = tmp_path / "out"
    env = {**os.environ, "SYNTH_HOST_PLUGIN_MODULES": "batch_plugins",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    args = [sys.executable, "-m", "host.cli", "process", str(tmp_path / "in"), "-o", str(out), "-c",
            f"{CHAIN} | test-fault mode=slow", "--jobs", "2", "--block-size", "4096"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if any(e["status"] == "done" for e in finished(out).values()):
            break
        time.sleep(0.05)
    workers = children(proc.pid)
    assert len(workers) == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10  # orphaned workers notice the closed pipe (each holds only its own) and exit
    while any(alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)
    done_before = [k for k, e in finished(out).items() if e["status"] == "done"]
    assert 1 <= len(done_before) < 8
    visible = {p.name: sf.read(p)[0].shape[0] for p in out.glob("*.wav")}  # readable, and checked below
    proc2 = cli("process", tmp_path / "in", "-o", out, "-c", f"{CHAIN} | test-fault mode=slow", "--jobs", "2",
                "--block-size", "4096", "--resume", check=0)
    assert f"{len(done_before)} skipped" in proc2.stderr
    jobs = manifest(out)["jobs"]
    assert len(jobs) == 8 and all(j["status"] == "done" for j in jobs)
    for j in jobs:
        o = j["outputs"][0]
        assert sha256_file(out / o["path"]) == o["sha256"]
        if o["path"] in visible:  # a file present right after the kill was already whole
            assert visible[o["path"]] == round(o["seconds"] * o["sample_rate"])
    assert hidden(out) == []


def test_process_batch_equals_single_file_renders_and_manifest_repeats(tmp_path):
    make_inputs(tmp_path / "in", 3)
    cli("process", tmp_path / "in", "-o", tmp_path / "a", "-c", CHAIN, "--jobs", "2", check=0)
    cli("process", tmp_path / "in", "-o", tmp_path / "b", "-c", CHAIN, "--jobs", "1", check=0)
    cli("process", tmp_path / "in" / "take1.wav", "-o", tmp_path / "one.wav", "-c", CHAIN, check=0)
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert sha256_file(tmp_path / "a" / "take1.wav") == sha256_file(tmp_path / "one.wav")


def test_ray_backend_runs_the_same_batch(tmp_path):
    pytest.importorskip("ray")
    make_inputs(tmp_path / "in", 3, loud=(1,))
    proc = cli("process", tmp_path / "in", "-o", tmp_path / "ray", "-c", f"{CHAIN} | test-fault mode=raise",
               "--backend", "ray", "--jobs", "2", check=1)
    assert "take1.wav: RuntimeError: test-fault: loud block" in proc.stderr
    cli("process", tmp_path / "in", "-o", tmp_path / "local", "-c", f"{CHAIN} | test-fault mode=raise",
        "--jobs", "2", check=1)
    ray_jobs, local_jobs = manifest(tmp_path / "ray")["jobs"], manifest(tmp_path / "local")["jobs"]
    assert [j["status"] for j in ray_jobs] == ["done", "failed", "done"]
    assert [j.get("outputs") for j in ray_jobs] == [j.get("outputs") for j in local_jobs]


def test_bad_batch_options_get_one_line_errors(tmp_path):
    make_inputs(tmp_path / "in", 2)
    proc = cli("process", tmp_path / "in", "-o", tmp_path / "out", "-c", CHAIN, "--ray-address", "x:1", check=1)
    assert proc.stderr.strip() == "synth-host: error: --ray-address: needs --backend ray"


def test_render_runs_sessions_as_isolated_jobs(tmp_path):
    make_inputs(tmp_path, 2, loud=(1,))
    for name, source in (("calm", "take0.wav"), ("loud", "take1.wav")):
        (tmp_path / f"{name}.toml").write_text(
            f'[[track]]\nname = "a"\nsource = "{source}"\nchain = "test-fault mode=raise | Gain gain_db=-1"\n'
            '[output]\nbit_depth = 16\nloudness = -20.0\n')
    proc = cli("render", tmp_path / "calm.toml", tmp_path / "loud.toml", "-o", tmp_path / "out", "--jobs", "2",
               check=1)
    assert "loud.toml: RuntimeError: test-fault: loud block" in proc.stderr
    jobs = manifest(tmp_path / "out")["jobs"]
    assert [(Path(j["job"]).name, j["status"]) for j in jobs] == [("calm.toml", "done"), ("loud.toml", "failed")]
    assert (tmp_path / "out" / "calm" / "mix.wav").exists()
    assert not (tmp_path / "out" / "loud" / "mix.wav").exists() and hidden(tmp_path / "out") == []
    assert abs(jobs[0]["outputs"][0]["lufs"] + 20) < 0.5


def test_files_rendered_together_equal_files_rendered_alone(tmp_path):
    """--batch 3: the capture (batchable) runs the files as one batch; outputs match one-at-a-time renders."""
    make_inputs(tmp_path / "in", 4, seconds=0.8)
    x = np.random.default_rng(9).standard_normal((2, 30000)).astype(np.float32) * 0.1
    sf.write(tmp_path / "in" / "take4.wav", x.T, 48000, subtype="FLOAT")  # a shorter file in the group
    chain = "HighpassFilter cutoff_frequency_hz=80 | capture-bus-glue | Reverb room_size=0.2"
    cli("process", tmp_path / "in", "-o", tmp_path / "together", "-c", chain, "--batch", "3", "--jobs", "1",
        check=0)
    cli("process", tmp_path / "in", "-o", tmp_path / "alone", "-c", chain, "--jobs", "1", check=0)
    for name in [f"take{i}.wav" for i in range(5)]:
        a, b = sf.read(tmp_path / "together" / name)[0], sf.read(tmp_path / "alone" / name)[0]
        assert a.shape == b.shape and np.max(np.abs(a - b)) < 1e-5, name
    assert [j["status"] for j in manifest(tmp_path / "together")["jobs"]] == ["done"] * 5


def test_a_bad_file_in_a_group_costs_only_itself(tmp_path):
    make_inputs(tmp_path / "in", 4, loud=(1,))
    proc = cli("process", tmp_path / "in", "-o", tmp_path / "out", "-c", "test-fault mode=raise | capture-lofi",
               "--batch", "4", "--jobs", "1", check=1)
    assert "take1.wav: RuntimeError: test-fault: loud block" in proc.stderr
    assert [j["status"] for j in manifest(tmp_path / "out")["jobs"]] == ["done", "failed", "done", "done"]
    assert hidden(tmp_path / "out") == []


def test_manifest_journal_keeps_every_finished_job_between_saves(tmp_path, monkeypatch):
    """Jobs recorded between manifest rewrites survive a kill through the journal; a cut-off line is ignored."""
    import host.manifest as mm

    monkeypatch.setattr(mm, "SAVE_EVERY", 3600.0)
    (tmp_path / "a.wav").write_bytes(b"a")
    m = Manifest(tmp_path / "manifest.json", "process", {})
    m.set_order(["x", "y"])
    m.start()
    m.record("x", {"status": "done", "outputs": [{"path": "a.wav", "sha256": sha256_file(tmp_path / "a.wav")}]})
    m.record("y", {"status": "failed", "error": "boom"})
    assert manifest(tmp_path)["jobs"] == []  # not rewritten yet: the journal holds both
    with open(m.journal, "a") as f:
        f.write('{"job": "z", "stat')  # the line a kill cut short
    previous = Manifest(tmp_path / "manifest.json", "process", {}).load_previous()
    assert sorted(previous) == ["x", "y"] and previous["y"]["error"] == "boom"
    assert m.verified(previous["x"]) and not m.verified(previous["y"])
    m.finish()
    assert [j["job"] for j in manifest(tmp_path)["jobs"]] == ["x", "y"] and not m.journal.exists()

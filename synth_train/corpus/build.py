"""Build the local training corpus: plan from the seed, render with worker processes, write manifest and summary.

The corpus is built in a temporary sibling directory and renamed into place only when complete, so an
interrupted build never leaves a directory that looks finished. A finished corpus with the same preset, seed
and builder version is reused as is.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .fluid import render_soundfont_chunk
from .hydrogen import render_hydrogen
from .manifest import CONTENT_LABELS, DRUM_CLASSES, INSTRUMENT_FAMILIES, SAMPLE_RATE, read_manifest, write_manifest
from .mixes import render_mixes
from .noise import render_synthesised
from .plan import PRESETS, Plan, Task, make_plan
from .speech import render_espeak, render_festival
from .splits import policy_description
from .tools import check_all, tool_version

BUILDER_VERSION = "3"  # bump whenever the same preset + seed would produce different clips
MANIFEST = "manifest.jsonl"
SUMMARY = "corpus.json"

DETERMINISM_NOTE = (
    "Same preset + seed + builder version gives a byte-identical manifest.jsonl and identical decoded audio: every "
    "parameter is drawn in the parent process from per-section seeded streams; espeak-ng, festival and fluidsynth "
    "(reverb and chorus off, float output) are bit-exact run to run on one machine; quantisation to 16 bit is done "
    "in numpy. Other tool versions (see tools) may render different audio for the same manifest."
)


def run_task(task: Task, root: Path) -> list[dict]:
    """Render one task's clips into `root` (runs in a worker process)."""
    if task.kind == "fluidsynth":
        return render_soundfont_chunk(task.soundfont, task.clips, root)
    if task.kind == "espeak":
        return render_espeak(task.clips, root)
    if task.kind == "festival":
        return render_festival(task.clips, root)
    if task.kind == "hydrogen":
        return render_hydrogen(task.clips, root)
    if task.kind == "synthesised":
        return render_synthesised(task.clips, root)
    if task.kind == "mix":
        return render_mixes(task.clips, root, task.component_paths)
    raise ValueError(f"unknown task kind {task.kind!r}")


def _run_tasks(tasks: list[Task], root: Path, pool: ProcessPoolExecutor | None, say: Callable[[str], None],
               done_before: int, total: int) -> list[dict]:
    results: list[dict] = []
    if pool is None:
        for i, task in enumerate(tasks, done_before + 1):
            results.extend(run_task(task, root))
            say(f"[{i}/{total}] {task.label()}")
        return results
    futures = [(pool.submit(run_task, task, root), task) for task in tasks]
    for i, (future, task) in enumerate(futures, done_before + 1):
        results.extend(future.result())
        say(f"[{i}/{total}] {task.label()}")
    return results


def summarise(records: list[dict], dropped: list[dict], preset: str, seed: int, jobs: int, wall_s: float) -> dict:
    def count(key: str, names) -> dict:
        c = Counter(r[key] for r in records if r[key] is not None)
        return {n: c.get(n, 0) for n in names}
    total_s = sum(r["seconds"] for r in records)
    return {
        "preset": preset,
        "seed": seed,
        "builder_version": BUILDER_VERSION,
        "sample_rate": SAMPLE_RATE,
        "format": "mono FLAC PCM_16",
        "clips": len(records),
        "total_seconds": round(total_s, 3),
        "total_hours": round(total_s / 3600, 4),
        "counts": {
            "content": {label: sum(label in r["content"] for r in records) for label in CONTENT_LABELS},
            "content_combinations": dict(sorted(Counter("+".join(r["content"]) for r in records).items())),
            "instrument": count("instrument", INSTRUMENT_FAMILIES),
            "drum": count("drum", DRUM_CLASSES),
            "source": dict(sorted(Counter(r["source"] for r in records).items())),
            "split": {s: sum(r["split"] == s for r in records) for s in ("train", "val", "test")},
            "augmented": sum(r["params"].get("augment") is not None for r in records),
        },
        "dropped": dropped,
        "split_policy": policy_description(),
        "preset_definition": PRESETS[preset].__dict__,
        "tools": {name: tool_version(name) for name in ("espeak-ng", "festival", "fluidsynth")},
        "determinism": DETERMINISM_NOTE,
        "jobs": jobs,
        "build_wall_seconds": round(wall_s, 2),
    }


def is_complete(out: Path, preset: str, seed: int) -> bool:
    """True when `out` holds a finished corpus for this preset, seed and builder version with every file present."""
    summary, manifest = out / SUMMARY, out / MANIFEST
    if not (summary.is_file() and manifest.is_file()):
        return False
    try:
        info = json.loads(summary.read_text(encoding="utf-8"))
        records = read_manifest(manifest)
    except (OSError, ValueError):
        return False
    if (info.get("preset"), info.get("seed"), info.get("builder_version")) != (preset, seed, BUILDER_VERSION):
        return False
    return len(records) == info.get("clips") and all((out / r["path"]).is_file() for r in records)


def _replace_dir(built: Path, out: Path) -> None:
    """Move the finished build to `out`, replacing an older corpus there but never an unrelated directory."""
    if out.exists():
        looks_like_corpus = (out / SUMMARY).exists() or (out / MANIFEST).exists() or not any(out.iterdir())
        if not looks_like_corpus:
            raise RuntimeError(f"{out} exists and is not a corpus directory; refusing to replace it")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        built.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        built.rename(out)


def build_corpus(out: Path, preset: str = "small", seed: int = 0, jobs: int = 2,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Build (or reuse, if already built with the same preset+seed+builder version) the corpus in `out`;
    return the manifest path `out/manifest.jsonl`."""
    out = Path(out).resolve()
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    if is_complete(out, preset, seed):
        return out / MANIFEST
    say = progress or (lambda _msg: None)
    check_all()
    started = time.perf_counter()
    plan: Plan = make_plan(PRESETS[preset], seed)
    total = len(plan.first) + len(plan.mixes)
    say(f"planned {len(plan.clips())} clips in {total} tasks (preset {preset}, seed {seed}, jobs {jobs})")

    out.parent.mkdir(parents=True, exist_ok=True)
    building = out.with_name(f".{out.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        pool = None
        if jobs > 1:
            # "spawn": safe even when the caller has threads (torch); scripts calling this need a __main__ guard.
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        try:
            results = _run_tasks(plan.first, building, pool, say, 0, total)
            results += _run_tasks(plan.mixes, building, pool, say, len(plan.first), total)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        records = [r for r in results if "dropped" not in r]
        dropped = sorted((r for r in results if "dropped" in r), key=lambda r: r["dropped"])
        write_manifest(building / MANIFEST, records)
        summary = summarise(records, dropped, preset, seed, jobs, time.perf_counter() - started)
        (building / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        _replace_dir(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    say(f"built {summary['clips']} clips, {summary['total_hours']} h, in {summary['build_wall_seconds']} s -> {out}")
    return out / MANIFEST


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth_train.corpus.build",
                                     description="Build the deterministic local training corpus.")
    parser.add_argument("--out", type=Path, required=True, help="corpus directory (created or replaced)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        manifest = build_corpus(args.out, args.preset, args.seed, args.jobs,
                                progress=None if args.quiet else lambda m: print(m, file=sys.stderr, flush=True))
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())

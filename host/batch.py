"""Batches for ``process`` and ``render``: jobs on a local pool or Ray, retries, resume, progress, manifest."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_specs import SynthHostError

from .jobs import remove_partials
from .manifest import Manifest
from .pool import LocalPool, Outcome, execute, release_warm


@dataclass
class BatchOptions:
    jobs: int = 0  # 0: one per core
    threads: int = 1  # torch threads per worker
    timeout: float | None = None
    retries: int = 0
    resume: bool = False
    backend: str = "local"
    ray_address: str | None = None
    device: str = "cpu"
    overwrite: bool = False
    batch: int = 0  # files rendered together per worker; 0: 8 on a GPU, else 1

    @property
    def batch_size(self) -> int:
        if self.batch:
            return self.batch
        return 8 if self.device.startswith("cuda") else 1

    @property
    def workers(self) -> int:
        return self.jobs or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                                os.cpu_count() or 1)


@dataclass
class Job:
    key: str
    payload: dict[str, Any]
    outputs: list[Path]
    seconds: float = 0.0  # audio seconds, for progress before the job reports its own
    lockstep: Any = None  # jobs with equal values here may render together (process: rate and channels)


@dataclass
class BatchSummary:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    rows: list[tuple[str, str, float, float, str]] = field(default_factory=list)  # key, status, audio s, s, note
    wall: float = 0.0
    audio_seconds: float = 0.0
    order: dict[str, int] = field(default_factory=dict)

    @property
    def speed(self) -> float:
        return self.audio_seconds / self.wall if self.wall > 0 else 0.0


def run_batch(command: str, jobs: list[Job], manifest_path: Path, settings: dict[str, Any], options: BatchOptions,
              show_progress: bool | None = None) -> BatchSummary:
    manifest = Manifest(manifest_path, command, settings)
    manifest.set_order([j.key for j in jobs])
    previous = manifest.load_previous() if options.resume else {}
    summary = BatchSummary(order={j.key: i for i, j in enumerate(jobs)})
    todo: list[Job] = []
    for job in jobs:
        old = previous.get(job.key)
        if old is not None and manifest.verified(old):
            manifest.entries[job.key] = old
            summary.skipped.append(job.key)
            summary.rows.append((job.key, "skipped", float(old.get("audio_seconds", 0.0)), 0.0, "verified by hash"))
        else:
            todo.append(job)
    if options.resume:
        for job in todo:
            remove_partials(job.outputs)
    manifest.start()
    overwrite = {j.key for j in todo} if (options.resume or options.overwrite) else set()
    by_key = {j.key: j for j in todo}
    attempts: dict[str, int] = {}
    show = sys.stderr.isatty() if show_progress is None else show_progress
    start = time.perf_counter()
    with BatchProgress(show, sum(j.seconds for j in todo), len(todo)) as progress:
        def settle(outcome: Outcome) -> list[tuple[str, dict[str, Any]]]:
            """Record one job's outcome; a retry comes back as the task to queue."""
            attempts[outcome.key] = attempts.get(outcome.key, 0) + 1
            job = by_key[outcome.key]
            if outcome.error is not None and outcome.retryable and attempts[outcome.key] <= options.retries:
                progress.note(f"{outcome.key}: {outcome.error}; retrying ({attempts[outcome.key]}/{options.retries})")
                return [(job.key, job.payload)]
            if outcome.entry is not None:
                entry = dict(outcome.entry)
                summary.done.append(job.key)
                seconds = float(entry.get("audio_seconds", job.seconds))
                summary.audio_seconds += seconds
                summary.rows.append((job.key, "done", seconds, outcome.elapsed, ""))
                manifest.record(job.key, {**entry, "attempts": attempts[job.key]})
            else:
                summary.failed[job.key] = outcome.error or "failed"
                summary.rows.append((job.key, "failed", 0.0, outcome.elapsed, outcome.error or ""))
                manifest.record(job.key, {"status": "failed", "error": outcome.error, "attempts": attempts[job.key]})
                progress.note(f"{job.key}: {outcome.error}", error=True)
            progress.advance(job.seconds)
            return []

        def on_outcome(outcome: Outcome) -> list[tuple[str, dict[str, Any]]]:
            members = groups.get(outcome.key)
            if members is None:
                return settle(outcome)
            if outcome.entry is None:  # the group's worker died or timed out: run its files one by one
                progress.note(f"{len(members)} files rendered together failed ({outcome.error}); "
                              "running them one at a time")
                return [(m.key, m.payload) for m in members]
            share = outcome.elapsed / len(members)
            queued = []
            for item in outcome.entry["items"]:
                queued += settle(Outcome(item["key"], item.get("entry"), item.get("error"),
                                         item.get("retryable", True), share))
            return queued

        def on_killed(key: str) -> None:
            for job in groups.get(key, [by_key.get(key)]):
                if job is not None:
                    remove_partials(job.outputs)

        tasks, groups = grouped_tasks(todo, options.batch_size)
        overwrite |= {key for key, members in groups.items() if any(m.key in overwrite for m in members)}
        root = manifest_path.parent
        if options.backend == "ray":
            from .ray_pool import RayPool

            gpus = 1.0 if options.device.startswith("cuda") else 0.0
            RayPool(options.ray_address, options.workers, options.threads, options.timeout, gpus).run(
                tasks, root, overwrite, on_outcome, on_killed)
        elif len(tasks) == 1 and options.timeout is None:  # one job: no worker process to start
            while tasks:
                key, payload = tasks.pop()
                t0 = time.perf_counter()
                status, value, retryable = execute(payload, str(root), key in overwrite, _inline_host(),
                                                   progress.partial)
                outcome = (Outcome(key, value, elapsed=time.perf_counter() - t0) if status == "ok"
                           else Outcome(key, None, value, retryable, time.perf_counter() - t0))
                tasks += on_outcome(outcome)
        elif tasks:
            LocalPool(options.workers, options.threads, options.timeout).run(tasks, root, overwrite, on_outcome,
                                                                            on_killed)
    release_warm()  # the inline and Ray paths take no prestarted workers
    summary.wall = time.perf_counter() - start
    manifest.finish()
    return summary


def grouped_tasks(jobs: list[Job], size: int) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, list[Job]]]:
    """Pool tasks: single jobs, or runs of up to ``size`` process jobs with the same format rendered together."""
    from .jobs import group_payload

    if size <= 1:
        return [(j.key, j.payload) for j in jobs], {}
    tasks: list[tuple[str, dict[str, Any]]] = []
    groups: dict[str, list[Job]] = {}
    run: list[Job] = []

    def close() -> None:
        if len(run) == 1:
            tasks.append((run[0].key, run[0].payload))
        elif run:
            key = f"{run[0].key} (+{len(run) - 1} together)"
            groups[key] = list(run)
            tasks.append((key, group_payload([j.payload for j in run], [j.key for j in run])))
        run.clear()

    for job in jobs:
        if job.payload["kind"] != "process" or job.lockstep is None:
            close()
            tasks.append((job.key, job.payload))
            continue
        if run and (run[0].lockstep != job.lockstep or len(run) == size):
            close()
        run.append(job)
    close()
    return tasks, groups


def _inline_host() -> Any:
    from .cli import get_host

    return get_host()


class BatchProgress:
    """A rich bar over audio seconds with ETA and throughput in x real time; notes print above it."""

    def __init__(self, enabled: bool, total_seconds: float, jobs: int) -> None:
        self.enabled, self.total, self.jobs = enabled, max(total_seconds, 1e-9), jobs
        self.bar: Any = None
        self.started = time.perf_counter()
        self.finished_jobs = 0
        self.done = 0.0

    def __enter__(self) -> "BatchProgress":
        if self.enabled and self.jobs:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                TextColumn("{task.fields[jobs]}"), TextColumn("{task.fields[speed]}"),
                                TimeRemainingColumn(), transient=False)
            self.bar.start()
            self.task = self.bar.add_task("rendering", total=self.total, jobs=f"0/{self.jobs} jobs", speed="")
        return self

    def __exit__(self, *_: Any) -> None:
        if self.bar is not None:
            self.bar.stop()

    def partial(self, done: float, total: float) -> None:
        """Progress inside the one job of a batch, run in this process: it knows its own length best."""
        if self.bar is not None:
            self.bar.update(self.task, total=total)
            self._show(done)

    def advance(self, planned_seconds: float) -> None:
        self.finished_jobs += 1
        self.done += planned_seconds
        if self.bar is not None:
            self._show(max(self.done, self.bar.tasks[0].completed))

    def _show(self, done: float) -> None:
        elapsed = time.perf_counter() - self.started
        self.bar.update(self.task, completed=done, jobs=f"{self.finished_jobs}/{self.jobs} jobs",
                        speed=f"{done / elapsed:.0f}x real time" if elapsed > 0 else "")

    def note(self, message: str, error: bool = False) -> None:
        line = f"synth-host: {'error: ' if error else ''}{message}"
        if self.bar is not None:
            self.bar.console.print(line, style="red" if error else "yellow", markup=False, highlight=False)
        else:
            print(line, file=sys.stderr)


def print_summary(summary: BatchSummary, manifest_path: Path) -> None:
    """The closing table: one row per job, then the totals."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True, soft_wrap=True, highlight=False)
    table = Table(box=None, pad_edge=False)
    table.add_column("job", overflow="fold")
    for name in ("status", "audio s", "took s", "x RT"):
        table.add_column(name, no_wrap=True)
    table.add_column("note", overflow="fold")
    rows = sorted(summary.rows, key=lambda r: summary.order.get(r[0], 0))
    if len(rows) > 40:  # thousands of rows help nobody: show the failures, then the totals
        rows = [r for r in rows if r[1] == "failed"]
    for key, status, audio, took, note in rows:
        speed = f"{audio / took:.0f}" if took > 0 and audio > 0 else ""
        table.add_row(key, status, f"{audio:.1f}", f"{took:.2f}" if took else "", speed, note)
    console.print(table)
    console.print(f"{len(summary.done)} done, {len(summary.failed)} failed, {len(summary.skipped)} skipped; "
                  f"{summary.audio_seconds:.1f} s of audio in {summary.wall:.1f} s "
                  f"({summary.speed:.0f}x real time); manifest: {manifest_path}")


def check_jobs_option(jobs: int) -> None:
    if jobs < 0:
        raise SynthHostError(f"--jobs {jobs}: must be 0 (one per core) or more")

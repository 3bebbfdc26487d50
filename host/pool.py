"""The local process pool: one worker process per job slot, supervised so that one bad job costs one job.

A worker loads the plugin host once and then runs jobs sent over a pipe. The supervisor watches each
worker's pipe and process sentinel: a job that raises comes back as an error; a worker that dies (a
segfault, the OOM killer, ``kill -9``) or overruns ``timeout`` is reported with that reason, its
half-written temporary files are removed, and a fresh worker takes its place. concurrent.futures cannot
do this: one dead worker breaks its whole pool.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable

from plugin_specs import SynthHostError


@dataclass
class Outcome:
    key: str
    entry: dict[str, Any] | None  # the manifest entry when the job succeeded
    error: str | None = None
    retryable: bool = True  # False for bad input: running it again cannot help
    elapsed: float = 0.0


def describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def execute(payload: dict[str, Any], root: str, overwrite: bool, host: Any = None,
            progress: Any = None) -> tuple[str, Any, bool]:
    """Run one job: ("ok", entry, _) or ("error", message, retryable). Shared by local and Ray workers."""
    from .jobs import run_job

    try:
        if host is None:
            from .registry import PluginHost

            host = PluginHost()
        return "ok", run_job(host, payload, Path(root), overwrite, progress), False
    except SynthHostError as exc:
        return "error", str(exc), False
    except Exception as exc:  # a plugin's own failure: report it, keep the worker
        return "error", f"{type(exc).__name__}: {exc}", True


def _worker(conn: Connection, threads: int, inherited: tuple[Connection, ...] = (), host: Any = None) -> None:
    for end in inherited:  # a forked worker's copies of supervisor pipe ends: a dead supervisor must
        end.close()        # still look dead (end of file) to every worker
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    if host is None:  # spawned; a forked worker was handed the supervisor's loaded host
        from .registry import PluginHost

        host = PluginHost()
    from . import jobs, render  # noqa: F401  the job's own imports, paid before the first job arrives

    import pyebur128  # noqa: F401  (the loudness meter every batch job runs)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the supervisor is gone
            return
        if message is None:
            return
        key, payload, root, overwrite = message
        start = time.perf_counter()
        status, value, retryable = execute(payload, root, overwrite, host)
        if "torch" in sys.modules:  # a plugin imported torch during the job: hold it to its share
            sys.modules["torch"].set_num_threads(threads)
        try:
            conn.send((key, status, value, retryable, time.perf_counter() - start))
        except (EOFError, OSError):
            return


class _Slot:
    def __init__(self, ctx: Any, threads: int, siblings: tuple[Connection, ...] | None = None,
                 host: Any = None) -> None:
        """``siblings``: when forking, the supervisor ends of the other workers' pipes (the child closes
        them and its copy of this pipe's supervisor end); ``host``: a loaded plugin host the forked child
        keeps."""
        self.threads = threads
        self.conn, child = ctx.Pipe()
        inherited = () if siblings is None else (self.conn, *siblings)
        self.process = ctx.Process(target=_worker, args=(child, threads, inherited, host), daemon=True)
        self.process.start()
        child.close()
        self.jobs: list[tuple[str, dict[str, Any]]] = []
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


PREFETCH = 2
_warm: list[_Slot] = []  # workers started ahead of their batch by ``prestart``


def prestart(workers: int, threads: int = 1, host: Any = None) -> None:
    """Start ``workers`` worker processes now: their imports and plugin discovery then overlap the
    supervisor's own preparation (chain checks, probing every input) instead of following it.

    Where forking is safe (Linux, torch not imported, no other thread running) the workers are forked,
    and start with the supervisor's imports and ``host`` (its loaded plugins); otherwise they are spawned.
    """
    import threading

    safe = sys.platform == "linux" and "torch" not in sys.modules and threading.active_count() == 1
    ctx = mp.get_context("fork" if safe else "spawn")
    if safe:
        sys.stdout.flush()
        sys.stderr.flush()
    while len(_warm) < workers:
        if safe:
            _warm.append(_Slot(ctx, threads, tuple(s.conn for s in _warm), host))
        else:
            _warm.append(_Slot(ctx, threads))


def release_warm() -> None:
    """Stop prestarted workers that no batch took."""
    while _warm:
        _warm.pop().stop()


def _take_warm(threads: int, count: int) -> list[_Slot]:
    taken = [s for s in _warm if s.threads == threads and s.process.is_alive()][:count]
    for s in _warm:
        if s not in taken:
            s.stop()
    _warm.clear()
    return taken


class LocalPool:
    """``workers`` processes with ``threads`` torch threads each; ``timeout`` seconds per job (None: none)."""

    def __init__(self, workers: int, threads: int = 1, timeout: float | None = None) -> None:
        self.workers, self.threads, self.timeout = workers, threads, timeout
        self.ctx = mp.get_context("spawn")  # torch and fork do not mix

    def run(self, tasks: list[tuple[str, dict[str, Any]]], root: Path, overwrite: set[str],
            on_outcome: Callable[[Outcome], list[tuple[str, dict[str, Any]]]],
            on_killed: Callable[[str], None] = lambda key: None) -> None:
        """Run every task; ``on_outcome`` returns tasks to queue next (a retry, or a failed group's files).

        Each worker holds up to ``PREFETCH`` jobs, so it starts the next one while the supervisor is still
        recording the last; the first job a worker holds is the one it is running.
        """
        queue = list(reversed(tasks))
        count = min(self.workers, len(tasks))
        slots = _take_warm(self.threads, count)
        slots += [_Slot(self.ctx, self.threads) for _ in range(count - len(slots))]
        try:
            while queue or any(s.jobs for s in slots):
                for s in slots:
                    while len(s.jobs) < PREFETCH and queue:
                        key, payload = queue.pop()
                        if not s.jobs:
                            s.started = time.perf_counter()
                        s.jobs.append((key, payload))
                        s.conn.send((key, payload, str(root), key in overwrite))
                busy = [s for s in slots if s.jobs]
                wait_for = 1.0
                if self.timeout is not None and busy:
                    wait_for = max(0.0, min(s.started + self.timeout - time.perf_counter() for s in busy))
                ready = wait([x for s in busy for x in (s.conn, s.process.sentinel)], timeout=min(wait_for, 1.0))
                for i, s in enumerate(slots):
                    if not s.jobs:
                        continue
                    key, payload = s.jobs[0]
                    outcome, lost = None, False
                    if s.conn in ready:
                        try:
                            _, status, value, retryable, elapsed = s.conn.recv()
                            outcome = (Outcome(key, value, elapsed=elapsed) if status == "ok"
                                       else Outcome(key, None, value, retryable, elapsed))
                        except (EOFError, OSError):
                            pass  # died while answering: handled as a crash below
                    if outcome is None and (s.process.sentinel in ready or not s.process.is_alive()):
                        s.process.join()
                        outcome = Outcome(key, None, f"worker process {describe_exit(s.process.exitcode)}",
                                          True, time.perf_counter() - s.started)
                        lost = True
                    elif (outcome is None and self.timeout is not None
                          and time.perf_counter() - s.started > self.timeout):
                        s.stop(kill=True)
                        outcome = Outcome(key, None, f"timed out after {self.timeout:g} s", True,
                                          time.perf_counter() - s.started)
                        lost = True
                    if outcome is None:
                        continue
                    s.jobs.pop(0)
                    s.started = time.perf_counter()
                    if lost:  # the worker is gone: its waiting jobs never ran, so they go back unharmed
                        on_killed(key)
                        queue.extend(reversed(s.jobs))
                        s.jobs = []
                        s.stop(kill=True)
                        slots[i] = _Slot(self.ctx, self.threads)
                    queue[:0] = reversed(on_outcome(outcome))
        finally:
            for s in slots:
                s.stop(kill=bool(s.jobs))

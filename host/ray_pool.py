"""The Ray backend: the same jobs as the local pool, as Ray tasks on a cluster (or a local Ray instance).

Each task asks Ray for one CPU, and for a GPU when the batch's device is CUDA, so Ray places it where that
is free. At most ``workers`` tasks are in flight, which keeps ``--timeout`` measured from a task's start.
A task that overruns is cancelled with force (its worker process is killed); a crashed worker comes back
as Ray's error and is reported like any other failure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from plugin_specs import SynthHostError

from .pool import Outcome

_HOST: Any = None  # one plugin host per Ray worker process, loaded on its first task


def _ray_job(payload: dict[str, Any], root: str, overwrite: bool, threads: int) -> tuple[str, Any, bool, float]:
    global _HOST
    from .pool import execute

    start = time.perf_counter()
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    if _HOST is None:
        from .registry import PluginHost

        _HOST = PluginHost()
    status, value, retryable = execute(payload, root, overwrite, _HOST)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return status, value, retryable, time.perf_counter() - start


class RayPool:
    def __init__(self, address: str | None, workers: int, threads: int = 1, timeout: float | None = None,
                 gpus_per_job: float = 0.0) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise SynthHostError("--backend ray: Ray is not installed (pip install \"synth-host[ray]\")") from None
        self.address, self.workers, self.threads = address, workers, threads
        self.timeout, self.gpus = timeout, gpus_per_job

    def _init(self) -> Any:
        import ray

        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False}
            try:
                if self.address:
                    ray.init(address=self.address, **kwargs)
                else:
                    ray.init(num_cpus=self.workers, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local instance"
                raise SynthHostError(f"--ray-address {where}: cannot connect to Ray: {exc}") from None
        return ray

    def run(self, tasks: list[tuple[str, dict[str, Any]]], root: Path, overwrite: set[str],
            on_outcome: Callable[[Outcome], list[tuple[str, dict[str, Any]]]],
            on_killed: Callable[[str], None] = lambda key: None) -> None:
        ray = self._init()
        remote = ray.remote(num_cpus=1, num_gpus=self.gpus, max_retries=0)(_ray_job)
        queue = list(reversed(tasks))
        flying: dict[Any, tuple[str, dict[str, Any], float]] = {}
        try:
            while queue or flying:
                while queue and len(flying) < self.workers:
                    key, payload = queue.pop()
                    ref = remote.remote(payload, str(root), key in overwrite, self.threads)
                    flying[ref] = (key, payload, time.perf_counter())
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=1.0)
                now = time.perf_counter()
                for ref in list(flying):
                    key, payload, started = flying[ref]
                    if ref in ready:
                        try:
                            status, value, retryable, elapsed = ray.get(ref)
                            outcome = (Outcome(key, value, elapsed=elapsed) if status == "ok"
                                       else Outcome(key, None, value, retryable, elapsed))
                        except ray.exceptions.RayError as exc:
                            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                            outcome = Outcome(key, None, f"Ray worker failed: {type(exc).__name__}: {reason}",
                                              True, now - started)
                            on_killed(key)
                    elif self.timeout is not None and now - started > self.timeout:
                        ray.cancel(ref, force=True)
                        outcome = Outcome(key, None, f"timed out after {self.timeout:g} s", True, now - started)
                        on_killed(key)
                    else:
                        continue
                    del flying[ref]
                    queue[:0] = reversed(on_outcome(outcome))
        finally:
            for ref in flying:
                ray.cancel(ref, force=True)

"""Options shared by the batch commands (``process``, ``render``); no import of ``host.cli``, so no cycle."""

from __future__ import annotations

from typing import Any, Callable

import click

from plugin_specs import SynthHostError


def batch_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``process`` and ``render`` share for running many jobs."""
    options = [
        click.option("--jobs", "-j", type=click.IntRange(0), default=0, show_default=True,
                     help="Worker processes; 0 is one per core."),
        click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
                     help="torch threads per worker."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Seconds a job may take before its worker is killed and the job reported failed."),
        click.option("--retries", type=click.IntRange(0), default=0, show_default=True,
                     help="Run a job that crashed, timed out or raised again, up to N more times."),
        click.option("--resume", is_flag=True,
                     help="Skip jobs whose outputs the manifest verifies by hash; redo the rest."),
        click.option("--batch", type=click.IntRange(0), default=0, show_default=True,
                     help="Files a worker renders together, so batchable neural steps run them as one batch; "
                          "0 is 8 on a GPU and 1 otherwise."),
        click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True),
        click.option("--ray-address", default=None, help="Ray cluster address [default: start a local Ray]."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_batch_options(jobs: int, threads: int, timeout: float | None, retries: int, resume: bool, batch: int,
                       backend: str, ray_address: str | None, device: str, overwrite: bool) -> Any:
    from .batch import BatchOptions

    if ray_address and backend != "ray":
        raise SynthHostError("--ray-address: needs --backend ray")
    return BatchOptions(jobs, threads, timeout, retries, resume, backend, ray_address, device, overwrite, batch)


def prestart_workers(options: Any, jobs_expected: int, host: Any) -> None:
    """Start a local batch's workers before the supervisor checks chains and probes inputs, so the two
    overlap; a batch of one job runs in this process and starts none."""
    if options.backend == "local" and jobs_expected > 1:
        from .pool import prestart

        prestart(min(options.workers, jobs_expected), options.threads, host)

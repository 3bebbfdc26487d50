"""``synth-host render``: sessions to mixes, stems and a manifest, one job per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plugin_specs import OutputError, SynthHostError

from .cli import cli, get_host
from .cli_batch import batch_options, make_batch_options, prestart_workers


@cli.command("render")
@click.argument("sessions", nargs=-1, required=True)
@click.option("-o", "--output-dir", default="renders", show_default=True,
              help="Folder for the outputs and manifest.json; with several sessions each gets a subfolder.")
@click.option("--device", default="cpu", show_default=True, help="auto|cpu|cuda|mps for neural steps.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@batch_options
def render_cmd(sessions: tuple[str, ...], output_dir: str, device: str, overwrite: bool, jobs: int, threads: int,
               timeout: float | None, retries: int, resume: bool, batch: int, backend: str,
               ray_address: str | None) -> None:
    """Render SESSION.toml files: mix, stems, analysis and manifest.json."""
    from .batch import Job, print_summary, run_batch
    from .devices import resolve_device
    from .jobs import expected_outputs, session_payload
    from .session_graph import check_session
    from .session_spec import load_session

    options = make_batch_options(jobs, threads, timeout, retries, resume, batch, backend, ray_address, device,
                                 overwrite)
    host = get_host()
    prestart_workers(options, len(sessions), host)
    specs = [load_session(s) for s in sessions]  # every session is checked before any renders
    for spec in specs:
        check_session(host, spec)
    options.device = resolve_device(device)
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; -o names a folder")
    out.mkdir(parents=True, exist_ok=True)
    stems = [Path(s).stem for s in sessions]
    clash = {s for s in stems if stems.count(s) > 1}
    if clash and len(sessions) > 1:
        raise SynthHostError(f"two sessions are named {sorted(clash)[0]!r}; their outputs would collide")
    queued = []
    for raw, spec in zip(sessions, specs):
        folder = out if len(sessions) == 1 else out / Path(raw).stem
        folder.mkdir(parents=True, exist_ok=True)
        payload = session_payload(Path(raw), folder, device, overwrite)
        seconds = estimate_seconds(spec)
        queued.append(Job(raw, payload, expected_outputs(payload), seconds))
    manifest_path = out / "manifest.json"
    summary = run_batch("render", queued, manifest_path, {"device": device, "backend": backend}, options)
    for key, error in summary.failed.items():
        if len(queued) == 1:
            raise SynthHostError(error)
    print_summary(summary, manifest_path)
    if summary.failed:
        raise click.exceptions.Exit(1)


def estimate_seconds(spec: Any) -> float:
    """A session's length before rendering (for the progress bar): its duration, or its longest track."""
    if spec.duration:
        return float(spec.duration)
    from .audio_io import probe
    from .midi import read_midi_notes

    ends = [0.0]
    for t in spec.audible():
        if t.source is not None:
            info = probe(t.source)
            ends.append(t.start + info.frames / info.sample_rate)
        elif t.duration:
            ends.append(t.start + t.duration)
        elif t.midi is not None:
            notes = read_midi_notes(t.midi, t.midi_channels, drums=True)
            ends.append(t.start + max(n.start + n.duration for n in notes))
    return max(ends)

"""What the analysing commands (classify, watermark detect) share: whole-file reads, label tracks, and
one loop over inputs in which a bad file among many is reported and skipped.

It imports nothing from ``host.cli``, so the command modules can import it at load time without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import click

from plugin_specs import AudioInputError, OutputError, PluginError


def read_whole(path: Path) -> tuple[Any, int]:
    """The whole file as float32 (channels, samples), streamed through the host's reader."""
    import numpy as np

    from .audio_io import probe, read_blocks

    info = probe(path)
    blocks = list(read_blocks(info, 1 << 16, sanitize=False))
    audio = np.concatenate(blocks, axis=-1) if blocks else np.zeros((info.channels, 0), np.float32)
    return audio, info.sample_rate


def write_audacity_labels(path: Path, segments: Any) -> None:
    """Audacity's label-track text format: start, end and label separated by tabs, times in seconds."""
    lines = [f"{s.start:.6f}\t{s.end:.6f}\t{s.label}\n" for s in segments]
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text("".join(lines))
    tmp.replace(path)


def labels_folder(labels_dir: str | None) -> Path | None:
    """The ``--labels`` folder, created up front so a bad path fails before any file is analysed."""
    if not labels_dir:
        return None
    folder = Path(labels_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create labels folder: {exc.strerror or exc}") from None
    return folder


def analyse_each(jobs: list[tuple[Path, Path | None]], plugin: Any, device: str,
                 analyse: Callable[[Any], Any], failures: list[Path]) -> Iterator[tuple[Path, Any]]:
    """``(source, analyse(audio))`` per input. With one input its error propagates; with many, each bad
    file gets a one-line error, is appended to ``failures`` and skipped."""
    for source, _ in jobs:
        try:
            audio, rate = read_whole(source)
            plugin.prepare(rate, audio.shape[0], 8192, device)
            result = analyse(audio)
        except (AudioInputError, PluginError) as exc:
            if len(jobs) == 1:
                raise
            failures.append(source)
            click.echo(f"synth-host: error: {exc}", err=True)
            continue
        yield source, result

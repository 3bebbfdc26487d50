"""``synth-host watermark embed|detect``: mark rendered files and find the mark later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plugin_specs import OutputError, ParameterError

from .cli import _collect_inputs, _echo_json, cli, get_host
from .cli_inputs import analyse_each, labels_folder, write_audacity_labels

DEFAULT_PLUGIN = "spread-spectrum-watermark"  # neural-watermark joins once its weights ship


@cli.group("watermark")
def watermark_group() -> None:
    """Embed a 16-bit message inaudibly, or detect and locate it."""


def _watermarker(plugin_id: str, key: int | None, params: tuple[str, ...]) -> Any:
    from .chain_spec import parse_params

    values = parse_params(params, "--param")
    host = get_host()
    if key is not None:
        if "key" not in {p.name for p in host.plugin_class(plugin_id, "watermark").parameters}:
            raise ParameterError(f"--key: plugin {plugin_id!r} has no key (its mark is fixed by its weights)")
        values["key"] = key
    return host.create(plugin_id, values, kind="watermark")


def _targets(inputs: tuple[str, ...], output: str) -> list[tuple[Path, Path]]:
    jobs = _collect_inputs(inputs)
    out = Path(output)
    if len(jobs) == 1 and not out.is_dir():
        return [(jobs[0][0], out)]
    if not out.is_dir():
        raise OutputError(f"{out}: with several inputs, -o must be an existing folder")
    return [(src, out / (src.relative_to(root) if root else src.name)) for src, root in jobs]


@watermark_group.command("embed")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Output file (one input) or existing folder.")
@click.option("--message", default="0000", show_default=True, help="16-bit message as 4 hex digits.")
@click.option("--plugin", "plugin_id", default=DEFAULT_PLUGIN, show_default=True)
@click.option("--key", type=int, default=None, help="Secret key, for keyed watermarkers (spread-spectrum).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Watermarker parameter.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("--device", default="auto", show_default=True)
def embed_cmd(inputs: tuple[str, ...], output: str, message: str, plugin_id: str, key: int | None,
              params: tuple[str, ...], overwrite: bool, device: str) -> None:
    """Write a marked copy of each INPUT, in the input's format, rate and channels.

    The file streams through the watermarker as a one-step chain, so long files are marked in bounded memory.
    """
    from .chain_spec import StepSpec
    from .render import RenderOptions, render_file

    from synth_plugins.watermark_common import parse_message

    parse_message(message)  # a bad message fails before any file is read
    plugin = _watermarker(plugin_id, key, params)
    step = StepSpec(plugin_id, {**plugin.params, "message": message}, "--plugin")
    options = RenderOptions(device=device, tail=0.0, overwrite=overwrite)
    host = get_host()
    for source, target in _targets(inputs, output):
        target.parent.mkdir(parents=True, exist_ok=True)
        render_file(host, [step], source, target, options)
        click.echo(f"{source} -> {target}: message {message.lower().removeprefix('0x')} ({plugin_id})")


@watermark_group.command("detect")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--plugin", "plugin_id", default=DEFAULT_PLUGIN, show_default=True)
@click.option("--key", type=int, default=None, help="Secret key, for keyed watermarkers.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Watermarker parameter.")
@click.option("--json", "as_json", is_flag=True, help="Detection, score, message and segments per file.")
@click.option("--labels", "labels_dir", type=click.Path(file_okay=False), default=None,
              help="Write an Audacity label track of the marked segments per input into this folder.")
@click.option("--device", default="auto", show_default=True)
def detect_cmd(inputs: tuple[str, ...], plugin_id: str, key: int | None, params: tuple[str, ...], as_json: bool,
               labels_dir: str | None, device: str) -> None:
    """Say whether each INPUT carries the mark, with its score, message and marked time segments."""
    from .devices import resolve_device

    plugin = _watermarker(plugin_id, key, params)
    dev = resolve_device(device)
    out_dir = labels_folder(labels_dir)
    results: list[dict[str, Any]] = []
    failures: list[Path] = []
    for source, found in analyse_each(_collect_inputs(inputs), plugin, dev, plugin.detect, failures):
        results.append({"file": str(source), "plugin": plugin_id, **found.to_dict()})
        if out_dir is not None:
            write_audacity_labels(out_dir / f"{source.stem}.txt", found.segments)
        if not as_json:
            where = ", ".join(f"{s.start:.2f}-{s.end:.2f} s" for s in found.segments[:4])
            click.echo(f"{source}: {'marked' if found.detected else 'not marked'} (score {found.score:.3f})"
                       + (f", message {found.message}" if found.detected else "") + (f", at {where}" if where else ""))
    if as_json:
        _echo_json(results)
    if failures:
        raise click.exceptions.Exit(1)

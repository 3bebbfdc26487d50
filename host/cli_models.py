"""Commands for data, training, evaluation and classification; heavy imports stay inside them."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from plugin_specs import SynthHostError

from .cli import _collect_inputs, _echo_json, cli, get_host
from .cli_inputs import analyse_each, labels_folder, write_audacity_labels  # noqa: F401 (re-exported)

DEFAULT_CORPUS = Path(".cache/corpus-full")


@cli.group("data")
def data_group() -> None:
    """Build the local training corpus."""


@data_group.command("build")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Corpus folder.")
@click.option("--preset", type=click.Choice(["small", "full"]), default="small", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True)
def data_build_cmd(out: str, preset: str, seed: int, jobs: int) -> None:
    """Render speech, notes, phrases, drums, noise and silence into a labelled corpus with a manifest."""
    from synth_train.corpus.build import build_corpus

    manifest = build_corpus(Path(out), preset=preset, seed=seed, jobs=jobs,
                            progress=lambda msg: click.echo(msg, err=True))
    click.echo(f"corpus ready: {manifest}")


def _model_entry(name: str) -> Any:
    from synth_train.registry import MODELS

    if name not in MODELS:
        raise SynthHostError(f"unknown model {name!r} (trainable: {', '.join(MODELS)})")
    return MODELS[name]


@cli.command("train")
@click.argument("model")
@click.option("--corpus", type=click.Path(file_okay=False), default=str(DEFAULT_CORPUS), show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True),
              help="JSON file overriding training settings (steps, batch_size, lr, seed, max_minutes, ...).")
@click.option("--device", default="auto", show_default=True)
@click.option("--resume", is_flag=True, help="Continue from the run folder's last checkpoint.")
@click.option("--run-dir", type=click.Path(file_okay=False), default=None, help="[default: runs/MODEL]")
@click.option("--steps", type=click.IntRange(1), default=None)
@click.option("--seed", type=int, default=None)
@click.option("--no-export", is_flag=True, help="Keep the best weights in the run folder only.")
@click.option("--init", "init_from", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Fine-tune: start from another run's checkpoint.safetensors, with a fresh optimizer and schedule.")
@click.option("--ship", type=click.Choice(["best", "last"]), default="best", show_default=True,
              help="Install the best-validated weights, or the last checkpoint's (when validation cannot see the "
                   "goal, e.g. it holds only programs the model never trained on).")
def train_cmd(model: str, corpus: str, config_file: str | None, device: str, resume: bool, run_dir: str | None,
              steps: int | None, seed: int | None, no_export: bool, init_from: str | None, ship: str) -> None:
    """Train MODEL on the corpus and install its best weights and model card into synth_plugins."""
    import dataclasses

    from synth_plugins.weights import weights_path
    from synth_train.trainer import Trainer, export

    from .devices import resolve_device

    factory, defaults = _model_entry(model)
    settings = dataclasses.asdict(defaults)
    if config_file:
        try:
            settings.update(json.loads(Path(config_file).read_text()))
        except ValueError as exc:
            raise SynthHostError(f"{config_file}: not valid JSON: {exc}") from None
    if steps is not None:
        settings["steps"] = steps
    if seed is not None:
        settings["seed"] = seed
    try:
        config = type(defaults)(**settings)
    except TypeError as exc:
        raise SynthHostError(f"{config_file}: {exc}") from None
    task = factory(Path(corpus))
    folder = Path(run_dir or f"runs/{model}")
    trainer = Trainer(task, config, folder, resolve_device(device), log=lambda m: click.echo(m, err=True))
    if resume and init_from:
        raise SynthHostError("--init and --resume: pick one (--resume continues a fine-tune's own run folder)")
    if resume and not trainer.resume():
        raise SynthHostError(f"{folder}: no checkpoint to resume from")
    if init_from:
        trainer.initialise(Path(init_from))
    summary = trainer.run()
    click.echo(json.dumps(summary, indent=2))
    if not no_export:
        card = export(trainer, weights_path(model), summary, " ".join(["synth-host", *sys.argv[1:]]), ship)
        click.echo(f"installed {weights_path(model)} ({card['weights_bytes']} bytes, {card['parameters']} parameters)")


@cli.command("eval")
@click.argument("model")
@click.option("--corpus", type=click.Path(file_okay=False), default=str(DEFAULT_CORPUS), show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Report path [default: synth_plugins/weights/MODEL.eval.json].")
def eval_cmd(model: str, corpus: str, device: str, output: str | None) -> None:
    """Evaluate the shipped weights of MODEL on the corpus's test split and write a JSON report."""
    from synth_plugins.weights import WEIGHTS_DIR
    from synth_train.evaluate import evaluate

    _model_entry(model)
    report = evaluate(model, Path(corpus), device)
    target = Path(output) if output else WEIGHTS_DIR / f"{model}.eval.json"
    target.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    click.echo(f"wrote {target}")
    for key, value in report.get("headline", {}).items():
        click.echo(f"  {key}: {value}")



@cli.command("classify")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--plugin", "plugin_id", default="content-classifier", show_default=True)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Classifier parameter.")
@click.option("--json", "as_json", is_flag=True, help="Scores and segments for every file, as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per segment: file,start,end,label,confidence.")
@click.option("--labels", "labels_dir", type=click.Path(file_okay=False), default=None,
              help="Write an Audacity label track (start<TAB>end<TAB>label) per input into this folder.")
@click.option("--device", default="auto", show_default=True)
def classify_cmd(inputs: tuple[str, ...], plugin_id: str, params: tuple[str, ...], as_json: bool, as_csv: bool,
                 labels_dir: str | None, device: str) -> None:
    """Label INPUT files: clip scores and a timeline of segments."""
    from .chain_spec import parse_params
    from .devices import resolve_device

    host = get_host()
    plugin = host.create(plugin_id, parse_params(params, "--param"), kind="classifier")
    dev = resolve_device(device)
    out_dir = labels_folder(labels_dir)
    results: list[dict[str, Any]] = []
    failures: list[Path] = []
    writer = csv.writer(sys.stdout) if as_csv else None
    if writer:
        writer.writerow(["file", "start", "end", "label", "confidence"])
    for source, result in analyse_each(_collect_inputs(inputs), plugin, dev, plugin.classify, failures):
        entry = {"file": str(source), "plugin": plugin_id, **result.to_dict()}
        results.append(entry)
        if out_dir is not None:
            write_audacity_labels(out_dir / f"{source.stem}.txt", result.segments)
        if writer:
            for s in result.segments:
                writer.writerow([str(source), f"{s.start:.3f}", f"{s.end:.3f}", s.label, f"{s.confidence:.3f}"])
        elif not as_json:
            top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(result.scores.items(), key=lambda kv: -kv[1])[:3])
            click.echo(f"{source}: {top}; {len(result.segments)} segments")
    if as_json:
        _echo_json(results)
    if failures:
        raise click.exceptions.Exit(1)


"""The ``synth-host`` command line. Errors print as one line; ``--debug`` shows tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from plugin_specs import AudioInputError, OutputError, SynthHostError

from . import __version__
from .cli_batch import batch_options, make_batch_options, prestart_workers
from .registry import PluginHost

_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, loaded on first use."""
    global _host
    if _host is None:
        _host = PluginHost()
    return _host


class HostGroup(click.Group):
    """Adds plugin-provided commands before click resolves a command name."""

    _extended = False

    def _extend(self) -> None:
        if not self._extended:
            self._extended = True
            get_host().pm.hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._extend()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._extend()
        return super().get_command(ctx, name)


@click.group(cls=HostGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, prog_name="synth-host")
def cli(debug: bool) -> None:
    """synth-host: render audio through chains of neural, pedalboard and VST3 plugins."""


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, with hook implementations.")
def plugins_cmd(as_json: bool) -> None:
    """List every plugin: id, kind, package, version and load status."""
    records = get_host().listing()
    if as_json:
        _echo_json([r.to_dict() for r in records])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "kind", "package", "version", "status", box=None, pad_edge=False)
    for r in records:
        table.add_row(r.id, r.kind, r.package, r.version, r.status)
    Console(soft_wrap=True).print(table)


@cli.command("info")
@click.argument("plugin_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def info_cmd(plugin_id: str, as_json: bool) -> None:
    """Show a plugin's metadata and every parameter."""
    host = get_host()
    if plugin_id in host.records:
        cls = host.plugin_class(plugin_id)
        record = host.records[plugin_id]
        info, params, kind, package = cls.info, cls.parameters, record.kind, record.package
    else:
        plugin = host.create(plugin_id)
        info, params, kind, package = plugin.info, plugin.parameters, plugin.kind, "(file)"
    data = {"kind": kind, "package": package, **info.to_dict(), "parameters": [p.describe() for p in params]}
    if as_json:
        _echo_json(data)
        return
    for key, value in data.items():
        if key != "parameters" and value not in (None, "", [], {}):
            click.echo(f"{key:>16}: {value}")
    click.echo("      parameters:")
    for p in data["parameters"]:
        span = f"[{p.get('minimum')} .. {p.get('maximum')}]" if "minimum" in p or "maximum" in p else ""
        choices = f"one of {', '.join(map(str, p['choices']))}" if "choices" in p else ""
        unit = f" {p['unit']}" if p["unit"] else ""
        click.echo(f"    {p['name']} ({p['type']}, default {p['default']}{unit}) {span}{choices} {p['description']}")


def _analysis_line(found: dict[str, Any]) -> str:
    """One line per analysis step: a classifier's top scores, or a watermark detector's verdict."""
    if "scores" in found:
        top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(found["scores"].items(), key=lambda kv: -kv[1])[:3])
        return f"{top}; {len(found['segments'])} segments"
    verdict = f"marked, message {found['message']}" if found["detected"] else "not marked"
    return f"{verdict} (score {found['score']:.3f}); {len(found['segments'])} segments"


@cli.command("validate")
@click.argument("plugin_ref")
@click.option("--strictness", type=click.IntRange(1, 10), default=5, show_default=True,
              help="1 is a smoke test; 10 sweeps every rate, block size and signal.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Parameter for every instance under test (repeatable).")
@click.option("--check", "only", multiple=True, metavar="NAME", help="Run only these checks (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for fuzzed parameter values.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
def validate_cmd(plugin_ref: str, strictness: int, params: tuple[str, ...], only: tuple[str, ...], seed: int,
                 as_json: bool) -> None:
    """Check a plugin against the plugin contract; exit 1 if any check fails."""
    from .chain_spec import parse_params
    from .validation import CHECKS, Subject, validate

    unknown = [name for name in only if name not in CHECKS]
    if unknown:
        raise SynthHostError(f"--check {unknown[0]}: unknown check (known: {', '.join(CHECKS)})")
    host = get_host()
    marks = {"pass": "[green]PASS[/]", "fail": "[red]FAIL[/]", "skip": "[yellow]SKIP[/]"}
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)

    def show(result: Any) -> None:
        if not as_json:
            console.print(f"{marks[result.status]} {result.name:<22} {result.seconds:6.2f} s  {result.message}",
                          markup=True)

    with Subject.from_host(host, plugin_ref, parse_params(params, "--param")) as subject:
        if not as_json:
            console.print(f"validating {subject.id} ({subject.kind}) at strictness {strictness}")
        report = validate(subject, strictness, only or None, seed, on_result=show)
    if as_json:
        _echo_json(report.to_dict())
    else:
        failed = len(report.failures)
        console.print(f"{len(report.results) - failed} passed, {failed} failed" if failed
                      else f"all {len(report.results)} checks passed")
    if not report.passed:
        raise click.exceptions.Exit(1)


@cli.command("new-plugin")
@click.argument("name")
@click.option("--kind", type=click.Choice(["effect", "generator", "watermark", "classifier"]), default="effect",
              show_default=True)
@click.option("-o", "--output-dir", default=".", show_default=True, help="Folder to create the package in.")
@click.option("--author", default="Your Name", show_default=True)
def new_plugin_cmd(name: str, kind: str, output_dir: str, author: str) -> None:
    """Scaffold a plugin package: pyproject with entry point, plugin, tests and README."""
    from .scaffold import scaffold

    root = scaffold(name, kind, Path(output_dir), author)
    click.echo(f"created {root}")
    click.echo(f'next: cd {root} && pip install -e ".[test]" && synth-host validate {name} && python -m pytest')


def _collect_inputs(paths: tuple[str, ...]) -> list[tuple[Path, Path | None]]:
    from .audio_io import READ_EXTENSIONS

    found: list[tuple[Path, Path | None]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in READ_EXTENSIONS
                           and not f.name.startswith("."))
            if not files:
                raise AudioInputError(f"{p}: folder holds no audio files")
            found.extend((f, p) for f in files)
        else:
            found.append((p, None))
    return found


@cli.command("process")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Output file (one input) or folder.")
@click.option("-c", "--chain", "chain_text", required=True,
              help='Inline chain "HighpassFilter cutoff_frequency_hz=80 | Reverb room_size=0.3" or a .toml file.')
@click.option("--device", default="auto", show_default=True, help="auto|cpu|cuda|mps for neural steps.")
@click.option("--tail", type=float, default=None, help="Seconds rendered past the input's end [default: plugins' tails, capped at 10 s].")
@click.option("--block-size", type=click.IntRange(16, 1 << 20), default=8192, show_default=True)
@click.option("--format", "fmt", default=None, help="wav|flac|ogg|opus|mp3|aiff [default: from the output name or input].")
@click.option("--subtype", default=None, help="PCM_16|PCM_24|PCM_32|FLOAT|VORBIS|OPUS [default: the input's].")
@click.option("--sample-rate", type=click.IntRange(1000, 768000), default=None, help="Output rate [default: the input's].")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("--sanitize", is_flag=True, help="Replace NaN/Inf input samples with silence instead of failing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Write a JSON report: per file, render figures and each analysis step's results.")
@batch_options
def process_cmd(inputs: tuple[str, ...], output: str, chain_text: str, device: str, tail: float | None,
                block_size: int, fmt: str | None, subtype: str | None, sample_rate: int | None,
                overwrite: bool, sanitize: bool, report_path: str | None, jobs: int, threads: int,
                timeout: float | None, retries: int, resume: bool, batch: int, backend: str,
                ray_address: str | None) -> None:
    """Render INPUT files or folders through a chain; many inputs run as a batch with a manifest."""
    from .chain import instantiate
    from .chain_spec import parse_chain
    from .devices import resolve_device
    from .render import RenderOptions, output_path_for

    if tail is not None and tail < 0:
        raise SynthHostError(f"--tail {tail}: must be zero or more seconds")
    batch_settings = make_batch_options(jobs, threads, timeout, retries, resume, batch, backend, ray_address, device,
                                        overwrite)
    folders = sum(Path(p).is_dir() for p in inputs)
    host = get_host()
    prestart_workers(batch_settings, batch_settings.workers if folders else len(inputs), host)
    specs = parse_chain(chain_text)
    effects = instantiate(host, specs)  # every parameter is checked before any audio is read
    if any(getattr(e, "backend", "torch") == "torch" for e in effects):
        batch_settings.device = resolve_device(device)  # "auto" on a GPU machine batches like "cuda"
    options = RenderOptions(block_size, device, tail, sample_rate, fmt, subtype, overwrite, sanitize)
    sources = _collect_inputs(inputs)
    out = Path(output)
    single = len(sources) == 1 and sources[0][1] is None and not out.is_dir() and not output.endswith(("/", "\\"))
    if single:
        _process_one(host, specs, sources[0][0], out, options, sample_rate, report_path)
        return
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: several inputs need an output folder, and this is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create output folder: {exc.strerror or exc}") from None
    from .audio_io import probe
    from .batch import Job, print_summary, run_batch
    from .jobs import process_payload

    queued, bad = [], 0
    chain_arg = str(Path(chain_text).resolve()) if chain_text.strip().lower().endswith(".toml") else chain_text
    for source, root in sources:
        target = output_path_for(source, root, out, fmt)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            info = probe(source)
        except SynthHostError as exc:  # a bad file among many: reported, the rest still render
            click.echo(f"synth-host: error: {exc}", err=True)
            bad += 1
            continue
        payload = process_payload(source, target, chain_arg, options)
        queued.append(Job(str(source), payload, [target], info.frames / info.sample_rate,
                         lockstep=(info.sample_rate, info.channels)))
    manifest_path = out / "manifest.json"
    settings = {"chain": chain_text, "options": {k: v for k, v in vars(options).items() if k != "overwrite"}}
    summary = run_batch("process", queued, manifest_path, settings, batch_settings)
    entries = _manifest_entries(manifest_path)
    for key in summary.done:
        for plugin_id, found in entries[key].get("analysis", {}).items():
            click.echo(f"{key}: {plugin_id}: {_analysis_line(found)}")
    if report_path:
        _write_report(Path(report_path), [_report_row(entries[k], out) for k in summary.done])
    if len(queued) > 1 or summary.failed:
        print_summary(summary, manifest_path)
    if summary.failed or bad:
        raise click.exceptions.Exit(1)


def _process_one(host: PluginHost, specs: Any, source: Path, target: Path, options: Any, sample_rate: int | None,
                 report_path: str | None) -> None:
    """One file: rendered in this process, its error raised as the command's own."""
    from .audio_io import probe
    from .progress import Progress
    from .render import render_file

    with Progress(enabled=sys.stderr.isatty()) as progress:
        info = probe(source)
        task = progress.start(source.name, info.frames * (sample_rate or info.sample_rate) / info.sample_rate)
        result = render_file(host, specs, source, target, options, progress=task, info=info)
    for plugin_id, found in result.analysis.items():
        click.echo(f"{source}: {plugin_id}: {_analysis_line(found)}")
    if report_path:
        _write_report(Path(report_path), [{"input": str(source), "output": str(result.output), "frames": result.frames,
                                           "seconds": result.seconds, "speed": result.speed,
                                           "analysis": result.analysis}])


def _manifest_entries(path: Path) -> dict[str, dict[str, Any]]:
    return {e["job"]: e for e in json.loads(path.read_text())["jobs"]}


def _report_row(entry: dict[str, Any], out: Path) -> dict[str, Any]:
    output = entry["outputs"][0]
    return {"input": entry["job"], "output": str(out / output["path"]), "seconds": output["seconds"],
            "analysis": entry.get("analysis", {})}


def _write_report(target: Path, reports: list[dict[str, Any]]) -> None:
    tmp = target.with_name(f".{target.name}.part")
    try:
        tmp.write_text(json.dumps(reports, indent=2, default=str) + "\n")
        tmp.replace(target)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write report: {exc.strerror or exc}") from None


@cli.command("demo")
@click.option("-o", "--output", default="synth-host-demo.wav", show_default=True, help="Where to write the render.")
@click.option("--seconds", type=click.FloatRange(1, 600), default=12.0, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def demo_cmd(output: str, seconds: float, overwrite: bool) -> None:
    """Generate a track with the bundled generators and render it through a demo chain: no files needed."""
    import tempfile

    import soundfile as sf

    from .chain_spec import parse_chain
    from .demo import DEMO_CHAIN, demo_signal
    from .render import RenderOptions, render_file

    with tempfile.TemporaryDirectory(prefix="synth-host-demo-") as tmp:
        dry = Path(tmp) / "dry.wav"
        sf.write(dry, demo_signal(seconds, host=get_host()).T, 48000, subtype="FLOAT")
        result = render_file(get_host(), parse_chain(DEMO_CHAIN), dry, Path(output),
                             RenderOptions(overwrite=overwrite))
    click.echo(f"wrote {result.output}: {result.seconds:.1f} s at {result.sample_rate} Hz, "
               f"rendered {result.speed:.0f}x faster than real time")
    click.echo("material: neural-instrument (electric piano arpeggio, finger bass) and drum-gan (kick, snare, hats)")
    click.echo(f"chain: {DEMO_CHAIN}")


from . import cli_models  # noqa: E402,F401  (registers data, train, eval and classify)
from . import cli_watermark  # noqa: E402,F401  (registers watermark embed/detect)
from . import cli_capture  # noqa: E402,F401  (registers capture)
from . import cli_generate  # noqa: E402,F401  (registers generate)
from . import cli_render  # noqa: E402,F401  (registers render)


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors, non-zero exit, tracebacks only with --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rc = cli.main(args=args, prog_name="synth-host", standalone_mode=False)
        if isinstance(rc, int):
            return rc
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("synth-host: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"synth-host: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except SynthHostError as exc:
        if debug:
            raise
        click.echo(f"synth-host: error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("synth-host: interrupted", err=True)
        return 130
    except Exception as exc:  # an unexpected failure still gets one line
        if debug:
            raise
        click.echo(f"synth-host: internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)",
                   err=True)
        return 2
    finally:
        if _host is not None:
            _host.close()
    return 0


if __name__ == "__main__":  # run as host.cli, so commands registered by the other modules are found
    from host.cli import main as _main

    sys.exit(_main())

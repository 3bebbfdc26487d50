"""``synth-host generate``: render a generator plugin to files: MIDI through an instrument, drum one-shots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plugin_specs import OutputError, SynthHostError

from .cli import cli, get_host

MIDI_TAIL_S = 1.5  # rendered past the last note-off, for release tails


def _write(audio: Any, rate: int, target: Path, overwrite: bool, fmt: str | None, subtype: str | None) -> None:
    from .audio_io import AtomicWriter, output_format

    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists (use --overwrite to replace it)")
    _, major, chosen = output_format(target, fmt, subtype, None)
    with AtomicWriter(target, rate, audio.shape[0], major, chosen) as writer:
        writer.write(audio)


def _set(params: dict[str, Any], plugin_cls: Any, flag: str, value: str | None, names: tuple[str, ...]) -> None:
    """Map a convenience flag (--instrument, --class) onto whichever parameter the plugin calls it."""
    if value is None:
        return
    declared = {p.name for p in plugin_cls.parameters}
    for name in names:
        if name in declared:
            params[name] = value
            return
    raise SynthHostError(f"{flag}: {plugin_cls.info.id} has no such setting (its parameters: "
                         f"{', '.join(sorted(declared)) or 'none'})")


@cli.command("generate")
@click.argument("plugin_id")
@click.option("-o", "--output", required=True, help="Output file, or a folder with --count above 1.")
@click.option("--midi", "midi_path", type=click.Path(dir_okay=False), default=None, help="MIDI file to play.")
@click.option("--channels", default=None, help="MIDI channels to play, 1-based, e.g. 1,2 [default: all but 10; "
              "drum generators read channel 10].")
@click.option("--instrument", default=None, help="Instrument or timbre (sets the plugin's instrument/timbre).")
@click.option("--class", "drum_class", default=None, help="Drum class (sets the plugin's drum_class).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Any plugin parameter.")
@click.option("--count", type=click.IntRange(1, 100000), default=1, show_default=True,
              help="How many to make; above 1, -o is a folder.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--walk-to", "walk_to", type=int, default=None,
              help="drum-gan: COUNT hits morphing from --seed's hit to this seed's (a latent walk).")
@click.option("--duration", type=click.FloatRange(0.01, 36000), default=None,
              help="Seconds [default: the MIDI's length plus 1.5 s, else 4 s; a one-shot's own length].")
@click.option("--sample-rate", type=click.IntRange(8000, 192000), default=44100, show_default=True)
@click.option("--format", "fmt", default=None, help="wav|flac|ogg|aiff... [default: from the output name].")
@click.option("--subtype", default=None, help="PCM_16|PCM_24|FLOAT... [default: the format's].")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def generate_cmd(plugin_id: str, output: str, midi_path: str | None, channels: str | None, instrument: str | None,
                 drum_class: str | None, params: tuple[str, ...], count: int, seed: int, walk_to: int | None,
                 duration: float | None,
                 sample_rate: int, fmt: str | None, subtype: str | None, device: str, overwrite: bool) -> None:
    """Render the generator PLUGIN_ID: a MIDI file, a phrase, or COUNT one-shots."""
    from .chain_spec import parse_params
    from .devices import resolve_device
    from .midi import read_midi_notes

    host = get_host()
    cls = host.plugin_class(plugin_id, kind="generator")
    settings = parse_params(params, "--param")
    _set(settings, cls, "--instrument", instrument, ("instrument", "timbre"))
    _set(settings, cls, "--class", drum_class, ("drum_class",))
    plugin = host.create(plugin_id, settings, kind="generator")
    notes = None
    if midi_path:
        wanted = None
        if channels:
            try:
                wanted = {int(c) for c in channels.split(",")}
            except ValueError:
                raise SynthHostError(f"--channels {channels!r}: expected numbers like 1,2") from None
        notes = read_midi_notes(midi_path, wanted, drums=hasattr(plugin, "one_shots"))
        if duration is None:
            duration = max(n.start + n.duration for n in notes) + MIDI_TAIL_S
    one_shot = hasattr(plugin, "one_shots") and notes is None and duration is None  # batched one-shots
    if walk_to is not None and not (one_shot and count > 1):
        raise SynthHostError("--walk-to: needs a one-shot generator (drum-gan) without --midi or --duration, "
                             "and --count of 2 or more")
    plugin.prepare(sample_rate, 1, 8192, resolve_device(device))
    out = Path(output)
    if count == 1:
        if one_shot:
            audio = plugin.one_shots(plugin.params["drum_class"], 1, seed, sample_rate)
        else:
            audio = plugin.generate(duration or 4.0, sample_rate, seed, notes)
        _write(audio, sample_rate, out, overwrite, fmt, subtype)
        click.echo(f"wrote {out}: {audio.shape[-1] / sample_rate:.2f} s at {sample_rate} Hz")
        return
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: --count {count} needs an output folder, and this is a file")
    out.mkdir(parents=True, exist_ok=True)
    ext = f".{fmt}" if fmt else ".wav"
    if one_shot:
        name = plugin.params["drum_class"]
        if walk_to is None:
            shots = plugin.one_shots(name, count, seed, sample_rate)
            items = [(f"{name}-seed{seed}-{i:03d}{ext}", shot[None]) for i, shot in enumerate(shots)]
        else:
            shots = plugin.walk(name, seed, walk_to, count, sample_rate)
            items = [(f"{name}-walk{seed}-{walk_to}-{i:03d}{ext}", shot[None]) for i, shot in enumerate(shots)]
    else:
        items = [(f"{plugin_id}-seed{seed + i}{ext}", plugin.generate(duration or 4.0, sample_rate, seed + i, notes))
                 for i in range(count)]
    taken = [name for name, _ in items if (out / name).exists()]
    if taken and not overwrite:  # refuse before writing any, so a batch is never left half-replaced
        raise OutputError(f"{out / taken[0]}: exists (use --overwrite to replace it)")
    for name, audio in items:
        _write(audio, sample_rate, out / name, overwrite, fmt, subtype)
    click.echo(f"wrote {count} files to {out}")

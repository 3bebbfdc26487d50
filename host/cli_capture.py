"""``synth-host capture``: train a neural model that imitates a chain or a recorded dry/wet pair."""

from __future__ import annotations

import json
from pathlib import Path

import click

from plugin_specs import OutputError, SynthHostError

from .cli import cli


def _bundled_target(plugin_id: str) -> tuple[str, Path]:
    from synth_plugins.capture_effect import CAPTURE_DIR
    from synth_train.capture.session import BUNDLED_CHAINS

    if plugin_id not in BUNDLED_CHAINS:
        raise SynthHostError(f"--bundled {plugin_id!r}: not a bundled capture (expected one of "
                             f"{', '.join(BUNDLED_CHAINS)})")
    return BUNDLED_CHAINS[plugin_id], CAPTURE_DIR / f"{plugin_id}.safetensors"


@cli.command("capture")
@click.option("-c", "--chain", "chain_text", default=None, help="Chain to imitate (inline or a .toml file).")
@click.option("--pair", nargs=2, type=str, default=None, metavar="DRY WET",
              help="Train from your own recorded pair instead; it is aligned automatically.")
@click.option("--bundled", "bundled", default=None, metavar="ID",
              help="Retrain one of the bundled captures in place (sets --chain and -o).")
@click.option("-o", "--output", default=None, help="Capture file to write (NAME.safetensors).")
@click.option("--arch", type=click.Choice(["lstm", "wavenet"]), default="lstm", show_default=True)
@click.option("--size", type=click.Choice(["nano", "lite", "standard"]), default="lite", show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto|cpu|cuda|mps for training.")
@click.option("--steps", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--max-minutes", type=click.FloatRange(0.01), default=10.0, show_default=True,
              help="Stop training after this long even if steps remain.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--lr", type=click.FloatRange(1e-6, 1.0), default=6e-3, show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 1024), default=32, show_default=True)
@click.option("--segment", type=click.IntRange(256), default=4096, show_default=True,
              help="Samples per training crop that the loss sees.")
@click.option("--warmup", type=click.IntRange(0), default=1024, show_default=True,
              help="LSTM samples run before each crop's loss starts; raise it for long release times.")
@click.option("--threads", type=click.IntRange(1, 256), default=2, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing capture file.")
def capture_cmd(chain_text: str | None, pair: tuple[str, str] | None, bundled: str | None, output: str | None,
                arch: str, size: str, device: str, steps: int, max_minutes: float, seed: int, lr: float,
                batch_size: int, segment: int, warmup: int, threads: int, overwrite: bool) -> None:
    """Capture CHAIN (or a DRY/WET pair) into a small LSTM or WaveNet; usable later as ``capture:PATH``."""
    from synth_train.capture.fit import CaptureConfig
    from synth_train.capture.session import capture

    from .devices import resolve_device

    name = None
    if bundled:
        if chain_text or pair or output:
            raise SynthHostError("--bundled sets the chain and output itself; drop --chain, --pair and -o")
        chain_text, target = _bundled_target(bundled)
        name, overwrite = bundled, True
    else:
        if (chain_text is None) == (pair is None):
            raise SynthHostError("give exactly one of --chain CHAIN or --pair DRY WET")
        if not output:
            raise SynthHostError("-o/--output: missing; name the capture file to write (NAME.safetensors)")
        target = Path(output)
    if target.suffix != ".safetensors":
        raise OutputError(f"{target}: a capture file must end in .safetensors")
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists (use --overwrite)")
    if not target.parent.is_dir():
        raise OutputError(f"{target.parent}: no such folder")
    if chain_text is not None:  # fail on a bad chain now, not after rendering minutes of excitation
        from .chain import instantiate
        from .chain_spec import parse_chain
        from .cli import get_host

        instantiate(get_host(), parse_chain(chain_text))
    cfg = CaptureConfig(arch=arch, size=size, steps=steps, seed=seed, threads=threads, max_minutes=max_minutes, lr=lr,
                        batch_size=batch_size, segment=segment, warmup=warmup)
    summary = capture(target, cfg, chain_text=chain_text, pair=pair, name=name, device=resolve_device(device),
                      log=lambda m: click.echo(m, err=True))
    if bundled:
        from synth_train.capture.card import write_card

        write_card(target, summary)
    click.echo(json.dumps(summary, indent=2))
    click.echo(f"{target}: held-out ESR {summary['heldout_esr']:.5f} after {summary['train_minutes']} min; "
               f"use it as capture:{target}")

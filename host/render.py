"""Streaming offline rendering: file in, chain, file out, in constant memory."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from plugin_specs import OutputError, SynthHostError

from .audio_io import AtomicWriter, InputInfo, output_format, probe, read_blocks, resampled
from .chain import Chain, build_chain
from .chain_spec import StepSpec
from .registry import PluginHost


@dataclass
class RenderOptions:
    block_size: int = 8192
    device: str = "auto"
    tail: float | None = None
    sample_rate: int | None = None
    format: str | None = None
    subtype: str | None = None
    overwrite: bool = False
    sanitize: bool = False


@dataclass
class RenderJob:
    """What ``before_render``/``after_render`` hooks receive."""

    input: Path
    output: Path
    chain: Sequence[StepSpec]
    options: RenderOptions


@dataclass
class RenderResult:
    output: Path
    frames: int
    sample_rate: int
    seconds: float
    elapsed: float
    stages: list[str] = field(default_factory=list)
    analysis: dict[str, Any] = field(default_factory=dict)
    loudness: Any = None  # host.loudness.Loudness when measured

    @property
    def speed(self) -> float:
        """Times faster than real time."""
        return self.seconds / self.elapsed if self.elapsed > 0 else float("inf")


def run_stream(chain: Chain, blocks: Iterable[np.ndarray], write: Callable[[np.ndarray], None],
               tail_seconds: float = 0.0,
               progress: Callable[[int], None] | None = None) -> int:
    """Push every block, then silence until ``input frames + tail`` aligned samples came out."""
    emitted = 0
    for out in stream_chain(chain, blocks, tail_seconds, progress):
        write(out)
        emitted += out.shape[-1]
    return emitted


def stream_chain(chain: Chain, blocks: Iterable[np.ndarray], tail_seconds: float = 0.0,
                 progress: Callable[[int], None] | None = None, tail_frames: int | None = None) -> Iterator[np.ndarray]:
    """Aligned output blocks: as many samples as went in, plus the tail (``tail_frames`` wins if given)."""
    consumed = emitted = 0
    for block in blocks:
        consumed += block.shape[-1]
        out = chain.push(block)
        emitted += out.shape[-1]
        yield out
        if progress:
            progress(block.shape[-1])
    target = consumed + (int(round(tail_seconds * chain.sample_rate)) if tail_frames is None else tail_frames)
    silence = np.zeros((chain.in_channels, chain.block_size), dtype=np.float32)
    drained, limit = 0, chain.drain_limit + target - consumed
    while emitted < target:
        if drained > limit:
            raise SynthHostError(f"chain ({' | '.join(chain.describe())}) did not release its output "
                                 f"after {drained} samples of silence")
        out = chain.push(silence)
        drained += silence.shape[-1]
        keep = out[:, : target - emitted]
        emitted += keep.shape[-1]
        yield keep
    chain.finish(target)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(input_path: Path, output: Path, overwrite: bool) -> None:
    if output.resolve() == input_path.resolve() or _same_file(input_path, output):
        raise OutputError(f"{output}: is the input file; synth-host never overwrites its input")
    if output.is_dir():
        raise OutputError(f"{output}: is a directory, expected an output file name")
    if output.exists() and not overwrite:
        raise OutputError(f"{output}: already exists (use --overwrite to replace it)")


def render_file(host: PluginHost, specs: Sequence[StepSpec], input_path: Path, output: Path,
                options: RenderOptions, progress: Callable[[int], None] | None = None,
                info: InputInfo | None = None, measure: bool = False) -> RenderResult:
    """Render one file through a fresh chain; nothing is left at ``output`` on failure."""
    info = info or probe(input_path)
    check_output(info.path, output, options.overwrite)
    rate = options.sample_rate or info.sample_rate
    _, major, subtype = output_format(output, options.format, options.subtype, info)
    chain = build_chain(host, specs, rate, info.channels, options.block_size, options.device)
    tail = options.tail if options.tail is not None else chain.tail_seconds()
    job = RenderJob(info.path, output, specs, options)
    host.pm.hook.before_render(job=job)
    start = time.perf_counter()
    clip = subtype.startswith("PCM")
    meter = None
    if measure:  # integrated loudness and sample peak of what is written, for the batch manifest
        from .loudness import LoudnessMeter

        meter = LoudnessMeter(rate, chain.out_channels, true_peak=False)
    with AtomicWriter(output, rate, chain.out_channels, major, subtype) as writer:
        def write(block: np.ndarray) -> None:
            block = np.clip(block, -1.0, 1.0) if clip else block
            writer.write(block)
            if meter is not None:
                meter.add(block)

        blocks = resampled(read_blocks(info, options.block_size, options.sanitize),
                           info.sample_rate, rate, info.channels)
        frames = run_stream(chain, blocks, write, tail, progress)
    result = RenderResult(output, frames, rate, frames / rate, time.perf_counter() - start, chain.describe(),
                          chain.analysis(), meter.result() if meter is not None else None)
    host.pm.hook.after_render(job=job, result=result)
    return result


def render_array(host: PluginHost, specs: Sequence[StepSpec], audio: np.ndarray, sample_rate: int,
                 block_size: int | None = None, tail: float | None = None, device: str = "auto") -> np.ndarray:
    """Python API: run float32 ``(channels, samples)`` audio through a chain, streamed in blocks."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    n = audio.shape[-1]
    size = block_size or n
    chain = build_chain(host, specs, sample_rate, audio.shape[0], size, device)
    out: list[np.ndarray] = []
    blocks = (audio[:, i : i + size] for i in range(0, n, size))
    run_stream(chain, blocks, out.append, chain.tail_seconds() if tail is None else tail)
    return np.concatenate(out, axis=-1)


def output_path_for(source: Path, root: Path | None, out_dir: Path, fmt: str | None) -> Path:
    """Mirror ``source`` (relative to the folder it came from) under ``out_dir``."""
    rel = source.relative_to(root) if root is not None else Path(source.name)
    suffix = f".{fmt}" if fmt else source.suffix
    return out_dir / rel.with_suffix(suffix)



"""Several files through one chain in lockstep, so that batchable neural steps see them as one batch.

On a GPU, one pass of a model per block then serves every file of the group instead of one pass each;
on a CPU, small recurrent models gain too, since their cost is per time step more than per row. Every
other step (pedalboard, VST3, analysis, torch effects that do not declare ``batchable``) keeps one instance
per file. Files are grouped only when they share rate and channel count; a file that ends early is fed
silence until the longest is done, and its output stops at its own length plus tail.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from plugin_specs import SynthHostError

from .arrays import flush_denormals
from .audio_io import AtomicWriter, probe, read_blocks, resampled
from .chain import Chain, build_chain
from .chain_spec import StepSpec
from .registry import PluginHost
from .render import RenderOptions, RenderResult, check_output
from .stages import TorchSegment


class _Feed:
    """Exact ``n``-sample reads from one file's block stream, silence after its end; counts real samples."""

    def __init__(self, blocks: Any, channels: int) -> None:
        self.blocks, self.channels = blocks, channels
        self.pending = np.zeros((channels, 0), np.float32)
        self.real = 0
        self.done = False

    def take(self, n: int) -> np.ndarray:
        while self.pending.shape[-1] < n and not self.done:
            block = next(self.blocks, None)
            if block is None:
                self.done = True
            else:
                self.real += block.shape[-1]
                self.pending = np.concatenate([self.pending, block], axis=-1)
        out = self.pending[:, :n]
        self.pending = self.pending[:, n:]
        if out.shape[-1] < n:
            out = np.concatenate([out, np.zeros((self.channels, n - out.shape[-1]), np.float32)], axis=-1)
        return out


def shared_segments(chains: Sequence[Chain]) -> set[int]:
    """Stage positions every chain runs as a torch segment of batchable effects only."""
    first = chains[0]
    return {i for i, stage in enumerate(first.stages)
            if isinstance(stage, TorchSegment) and all(s.effect.info.batchable for s in stage.stages)
            and all(isinstance(c.stages[i], TorchSegment) for c in chains)}


def _push_batched(segment: TorchSegment, blocks: list[np.ndarray]) -> list[np.ndarray]:
    import torch

    if blocks[0].shape[-1] == 0:
        return blocks
    x = torch.from_numpy(np.ascontiguousarray(np.stack(blocks))).to(segment.device)
    with torch.inference_mode():
        for stage in segment.stages:
            x = stage.push(x)
    out = x.to("cpu").numpy().astype(np.float32, copy=False)
    return [out[k] for k in range(out.shape[0])]


def render_group(host: PluginHost, specs: Sequence[StepSpec], items: Sequence[tuple[Path, Path]],
                 options: RenderOptions) -> list[RenderResult]:
    """Render ``(input, output)`` pairs together; all outputs appear, or none (any error aborts the group)."""
    from .audio_io import output_format
    from .loudness import LoudnessMeter

    infos = [probe(src) for src, _ in items]
    rates = {(i.sample_rate, i.channels) for i in infos}
    if len(rates) != 1:
        raise SynthHostError("lockstep group: files differ in rate or channel count")
    channels = infos[0].channels
    rate = options.sample_rate or infos[0].sample_rate
    size = options.block_size
    chains = [build_chain(host, specs, rate, channels, size, options.device) for _ in items]
    shared = shared_segments(chains)
    tail = int(round((options.tail if options.tail is not None else chains[0].tail_seconds()) * rate))
    writers: list[AtomicWriter] = []
    start = time.perf_counter()
    try:
        formats = []
        for info, (_, target) in zip(infos, items):
            check_output(info.path, target, options.overwrite)
            _, major, subtype = output_format(target, options.format, options.subtype, info)
            formats.append(subtype)
            writers.append(AtomicWriter(target, rate, chains[0].out_channels, major, subtype))
        meters = [LoudnessMeter(rate, chains[0].out_channels, true_peak=False) for _ in items]
        feeds = [_Feed(resampled(read_blocks(i, size, options.sanitize), i.sample_rate, rate, channels), channels)
                 for i in infos]
        emitted = [0] * len(items)
        targets: list[int | None] = [None] * len(items)
        pushed, limit = 0, chains[0].drain_limit
        while any(t is None or e < t for e, t in zip(emitted, targets)):
            blocks = [f.take(size) for f in feeds]
            for k, f in enumerate(feeds):
                if targets[k] is None and f.done and not f.pending.shape[-1]:
                    targets[k] = f.real + tail
            for i in range(len(chains[0].stages)):
                if i in shared:
                    blocks = _push_batched(chains[0].stages[i], blocks)  # type: ignore[arg-type]
                else:
                    blocks = [c.stages[i].push(b) for c, b in zip(chains, blocks)]
                blocks = [flush_denormals(b) for b in blocks]  # as Chain.push
            pushed += size
            for k, out in enumerate(blocks):
                want = out.shape[-1] if targets[k] is None else max(0, min(out.shape[-1], targets[k] - emitted[k]))
                if want:
                    keep = out[:, :want]
                    keep = np.clip(keep, -1.0, 1.0) if formats[k].startswith("PCM") else keep
                    writers[k].write(keep)
                    meters[k].add(keep)
                emitted[k] += want
            if all(f.done for f in feeds) and pushed > max(f.real for f in feeds) + tail + limit:
                raise SynthHostError(f"chain ({' | '.join(chains[0].describe())}) did not release its output")
        for chain, target in zip(chains, targets):
            chain.finish(int(target or 0))
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        w.commit()
    elapsed = time.perf_counter() - start
    return [RenderResult(target, emitted[k], rate, emitted[k] / rate, elapsed / len(items), chains[k].describe(),
                         chains[k].analysis(), meters[k].result())
            for k, (_, target) in enumerate(items)]

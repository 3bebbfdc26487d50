"""Render a session to files: the mix graph's master written twice, once to measure, once to deliver.

The master goes first to a hidden float file while its loudness is measured; it is then normalised,
limited, dithered and written to the real output. Stems take the same way without the normalisation.
All outputs of a session appear together, or none does.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np


from .audio_io import AtomicWriter, resampled
from .loudness import Loudness, LoudnessMeter, Normaliser, plan_normalisation, tpdf_dither
from .registry import PluginHost
from .render import check_output
from .session_graph import SessionRenderer
from .session_spec import SessionSpec

FORMATS = {"wav": "WAV", "flac": "FLAC", "aiff": "AIFF"}


@dataclass
class OutputRecord:
    kind: str  # "mix" or "stem"
    name: str
    path: Path
    frames: int
    sample_rate: int
    loudness: Loudness

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


@dataclass
class SessionResult:
    outputs: list[OutputRecord]
    analysis: dict[str, Any]
    plugins: list[dict[str, Any]]
    inputs: list[Path]
    seconds: float
    elapsed: float
    normalisation: dict[str, Any] = field(default_factory=dict)


def render_session(host: PluginHost, spec: SessionSpec, out_dir: Path, device: str = "cpu", overwrite: bool = False,
                   block_size: int = 8192, progress: Callable[[float, float], None] | None = None) -> SessionResult:
    """Render ``spec`` into ``out_dir``: the mix, optional stems, and what the analysis steps found.

    ``progress(done, total)`` is called with the seconds of mix rendered so far and the session's length."""
    start_time = time.perf_counter()
    renderer = SessionRenderer(host, spec, out_dir, device, overwrite, block_size)
    o = spec.output
    out_rate = o.sample_rate or spec.sample_rate
    major = FORMATS[o.format]
    mix_path = out_dir / o.mix
    stem_paths = {t.spec.name: out_dir / "stems" / f"{t.spec.name}.{o.format}" for t in renderer.tracks} if o.stems else {}
    for path in [mix_path, *stem_paths.values()]:
        check_output(spec.path, path, overwrite)
    mix_path.parent.mkdir(parents=True, exist_ok=True)
    if stem_paths:
        (out_dir / "stems").mkdir(parents=True, exist_ok=True)
    import soundfile as sf

    pass1 = _first_pass_file(mix_path)
    stems_raw: dict[str, Path] = {}
    finals: list[tuple[AtomicWriter, OutputRecord]] = []
    try:
        for node in renderer.tracks:
            if node.spec.name in stem_paths:
                tmp = stems_raw[node.spec.name] = _first_pass_file(stem_paths[node.spec.name])
                node.stem = sf.SoundFile(tmp, "w", samplerate=spec.sample_rate, channels=spec.channels,
                                         format="WAV", subtype="FLOAT")
        meter = LoudnessMeter(out_rate, spec.channels)

        total, done = renderer.frames / spec.sample_rate, 0.0
        with sf.SoundFile(pass1, "w", samplerate=out_rate, channels=spec.channels, format="WAV",
                          subtype="FLOAT") as first:
            blocks = renderer.mix_blocks()
            if out_rate != spec.sample_rate:
                blocks = resampled(blocks, spec.sample_rate, out_rate, spec.channels)
            for block in blocks:
                meter.add(block)
                first.write(block.T)
                done += block.shape[-1] / out_rate
                if progress:
                    progress(done, total)
        for node in renderer.tracks:
            if node.stem is not None:
                node.stem.close()
        measured = meter.result()

        def replay() -> Iterator[np.ndarray]:
            return _read_float(pass1)

        plan = None
        if o.loudness is not None:
            plan = plan_normalisation(measured, o.loudness, o.true_peak, replay, out_rate, spec.channels)
        outputs = []
        normaliser = Normaliser(out_rate, plan.gain_db, plan.limit_db) if plan else None
        mix = _finish(replay(), mix_path, out_rate, spec.channels, major, o, spec.seed, normaliser, "mix", "mix")
        finals.append(mix)
        for i, node in enumerate(renderer.tracks):
            if node.spec.name in stem_paths:
                blocks = _read_float(stems_raw[node.spec.name])
                if out_rate != spec.sample_rate:
                    blocks = resampled(blocks, spec.sample_rate, out_rate, spec.channels)
                finals.append(_finish(blocks, stem_paths[node.spec.name], out_rate, spec.channels, major, o,
                                      spec.seed + 1 + i, None, "stem", node.spec.name))
        for writer, record in finals:  # every output appears together, or none does
            writer.commit()
            outputs.append(record)
    except BaseException:
        for writer, _ in finals:
            writer.abort()
        raise
    finally:
        for node in renderer.tracks:
            if node.stem is not None and not node.stem.closed:
                node.stem.close()
        for p in [pass1, *stems_raw.values()]:
            p.unlink(missing_ok=True)
    normalisation = {}
    if plan is not None:
        normalisation = {"target_lufs": o.loudness, "true_peak_ceiling_db": o.true_peak,
                         "measured": measured.to_dict(), "gain_db": round(plan.gain_db, 3),
                         "limiter_threshold_db": None if plan.limit_db is None else round(plan.limit_db, 3),
                         "passes": plan.passes}
    return SessionResult(outputs, renderer.analysis(), renderer.plugins, renderer.inputs,
                         renderer.frames / spec.sample_rate, time.perf_counter() - start_time, normalisation)


def _first_pass_file(final: Path) -> Path:
    """A hidden float file beside ``final``, named so a killed job's cleanup (``.NAME.*``) finds it."""
    fd, raw = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".pass1.wav", dir=final.parent)
    os.close(fd)
    return Path(raw)


def _read_float(path: Path) -> Iterator[np.ndarray]:
    import soundfile as sf

    with sf.SoundFile(path) as f:
        for block in f.blocks(blocksize=65536, dtype="float32", always_2d=True):
            yield block.T


def _finish(blocks: Iterator[np.ndarray], path: Path, rate: int, channels: int, major: str, o: Any, seed: int,
            normaliser: Normaliser | None, kind: str, name: str) -> tuple[AtomicWriter, OutputRecord]:
    """Normalise, clip and dither into ``path``'s hidden temporary file; the caller commits it."""
    writer = AtomicWriter(path, rate, channels, major, o.subtype)
    meter = LoudnessMeter(rate, channels)
    frames = 0
    try:
        if normaliser is not None:
            blocks = (normaliser.process(b) for b in blocks)
        pcm = o.subtype.startswith("PCM")
        levelled = (np.clip(b, -1.0, 1.0) if pcm else b for b in blocks)

        def measured(stream: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
            for b in stream:
                meter.add(b)
                yield b

        stream = measured(levelled)
        if o.dither and pcm:
            stream = tpdf_dither(stream, o.subtype, seed)
        for block in stream:
            writer.write(np.clip(block, -1.0, 1.0) if pcm else block)
            frames += block.shape[-1]
    except BaseException:
        writer.abort()
        raise
    return writer, OutputRecord(kind, name, path, frames, rate, meter.result())

"""The session's mix graph: tracks through their chains and faders, sends into buses, all into the master.

The graph is pulled block by block from the master's end, so memory stays flat however long the session is.
A track block is computed once and kept only until its last reader (the master, or a bus) has taken it; a
bus or master chain with latency just pulls a little further ahead. Everything a session names is checked
(``check_session``) before any model loads or any audio is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from plugin_specs import ChainError, Classifier, Generator, SynthHostError

from .audio_io import probe, read_blocks, resampled
from .automation import Curve
from .chain import Chain, build_chain
from .chain_spec import StepSpec
from .manifest import plugin_version
from .mixer import fader_gains, sum_into
from .registry import PluginHost
from .render import stream_chain
from .session_spec import BusSpec, SessionSpec, TrackSpec
from .watermark_stages import WatermarkStep

MIDI_TAIL_S = 1.5  # rendered past a MIDI part's last note-off, for release tails

class BlockQueue:
    """Exact-length reads from a stream of variable-length blocks; silence once the stream ends."""

    def __init__(self, blocks: Iterator[np.ndarray], channels: int) -> None:
        self.blocks, self.channels = blocks, channels
        self.parts: list[np.ndarray] = []
        self.count = 0

    def take(self, n: int) -> np.ndarray:
        while self.count < n:
            block = next(self.blocks, None)
            if block is None:
                self.parts.append(np.zeros((self.channels, n - self.count), np.float32))
                self.count = n
                break
            if block.shape[-1]:
                self.parts.append(block)
                self.count += block.shape[-1]
        data = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts, axis=-1)
        self.parts = [data[:, n:]] if data.shape[-1] > n else []
        self.count -= n
        return data[:, :n]

    def close(self) -> None:
        """Run the stream to its end, so its chain's analysis steps see the end of their input."""
        for _ in self.blocks:
            pass


class Shared:
    """Block ``k`` of a node, computed once and dropped after ``readers`` takes."""

    def __init__(self, compute: Callable[[int, int], np.ndarray], readers: int) -> None:
        self.compute, self.readers = compute, readers
        self.cache: dict[int, list[Any]] = {}

    def take(self, k: int, n: int) -> np.ndarray:
        if k not in self.cache:
            self.cache[k] = [self.compute(k, n), self.readers]
        entry = self.cache[k]
        entry[1] -= 1
        if entry[1] <= 0:
            del self.cache[k]
        return entry[0]


@dataclass
class TrackNode:
    spec: TrackSpec
    chain: Chain
    frames: int  # source frames at the session rate
    tail: int
    opener: Callable[[], Iterator[np.ndarray]]
    gain: Curve | None
    pan: Curve | None
    queue: BlockQueue | None = None
    stem: Any = None  # the stem's float first-pass file, when stems are written

    @property
    def end(self) -> int:
        return self.frames + self.tail


def session_steps(spec: SessionSpec) -> list[tuple[str, list[StepSpec], list[Any]]]:
    """(node key, chain steps with analysis appended, automation) for every track, bus and the master."""
    def analysis(target: str) -> list[StepSpec]:
        return [StepSpec(a.plugin, dict(a.params), a.where) for a in spec.analysis if a.target == target]

    nodes = [(f"track:{t.name}", [*t.chain, *analysis(f"track:{t.name}")], t.automation) for t in spec.tracks]
    nodes += [(f"bus:{b.name}", [*b.chain, *analysis(f"bus:{b.name}")], b.automation) for b in spec.buses]
    master = list(spec.master.chain)
    if spec.watermark:
        params = {k: v for k, v in spec.watermark.items() if k != "plugin"}
        master.append(StepSpec(spec.watermark["plugin"], params, f"{spec.path}: master.watermark"))
    nodes.append(("master", [*master, *analysis("master")], spec.master.automation))
    return nodes


def check_session(host: PluginHost, spec: SessionSpec) -> None:
    """Every plugin, parameter and automation curve of ``spec``, checked without loading a model or reading
    audio, so a batch refuses a malformed session before it starts."""
    from .chain import check_curves, instantiate

    analysis_where = {a.where for a in spec.analysis}
    for key, steps, automation in session_steps(spec):
        effects = instantiate(host, steps)
        for step, effect in zip(steps, effects):
            if step.where in analysis_where and not isinstance(effect, (Classifier, WatermarkStep)):
                raise ChainError(f"{step.where}: {step.ref!r} is an effect; analysis steps are classifiers "
                                 "and watermark detectors")
        for a in automation:
            if a.step is None:
                continue
            if a.step > len(steps):
                raise ChainError(f"{a.where}: step {a.step} does not exist ({key} has {len(steps)} step(s))")
            try:
                check_curves(effects[a.step - 1], [a.curve])
            except SynthHostError as exc:
                raise type(exc)(f"{a.where}: {exc}") from None
    for t in spec.tracks:
        if t.generator is not None:
            try:
                host.create(t.generator, dict(t.params), kind="generator")
            except SynthHostError as exc:
                raise type(exc)(f"{t.where}: {exc}") from None


class SessionRenderer:
    def __init__(self, host: PluginHost, spec: SessionSpec, out_dir: Path, device: str = "cpu",
                 overwrite: bool = False, block_size: int = 8192) -> None:
        check_session(host, spec)
        self.steps = {key: steps for key, steps, _ in session_steps(spec)}
        self.host, self.spec, self.out_dir, self.device = host, spec, out_dir, device
        self.overwrite, self.block_size = overwrite, block_size
        self.rate, self.channels = spec.sample_rate, spec.channels
        self.inputs: list[Path] = [spec.path]
        self.plugins: list[dict[str, Any]] = []
        self.chains: dict[str, Chain] = {}
        self.tracks = [self._track(t) for t in spec.audible()]
        self.buses = {b.name: self._bus(b) for b in spec.buses}
        self.master_chain = self._bus(spec.master, master=True)
        self.frames = self._length()
        for a in [*spec.master.automation, *(x for b in spec.buses for x in b.automation),
                  *(x for t in spec.tracks for x in t.automation)]:
            if a.curve.end > self.frames / self.rate + 1e-9:
                raise ChainError(f"{a.where}: point at {a.curve.end:g} s is past the session's end at "
                                 f"{self.frames / self.rate:.3f} s")

    # -- building: everything is checked before any audio is read ---------------------------------

    def _chain(self, key: str, specs: list[StepSpec], automation: list[Any], channels: int,
               offset: float) -> Chain:
        curves: dict[int, list[Curve]] = {}
        for a in automation:  # steps and points were checked by check_session
            if a.step is not None:
                curves.setdefault(a.step - 1, []).append(a.curve)
        chain = build_chain(self.host, specs, self.rate, channels, self.block_size, self.device,
                            automation=curves, tick_s=self.spec.tick_s, time_offset=offset)
        if chain.out_channels > 2:
            raise ChainError(f"{self.spec.path}: {key}: its chain makes {chain.out_channels} channels; "
                             "sessions mix mono and stereo")
        for effect in chain.effects:
            plugin = getattr(effect, "plugin", effect)
            self._note_plugin(plugin, f"{key}")
        self.chains[key] = chain
        return chain

    def _note_plugin(self, plugin: Any, where: str) -> None:
        record = self.host.records.get(plugin.info.id)
        self.plugins.append({"where": where, "id": plugin.info.id, "package": record.package if record else "",
                             "version": plugin_version(self.host, plugin.info.id), "params": _jsonable(plugin.params)})

    def _track(self, t: TrackSpec) -> TrackNode:
        if t.source is not None:
            info = probe(t.source)
            if info.channels > 2:
                raise ChainError(f"{t.where}: {t.source} has {info.channels} channels; tracks are mono or stereo")
            self.inputs.append(t.source)
            frames = int(math.ceil(info.frames * self.rate / info.sample_rate))

            def opener() -> Iterator[np.ndarray]:
                return resampled(read_blocks(info, self.block_size), info.sample_rate, self.rate, info.channels)

            channels = info.channels
        else:
            opener, frames, channels = self._generator(t)
        key = f"track:{t.name}"
        chain = self._chain(key, self.steps[key], t.automation, channels, t.start)
        tail = int(round(chain.tail_seconds() * self.rate))
        if t.pan != 0 and self.channels == 1:
            raise ChainError(f"{t.where}: pan needs a stereo session (session.channels = 2)")
        return TrackNode(t, chain, frames, tail, opener, fader_curve(t, "gain_db"), fader_curve(t, "pan"))

    def _generator(self, t: TrackSpec) -> tuple[Callable[[], Iterator[np.ndarray]], int, int]:
        from .devices import resolve_device
        from .midi import read_midi_notes

        plugin = self.host.create(t.generator or "", dict(t.params), kind="generator")  # checked already
        assert isinstance(plugin, Generator)
        self._note_plugin(plugin, f"track:{t.name}")
        self.plugins[-1]["seed"] = t.seed
        notes = None
        duration = t.duration
        if t.midi is not None:
            self.inputs.append(t.midi)
            notes = read_midi_notes(t.midi, t.midi_channels, drums=hasattr(plugin, "one_shots"))
            if duration is None:
                duration = max(n.start + n.duration for n in notes) + MIDI_TAIL_S
        if duration is None:
            raise ChainError(f"{t.where}: a generator track needs midi = \"FILE\" or duration = SECONDS")
        plugin.prepare(self.rate, 1, self.block_size, resolve_device(self.device))
        frames = int(round(duration * self.rate))
        channels = int(plugin.output_channels(1))

        def opener() -> Iterator[np.ndarray]:
            audio = np.asarray(plugin.generate(duration, self.rate, t.seed, notes), dtype=np.float32)
            audio = audio[None] if audio.ndim == 1 else audio
            return iter([audio[:, i : i + self.block_size] for i in range(0, audio.shape[-1], self.block_size)])

        return opener, frames, channels

    def _bus(self, b: BusSpec, master: bool = False) -> Chain:
        key = "master" if master else f"bus:{b.name}"
        return self._chain(key, self.steps[key], b.automation, self.channels, 0.0)

    def _length(self) -> int:
        if self.spec.duration is not None:
            return int(round(self.spec.duration * self.rate))
        ends = [int(round(t.spec.start * self.rate)) + t.end for t in self.tracks] or [0]
        tails = max((c.tail_seconds() for k, c in self.chains.items() if k.startswith("bus:")), default=0.0)
        tails += self.master_chain.tail_seconds()
        return max(ends) + int(round(tails * self.rate))

    # -- rendering -------------------------------------------------------------------------------

    def _track_block(self, node: TrackNode) -> Callable[[int, int], np.ndarray]:
        start = int(round(node.spec.start * self.rate))
        width = node.chain.out_channels

        def compute(k: int, n: int) -> np.ndarray:
            first = k * self.block_size
            out = np.zeros((width, n), np.float32)
            lo, hi = max(first, start), min(first + n, start + node.end)
            if hi > lo:
                if node.queue is None:
                    node.queue = BlockQueue(stream_chain(node.chain, node.opener(), tail_frames=node.tail), width)
                out[:, lo - first : hi - first] = node.queue.take(hi - lo)
            times = (first + np.arange(n)) / self.rate
            mixed = fader_gains(out, self.channels, node.spec.gain_db, node.spec.pan, node.gain, node.pan, times)
            if node.stem is not None:
                node.stem.write(mixed.T)
            return mixed

        return compute

    def _bus_input(self, name: str, tracks: list[tuple[TrackNode, Shared]], blocks: int) -> Iterator[np.ndarray]:
        for k in range(blocks):
            n = min(self.block_size, self.frames - k * self.block_size)
            acc = np.zeros((self.channels, n), np.float32)
            for node, shared in tracks:
                sum_into(acc, shared.take(k, n), 10 ** (node.spec.sends[name] / 20))
            yield acc

    def _master_input(self, direct: list[Shared], buses: list[tuple[Any, Shared]],
                      blocks: int) -> Iterator[np.ndarray]:
        master = _BusGain(self.spec.master)
        for k in range(blocks):
            n = min(self.block_size, self.frames - k * self.block_size)
            times = (k * self.block_size + np.arange(n)) / self.rate
            acc = np.zeros((self.channels, n), np.float32)
            for shared in direct:
                sum_into(acc, shared.take(k, n), 1.0)
            for gain, shared in buses:
                sum_into(acc, shared.take(k, n), gain.at(times) if gain else 1.0)
            yield acc * master.at(times) if master else acc

    def mix_blocks(self) -> Iterator[np.ndarray]:
        """The master bus output, block by block, at the session rate."""
        blocks = -(-self.frames // self.block_size)
        shared = {id(t): Shared(self._track_block(t), 1 + len(t.spec.sends)) for t in self.tracks}
        bus_shared: list[tuple[Any, Shared]] = []
        bus_queues: list[BlockQueue] = []
        for b in self.spec.buses:
            senders = [(t, shared[id(t)]) for t in self.tracks if b.name in t.spec.sends]
            chain = self.buses[b.name]
            queue = BlockQueue(stream_chain(chain, self._bus_input(b.name, senders, blocks), tail_frames=0),
                               chain.out_channels)
            bus_queues.append(queue)
            bus_shared.append((_BusGain(b), Shared(lambda k, n, q=queue: _fit(q.take(n), self.channels), 1)))
        master_in = self._master_input([shared[id(t)] for t in self.tracks], bus_shared, blocks)
        for out in stream_chain(self.master_chain, master_in, tail_frames=0):
            yield _fit(out, self.channels)
        for queue in [*(t.queue for t in self.tracks), *bus_queues]:
            if queue is not None:
                queue.close()

    def analysis(self) -> dict[str, Any]:
        return {key: found for key, chain in self.chains.items() if (found := chain.analysis())}


def _fit(block: np.ndarray, channels: int) -> np.ndarray:
    """A bus chain's output to the session's channel count (a mono reverb return, say)."""
    if block.shape[0] == channels:
        return block
    if block.shape[0] == 1:
        return np.repeat(block, channels, axis=0)
    return block.mean(axis=0, keepdims=True)


def fader_curve(owner: TrackSpec | BusSpec, name: str) -> Curve | None:
    """The automation curve of a fader parameter (``gain_db``, ``pan``), if the session gives one."""
    found = [a.curve for a in owner.automation if a.step is None and a.curve.param == name]
    return found[0] if found else None


class _BusGain:
    """A bus's (or the master's) fader as linear gain: its curve per sample, else its fixed ``gain_db``;
    falsy at unity, so the mixer can skip the multiply."""

    def __init__(self, spec: BusSpec) -> None:
        self.curve, self.fixed = fader_curve(spec, "gain_db"), np.float32(10 ** (spec.gain_db / 20))

    def __bool__(self) -> bool:
        return bool(self.curve is not None or self.fixed != 1.0)

    def at(self, times: np.ndarray) -> Any:
        if self.curve is None:
            return self.fixed
        return (10 ** (self.curve.at(times) / 20)).astype(np.float32)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v) for k, v in params.items()}

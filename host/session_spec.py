"""Session files (TOML): tracks, buses, a master bus, automation, analysis and outputs.

Parsing checks structure, types, names and times, and resolves paths against the session's folder; every
error names the session file, the line where the TOML shows it, and the key. Plugins and their parameters
are checked when the session is built (``host.session_render``), still before any audio is read.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_specs import ChainError

from .automation import MAX_TICK_S, Curve
from .chain_spec import StepSpec, parse_inline

FADER = ("gain_db", "pan")
BIT_DEPTHS = {16: "PCM_16", 24: "PCM_24", 32: "PCM_32", "float": "FLOAT"}


class SessionError(ChainError):
    """A malformed session file."""


@dataclass(frozen=True)
class AutomationSpec:
    step: int | None  # 1-based chain step; None automates the fader (gain_db, pan)
    curve: Curve
    where: str


@dataclass
class TrackSpec:
    name: str
    where: str
    source: Path | None = None
    generator: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    midi: Path | None = None
    midi_channels: set[int] | None = None
    duration: float | None = None
    seed: int = 0
    start: float = 0.0
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    chain: list[StepSpec] = field(default_factory=list)
    sends: dict[str, float] = field(default_factory=dict)
    automation: list[AutomationSpec] = field(default_factory=list)


@dataclass
class BusSpec:
    name: str
    where: str
    gain_db: float = 0.0
    chain: list[StepSpec] = field(default_factory=list)
    automation: list[AutomationSpec] = field(default_factory=list)


@dataclass
class AnalysisSpec:
    target: str  # "master", "track:NAME" or "bus:NAME"
    plugin: str
    params: dict[str, Any]
    where: str


@dataclass
class OutputSpec:
    mix: str = "mix.wav"
    stems: bool = False
    format: str = "wav"
    subtype: str = "PCM_24"
    sample_rate: int | None = None
    dither: bool = True
    loudness: float | None = None
    true_peak: float = -1.0


@dataclass
class SessionSpec:
    path: Path
    sample_rate: int
    channels: int
    seed: int
    duration: float | None
    tick_s: float | None
    tracks: list[TrackSpec]
    buses: list[BusSpec]
    master: BusSpec
    watermark: dict[str, Any] | None
    analysis: list[AnalysisSpec]
    output: OutputSpec

    @property
    def folder(self) -> Path:
        return self.path.parent

    def audible(self) -> list[TrackSpec]:
        """Tracks that reach the mix: solo wins over mute, as on a console."""
        soloed = [t for t in self.tracks if t.solo]
        return soloed if soloed else [t for t in self.tracks if not t.mute]


class _Reader:
    """Typed access to one TOML table, with errors that name the file, line and key."""

    def __init__(self, session: "_Source", table: dict[str, Any], where: str, header: tuple[str, int]) -> None:
        self.session, self.table, self.where, self.header = session, table, where, header
        self.used: set[str] = set()

    def fail(self, key: str | None, message: str) -> SessionError:
        line = self.session.line_of(self.header, key)
        at = f" (line {line})" if line else ""
        name = f"{self.where}.{key}" if key else self.where
        return SessionError(f"{self.session.path}{at}: {name}: {message}")

    def get(self, key: str, kinds: tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self.fail(None, f"missing key {key!r}")
            return default
        value = self.table[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise self.fail(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def number(self, key: str, default: float | None = None, low: float | None = None, high: float | None = None,
               required: bool = False) -> float | None:
        value = self.get(key, (int, float), default, required)
        if value is None:
            return None
        value = float(value)
        if not math.isfinite(value):
            raise self.fail(key, f"{value} is not finite")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low:g}" if high is None else (f"up to {high:g}" if low is None else f"{low:g} to {high:g}")
            raise self.fail(key, f"{value:g} is out of range ({span})")
        return value

    def path(self, key: str) -> Path | None:
        raw = self.get(key, (str,))
        if raw is None:
            return None
        p = Path(raw).expanduser()
        p = p if p.is_absolute() else self.session.path.parent / p
        if not p.is_file():
            raise self.fail(key, f"{raw}: no such file")
        return p

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "unknown key")


class _Source:
    """The session text, for finding the line of a table's key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def line_of(self, header: tuple[str, int], key: str | None) -> int | None:
        """1-based line of ``key`` in the ``index``-th ``[name]``/``[[name]]`` table, or of the header."""
        name, index = header
        pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(name) + r"\s*\]\]?\s*(#.*)?$")
        seen, start = -1, None
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                seen += 1
                if seen == index:
                    start = number
                    break
        if start is None:
            return None
        if key is None:
            return start
        key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if re.match(r"^\s*\[", line):
                break
            if key_re.match(line):
                return number + 1
        return start


def load_session(path: str | Path) -> SessionSpec:
    p = Path(path)
    if not p.is_file():
        raise SessionError(f"{p}: no such session file")
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"{p}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SessionError(f"{p}: invalid TOML: {exc}") from None
    return _parse(_Source(p, text), data)


def _parse(src: _Source, data: dict[str, Any]) -> SessionSpec:
    top = _Reader(src, data, "session file", ("", -1))
    for key in data:
        if key not in ("session", "track", "bus", "master", "analysis", "output"):
            raise SessionError(f"{src.path}: unknown top-level table {key!r} "
                               "(known: session, track, bus, master, analysis, output)")
    s = _Reader(src, _table(top, "session"), "session", ("session", 0))
    rate = int(s.number("sample_rate", 48000, 8000, 384000))
    channels = int(s.number("channels", 2, 1, 2))
    seed = int(s.number("seed", 0, 0, 2**31 - 1))
    duration = s.number("duration", None, 0.01, 24 * 3600)
    tick_ms = s.number("automation_ms", None, 0.1, MAX_TICK_S * 1000)  # default: per step kind
    s.finish()

    buses = [_bus(src, t, i, rate) for i, t in enumerate(_tables(top, "bus"))]
    bus_names = [b.name for b in buses]
    _unique(src, "bus", bus_names)
    tracks = [_track(src, t, i, set(bus_names)) for i, t in enumerate(_tables(top, "track"))]
    if not tracks:
        raise SessionError(f"{src.path}: no [[track]] tables; a session needs at least one track")
    _unique(src, "track", [t.name for t in tracks])

    m = _Reader(src, _table(top, "master"), "master", ("master", 0))
    master = BusSpec("master", "master", m.number("gain_db", 0.0, -120, 24), _chain(m, "master"),
                     _automation(src, m, "master", ("master", 0), fader=("gain_db",)))
    watermark = m.get("watermark", (dict,))
    if watermark is not None and not isinstance(watermark.get("plugin"), str):
        raise m.fail("watermark", "needs plugin = \"ID\" and message = \"HEX\"")
    if watermark is not None and not isinstance(watermark.get("message"), str):
        raise m.fail("watermark", "needs message = \"HEX\" (the bits to embed)")
    m.finish()

    targets = {"master"} | {f"track:{t.name}" for t in tracks} | {f"bus:{b}" for b in bus_names}
    analysis = []
    for i, table in enumerate(_tables(top, "analysis")):
        a = _Reader(src, table, f"analysis[{i + 1}]", ("analysis", i))
        target = a.get("target", (str,), "master")
        if target not in targets:
            raise a.fail("target", f"{target!r} is not a target (use master, track:NAME or bus:NAME; "
                                   f"known: {', '.join(sorted(targets))})")
        analysis.append(AnalysisSpec(target, a.get("plugin", (str,), required=True), a.get("params", (dict,), {}),
                                     f"{src.path}: analysis[{i + 1}]"))
        a.finish()

    output = _output(_Reader(src, _table(top, "output"), "output", ("output", 0)))
    spec = SessionSpec(src.path, rate, channels, seed, duration, tick_ms / 1000.0 if tick_ms else None, tracks, buses, master, watermark,
                       analysis, output)
    _check_times(src, spec)
    return spec


def _table(top: _Reader, key: str) -> dict[str, Any]:
    value = top.get(key, (dict,), {})
    return value


def _tables(top: _Reader, key: str) -> list[dict[str, Any]]:
    value = top.get(key, (list,), [])
    if not all(isinstance(t, dict) for t in value):
        raise top.fail(key, f"use [[{key}]] tables")
    return value


def _unique(src: _Source, kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SessionError(f"{src.path}: two {kind}s are named {name!r}")
        seen.add(name)


def _name(r: _Reader, kind: str, index: int) -> str:
    name = r.get("name", (str,), f"{kind}{index + 1}")
    if not re.fullmatch(r"[A-Za-z0-9_.\- ]+", name):
        raise r.fail("name", f"{name!r}: use letters, digits, space, '.', '_' or '-' (it names the stem file)")
    return name


def _chain(r: _Reader, where: str) -> list[StepSpec]:
    inline = r.get("chain", (str,))
    tables = r.get("step", (list,))
    if inline is not None and tables is not None:
        raise r.fail("chain", "give either chain = \"...\" or [[...step]] tables, not both")
    if inline is not None:
        try:
            steps = parse_inline(inline) if inline.strip() else []
        except ChainError as exc:
            raise r.fail("chain", str(exc)) from None
        return [StepSpec(s.ref, s.params, f"{r.session.path}: {where} {s.where}") for s in steps]
    out = []
    for number, table in enumerate(tables or [], 1):
        params = dict(table) if isinstance(table, dict) else {}
        ref = params.pop("plugin", None)
        if not isinstance(ref, str) or not ref:
            raise r.fail("step", f"step {number}: missing plugin = \"ID\"")
        out.append(StepSpec(ref, params, f"{r.session.path}: {where} chain step {number}"))
    return out


def _automation(src: _Source, r: _Reader, where: str, header: tuple[str, int],
                fader: tuple[str, ...] = FADER) -> list[AutomationSpec]:
    out = []
    for i, table in enumerate(r.get("automation", (list,), [])):
        a = _Reader(src, table if isinstance(table, dict) else {}, f"{where}.automation[{i + 1}]", header)
        step = a.get("step", (int,))
        param = a.get("param", (str,), required=True)
        if step is None and param not in fader:
            raise a.fail("param", f"{param!r}: without step = N only {', '.join(fader)} can be automated")
        try:
            curve = Curve.parse(param, a.get("points", (list,), required=True), a.get("curve", (str,), "linear"),
                                where=f"{src.path}: {a.where}")
        except ChainError as exc:
            raise SessionError(str(exc)) from None
        if step is not None and step < 1:
            raise a.fail("step", f"{step}: steps count from 1")
        if param == "pan" and step is None and not all(-1 <= v <= 1 for v in curve.values):
            raise a.fail("points", "pan values run from -1 (left) to 1 (right)")
        a.finish()
        out.append(AutomationSpec(step, curve, f"{src.path}: {a.where}"))
    return out


def _track(src: _Source, table: dict[str, Any], index: int, buses: set[str]) -> TrackSpec:
    r = _Reader(src, table, f"track[{index + 1}]", ("track", index))
    name = _name(r, "track", index)
    r.where = f"track {name!r}"
    t = TrackSpec(name, f"{src.path}: track {name!r}")
    t.source = r.path("source")
    t.generator = r.get("generator", (str,))
    if (t.source is None) == (t.generator is None):
        raise r.fail(None, "give exactly one of source = \"FILE\" or generator = \"PLUGIN\"")
    t.params = r.get("params", (dict,), {})
    t.midi = r.path("midi")
    channels = r.get("midi_channels", (list,))
    if channels is not None:
        if not all(isinstance(c, int) and 1 <= c <= 16 for c in channels):
            raise r.fail("midi_channels", "list MIDI channels 1-16")
        t.midi_channels = set(channels)
    t.duration = r.number("duration", None, 0.01, 24 * 3600)
    if t.source is not None and (t.midi or t.params or t.duration):
        raise r.fail(None, "midi, params and duration belong to generator tracks")
    t.seed = int(r.number("seed", 0, 0, 2**31 - 1))
    t.start = float(r.number("start", 0.0, 0.0, 24 * 3600))
    t.gain_db = float(r.number("gain_db", 0.0, -120, 24))
    t.pan = float(r.number("pan", 0.0, -1, 1))
    t.mute = bool(r.get("mute", (bool,), False))
    t.solo = bool(r.get("solo", (bool,), False))
    t.chain = _chain(r, f"track {name!r}")
    sends = r.get("sends", (dict,), {})
    for bus, level in sends.items():
        if bus not in buses:
            raise r.fail("sends", f"{bus!r} is not a bus (buses: {', '.join(sorted(buses)) or 'none'})")
        if not isinstance(level, (int, float)) or isinstance(level, bool) or not -120 <= level <= 24:
            raise r.fail("sends", f"{bus!r}: send level must be a number of dB from -120 to 24")
    t.sends = {k: float(v) for k, v in sends.items()}
    t.automation = _automation(src, r, f"track {name!r}", ("track", index))
    r.finish()
    return t


def _bus(src: _Source, table: dict[str, Any], index: int, rate: int) -> BusSpec:
    r = _Reader(src, table, f"bus[{index + 1}]", ("bus", index))
    name = _name(r, "bus", index)
    r.where = f"bus {name!r}"
    bus = BusSpec(name, f"{src.path}: bus {name!r}", float(r.number("gain_db", 0.0, -120, 24)),
                  _chain(r, f"bus {name!r}"), [])
    bus.automation = _automation(src, r, f"bus {name!r}", ("bus", index), fader=("gain_db",))
    r.finish()
    return bus


def _output(r: _Reader) -> OutputSpec:
    o = OutputSpec()
    o.format = r.get("format", (str,), "wav").lower()
    if o.format not in ("wav", "flac", "aiff"):
        raise r.fail("format", f"{o.format!r}: sessions write wav, flac or aiff")
    o.mix = r.get("mix", (str,), f"mix.{o.format}")
    if Path(o.mix).is_absolute() or ".." in Path(o.mix).parts:
        raise r.fail("mix", f"{o.mix!r}: give a file name inside the output folder")
    o.stems = bool(r.get("stems", (bool,), False))
    depth = r.get("bit_depth", (int, str), 24)
    if depth not in BIT_DEPTHS or (o.format == "flac" and depth not in (16, 24)):
        allowed = "16 or 24" if o.format == "flac" else "16, 24, 32 or \"float\""
        raise r.fail("bit_depth", f"{depth!r}: {o.format} takes {allowed}")
    o.subtype = BIT_DEPTHS[depth]
    rate = r.number("sample_rate", None, 8000, 384000)
    o.sample_rate = int(rate) if rate else None
    o.dither = bool(r.get("dither", (bool,), o.subtype in ("PCM_16", "PCM_24")))
    o.loudness = r.number("loudness", None, -70, 0)
    o.true_peak = float(r.number("true_peak", -1.0, -20, 0))
    r.finish()
    return o


def _check_times(src: _Source, spec: SessionSpec) -> None:
    """Automation must lie inside the session when its length is fixed."""
    if spec.duration is None:
        return
    for t in spec.tracks:
        if t.start >= spec.duration:
            raise SessionError(f"{t.where}: start {t.start:g} s is at or past the session's duration "
                               f"{spec.duration:g} s")
    for owner in [*spec.tracks, *spec.buses, spec.master]:
        for a in owner.automation:
            if a.curve.end > spec.duration + 1e-9:
                raise SessionError(f"{a.where}: point at {a.curve.end:g} s is past the session's duration "
                                   f"{spec.duration:g} s")

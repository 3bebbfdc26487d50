"""Sessions: mixing arithmetic, automation, loudness, manifests and malformed session files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from host.automation import AutomatedStage, Curve
from host.chain import build_chain
from host.chain_spec import parse_chain
from host.cli import main
from host.mixer import pan_gains
from host.render import run_stream
from host.session_render import render_session
from host.session_spec import load_session

RATE = 48000


def write(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    sf.write(path, np.atleast_2d(audio).T, rate, subtype="FLOAT")
    return path


def session(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def render(host, path: Path, out: Path, **kw):
    return render_session(host, load_session(path), out, **kw)


def read(path: Path) -> np.ndarray:
    return sf.read(path, dtype="float32", always_2d=True)[0].T


FLOAT_OUT = '[output]\nbit_depth = "float"\nstems = true\n'


# -- mixing arithmetic ------------------------------------------------------------------------------

def test_gain_pan_law_and_offsets_are_exact(host, tmp_path):
    x = np.random.default_rng(0).uniform(-0.5, 0.5, RATE).astype(np.float32)
    write(tmp_path / "mono.wav", x)
    write(tmp_path / "stereo.wav", np.stack([x, -x]))
    path = session(tmp_path, f"""
[session]
duration = 2.0
[[track]]
name = "centre"
source = "mono.wav"
gain_db = -6
[[track]]
name = "left"
source = "mono.wav"
pan = -1
start = 0.25
[[track]]
name = "wide"
source = "stereo.wav"
pan = 0.5
start = 0.5
{FLOAT_OUT}""")
    result = render(host, path, tmp_path / "out")
    stems = {n: read(tmp_path / "out" / "stems" / f"{n}.wav") for n in ("centre", "left", "wide")}
    g = 10 ** (-6 / 20)
    np.testing.assert_allclose(stems["centre"][:, :RATE], np.stack([x, x]) * g * math.sqrt(0.5), atol=1e-6)
    assert np.all(stems["centre"][:, RATE:] == 0)
    left = stems["left"]
    assert np.all(left[:, : RATE // 4] == 0) and np.all(left[1] == 0)
    np.testing.assert_allclose(left[0, RATE // 4 : RATE // 4 + RATE], x, atol=1e-6)
    lg, rg = pan_gains(0.5, 2)
    assert rg == 1.0 and lg == pytest.approx(math.sqrt(2) * math.cos(0.75 * math.pi / 2))
    wide = stems["wide"][:, RATE // 2 : RATE // 2 + RATE]
    np.testing.assert_allclose(wide, np.stack([x * lg, -x * rg]), atol=1e-6)
    mix = read(tmp_path / "out" / "mix.wav")
    assert mix.shape == (2, 2 * RATE) and result.seconds == 2.0
    np.testing.assert_allclose(mix, stems["centre"] + stems["left"] + stems["wide"], atol=1e-6)


def test_sends_buses_and_master_gain(host, tmp_path):
    x = np.random.default_rng(1).uniform(-0.3, 0.3, RATE // 2).astype(np.float32)
    write(tmp_path / "a.wav", x)
    path = session(tmp_path, f"""
[session]
duration = 0.6
[[track]]
name = "a"
source = "a.wav"
sends = {{ echo = -6.0 }}
[[bus]]
name = "echo"
chain = "Invert"
gain_db = -3
[master]
gain_db = -1
{FLOAT_OUT}""")
    render(host, path, tmp_path / "out")
    mix = read(tmp_path / "out" / "mix.wav")[:, : len(x)]
    direct = x * math.sqrt(0.5)
    expect = (direct - direct * 10 ** (-6 / 20) * 10 ** (-3 / 20)) * 10 ** (-1 / 20)
    np.testing.assert_allclose(mix, np.stack([expect, expect]), atol=1e-6)


def test_solo_wins_over_mute_and_muted_tracks_are_silent(host, tmp_path):
    write(tmp_path / "a.wav", np.full(1000, 0.25, np.float32))
    path = session(tmp_path, f"""
[session]
channels = 1
duration = 0.05
[[track]]
name = "a"
source = "a.wav"
solo = true
[[track]]
name = "b"
source = "a.wav"
[[track]]
name = "c"
source = "a.wav"
mute = true
solo = false
{FLOAT_OUT}""")
    render(host, path, tmp_path / "out")
    mix = read(tmp_path / "out" / "mix.wav")
    assert mix.shape == (1, 2400) and np.allclose(mix[0, :1000], 0.25)
    assert sorted(p.name for p in (tmp_path / "out" / "stems").iterdir()) == ["a.wav"]


# -- automation -------------------------------------------------------------------------------------

def test_curves_interpolate_and_turn_jumps_into_ramps():
    lin = Curve.parse("x", [[0, 0], [2, 10]])
    assert lin.value(1.0) == 5.0 and lin.value(-1) == 0.0 and lin.value(5) == 10.0
    exp = Curve.parse("f", [[0, 100], [2, 10000]], "exponential")
    assert exp.value(1.0) == pytest.approx(1000.0)
    jump = Curve.parse("g", [[0, 0], [1, 0], [1, 10], [2, 10]])
    values = jump.at(np.linspace(0.9, 1.1, 2001))
    assert np.max(np.abs(np.diff(values))) < 10 / (0.05 * 10000) * 1.01  # a 50 ms ramp, no step
    for points, shape, message in (([[1, 0], [0, 1]], "linear", "comes before"),
                                   ([[0, 0], [1, 1]], "exponential", "non-zero"),
                                   ([[-1, 0]], "linear", "times start at 0"),
                                   ([[0, 0]], "cubic", "use 'linear' or 'exponential'")):
        with pytest.raises(Exception, match=message):
            Curve.parse("p", points, shape)


def test_automation_lands_on_tick_boundaries_whatever_the_block_size(host):
    curve = Curve.parse("gain_db", [[0, 0], [0.5, -20], [1.0, -6]])
    x = np.ones((1, RATE), np.float32) * 0.5
    outs = []
    for block in (64, 1000, 8192, RATE):
        chain = build_chain(host, parse_chain("Gain"), RATE, 1, block, automation={0: [curve]})
        parts: list[np.ndarray] = []
        run_stream(chain, (x[:, i : i + block] for i in range(0, RATE, block)), parts.append, 0.0)
        outs.append(np.concatenate(parts, axis=-1))
    for y in outs[1:]:
        np.testing.assert_array_equal(y, outs[0])
    tick = int(RATE * 0.001)
    starts = np.arange(0, RATE, tick)
    expected = 0.5 * 10 ** (curve.at(starts / RATE) / 20)
    np.testing.assert_allclose(outs[0][0, starts], expected, rtol=1e-5)
    np.testing.assert_allclose(outs[0][0, starts + tick - 1], expected, rtol=1e-5)  # held for the whole tick


def test_automating_a_jump_makes_no_click(host):
    t = np.arange(RATE) / RATE
    x = (0.8 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
    steady = float(np.max(np.abs(np.diff(x))))
    jump = Curve.parse("gain_db", [[0, -20], [0.5, -20], [0.5, 0], [1, 0]])
    chain = build_chain(host, parse_chain("Gain"), RATE, 1, 4096, automation={0: [jump]})
    y = chain.process(x)
    assert float(np.max(np.abs(np.diff(y)))) < 1.15 * steady
    assert np.max(np.abs(y[0, : int(0.4 * RATE)])) == pytest.approx(0.08, rel=1e-3)
    assert np.max(np.abs(y[0, int(0.6 * RATE) :])) == pytest.approx(0.8, rel=1e-3)


def test_automation_reaches_neural_and_per_channel_steps(host):
    stage_types = []
    n = 4800
    chain = build_chain(host, parse_chain("test-torch-onepole | test-mono-scale"), RATE, 2, 512,
                        automation={0: [Curve.parse("coeff", [[0, 0.0], [0.05, 0.0], [0.05, 0.99], [0.1, 0.99]])],
                                    1: [Curve.parse("factor", [[0, 1.0], [0.1, -1.0]])]})
    autos = [s for s in chain.stages if isinstance(s, AutomatedStage)]
    assert len(autos) == 2
    y = chain.process(np.ones((2, n), np.float32))
    factor = Curve.parse("factor", [[0, 1.0], [0.1, -1.0]])
    tick = int(RATE * 0.001)  # the numpy step's tick (the torch step's is 10 ms)
    starts = np.arange(0, n, tick)
    # coeff 0 passes the input through until the ramp starts: only the per-channel factor shows
    early = starts[starts < int(0.024 * RATE)]
    np.testing.assert_allclose(y[:, early], np.tile(factor.at(early / RATE), (2, 1)), rtol=1e-5)
    assert all(a.position == n for a in autos)


def test_fader_automation_is_per_sample(host, tmp_path):
    write(tmp_path / "dc.wav", np.full(RATE, 0.5, np.float32))
    path = session(tmp_path, f"""
[session]
channels = 1
duration = 1.0
[[track]]
name = "dc"
source = "dc.wav"
[[track.automation]]
param = "gain_db"
points = [[0, -40], [1, 0]]
{FLOAT_OUT}""")
    render(host, path, tmp_path / "out")
    y = read(tmp_path / "out" / "mix.wav")[0]
    expected = 0.5 * 10 ** ((-40 + 40 * np.arange(RATE) / RATE) / 20)
    np.testing.assert_allclose(y, expected, rtol=1e-5)


# -- loudness, determinism, manifest ----------------------------------------------------------------

def true_peak_db(y: np.ndarray) -> float:
    from scipy.signal import resample_poly

    return 20 * math.log10(float(np.max(np.abs(resample_poly(y, 8, 1, axis=-1)))))


@pytest.mark.parametrize("target,ceiling", [(-14.0, -1.0), (-23.0, -6.0), (-9.0, -1.0)])
def test_loudness_normalisation_hits_target_under_the_true_peak_ceiling(host, tmp_path, target, ceiling):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    rng = np.random.default_rng(2)
    t = np.arange(3 * RATE) / RATE
    x = (0.05 * rng.standard_normal(3 * RATE) + 0.2 * np.sin(2 * np.pi * 3000 * t) * (t % 0.5 < 0.05))
    write(tmp_path / "in.wav", x.astype(np.float32))
    path = session(tmp_path, f"""
[[track]]
name = "in"
source = "in.wav"
[output]
bit_depth = 24
loudness = {target}
true_peak = {ceiling}
""")
    result = render(host, path, tmp_path / "out")
    y = read(tmp_path / "out" / "mix.wav")
    lufs = pyloudnorm.Meter(RATE).integrated_loudness(y.T.astype(np.float64))
    assert abs(lufs - target) <= 0.5
    assert true_peak_db(y) <= ceiling + 0.1  # independent 8x oversampling; libebur128 uses 4x
    assert result.outputs[0].loudness.true_peak_db <= ceiling
    assert abs(result.outputs[0].loudness.lufs - lufs) < 0.2


@pytest.fixture
def cli_host(host):
    """``main()`` with the session host, which also knows the toy plugins."""
    import host.cli as cli

    cli._host = host
    yield host
    cli._host = None


def test_same_session_gives_identical_bytes_and_manifest(cli_host, tmp_path):
    x = np.random.default_rng(3).uniform(-0.3, 0.3, RATE).astype(np.float32)
    write(tmp_path / "a.wav", x)
    path = session(tmp_path, """
[session]
seed = 9
[[track]]
name = "a"
source = "a.wav"
chain = "Compressor threshold_db=-20 | Reverb room_size=0.4"
[[track]]
name = "tone"
generator = "test-tone"
duration = 0.5
start = 0.2
[output]
bit_depth = 16
loudness = -16
stems = true
""")
    runs = []
    for name in ("one", "two"):
        rc = main(["render", str(path), "-o", str(tmp_path / name)])
        assert rc == 0
        runs.append(tmp_path / name)
    a, b = (json.loads((r / "manifest.json").read_text()) for r in runs)
    assert a == b
    job = a["jobs"][0]
    assert {o["path"] for o in job["outputs"]} == {"mix.wav", "stems/a.wav", "stems/tone.wav"}
    assert job["seed"] == 9 and a["synth_host_version"]
    assert {i["path"] for i in job["inputs"]} == {str(path), str(tmp_path / "a.wav")}
    mix = next(o for o in job["outputs"] if o["kind"] == "mix")
    assert abs(mix["lufs"] + 16) < 0.5 and mix["true_peak_dbtp"] <= -1.0
    for o in job["outputs"]:
        assert (runs[0] / o["path"]).read_bytes() == (runs[1] / o["path"]).read_bytes()
    ids = {p["id"] for p in job["plugins"]}
    assert {"Compressor", "Reverb", "test-tone"} <= ids


def test_analysis_and_watermark_on_the_master(host, tmp_path):
    x = np.random.default_rng(4).standard_normal(4 * RATE) * 0.1  # broadband, like music: room for the mark
    write(tmp_path / "a.wav", x.astype(np.float32))
    path = session(tmp_path, """
[[track]]
name = "a"
source = "a.wav"
[master]
watermark = { plugin = "spread-spectrum-watermark", message = "beef", key = 77 }
[[analysis]]
target = "track:a"
plugin = "test-level"
[[analysis]]
target = "master"
plugin = "spread-spectrum-watermark"
params = { key = 77 }
""")
    result = render(host, path, tmp_path / "out")
    assert result.analysis["master"]["spread-spectrum-watermark"]["message"] == "beef"
    assert "test-level" in result.analysis["track:a"]


# -- malformed sessions ------------------------------------------------------------------------------

BASE = """
[[track]]
name = "a"
source = "a.wav"
"""


@pytest.mark.parametrize("body,fragments", [
    (BASE + 'chain = "NoSuchPlugin"\n', ["s.toml: track 'a' chain step 1", "NoSuchPlugin"]),
    (BASE + 'chain = "Reverb room_size=3"\n', ["s.toml: track 'a' chain step 1", "room_size", "above the maximum"]),
    ('[[track]]\nname = "a"\nsource = "missing.wav"\n', ["s.toml (line 3): track 'a'.source: missing.wav: no such file"]),
    ("[session]\nduration = 1.0\n" + BASE + "[[track.automation]]\nparam = \"gain_db\"\npoints = [[0, 0], [5, -3]]\n",
     ["s.toml: track 'a'.automation[1]", "5 s is past the session's duration 1 s"]),
    (BASE + "start = -2\n", ["s.toml (line 5): track 'a'.start: -2 is out of range"]),
    (BASE + "gian_db = 3\n", ["s.toml (line 5): track 'a'.gian_db: unknown key"]),
    ("[[track]\nname = 1\n", ["s.toml: invalid TOML", "line 1"]),
    (BASE + 'sends = { nowhere = -3.0 }\n', ["track 'a'.sends", "'nowhere' is not a bus"]),
    (BASE + '[[track.automation]]\nstep = 1\nparam = "room_size"\npoints = [[0, 0.1]]\n',
     ["track 'a'.automation[1]: step 1 does not exist"]),
    (BASE + 'chain = "Reverb"\n[[track.automation]]\nstep = 1\nparam = "room_size"\npoints = [[0, 0.1], [1, 7]]\n',
     ["track 'a'.automation[1]", "room_size", "above the maximum"]),
    ("[output]\nbit_depth = 12\n" + BASE, ["s.toml (line 2): output.bit_depth: 12"]),
    ("[[analysis]]\ntarget = \"track:zz\"\nplugin = \"test-level\"\n" + BASE, ["analysis[1].target", "'track:zz'"]),
])
def test_malformed_sessions_get_one_line_errors(cli_host, tmp_path, capsys, body, fragments):
    write(tmp_path / "a.wav", np.zeros(100, np.float32))
    path = session(tmp_path, body)
    rc = main(["render", str(path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and len(err.splitlines()) == 1, err
    assert err.startswith(f"synth-host: error: {path}") or "invalid TOML" in err
    for fragment in fragments:
        assert fragment in err, err
    assert not (tmp_path / "out" / "mix.wav").exists()


def test_the_example_session_renders(tmp_path, capsys):
    example = Path(__file__).parent.parent / "examples" / "session" / "song.toml"
    rc = main(["render", str(example), "-o", str(tmp_path / "song")])
    assert rc == 0, capsys.readouterr().err
    job = json.loads((tmp_path / "song" / "manifest.json").read_text())["jobs"][0]
    outputs = {o["name"]: o for o in job["outputs"]}
    assert sorted(outputs) == ["arpeggio", "bass", "drums", "mix", "pad"]  # the muted track has no stem
    mix = outputs["mix"]
    assert abs(mix["lufs"] + 14.0) <= 0.5 and mix["true_peak_dbtp"] <= -1.0
    assert sf.info(tmp_path / "song" / "song.wav").subtype == "PCM_24"
    assert job["analysis"]["master"]["spread-spectrum-watermark"]["message"] == "5e55"
    assert set(job["analysis"]["track:arpeggio"]["instrument-classifier"]["scores"]) >= {"keys", "synth"}
    assert {i["path"].rsplit("/", 1)[-1] for i in job["inputs"]} == {"song.toml", "pad.flac", "arpeggio.mid",
                                                                     "bass.mid", "drums.mid"}


def test_output_rate_and_format_conversion(host, tmp_path):
    t = np.arange(RATE) / RATE
    write(tmp_path / "a.wav", (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    path = session(tmp_path, """
[session]
duration = 1.0
channels = 1
[[track]]
name = "a"
source = "a.wav"
[output]
format = "flac"
bit_depth = 16
sample_rate = 44100
stems = true
""")
    render(host, path, tmp_path / "out")
    for p in (tmp_path / "out" / "mix.flac", tmp_path / "out" / "stems" / "a.flac"):
        info = sf.info(p)
        assert (info.samplerate, info.subtype, info.channels) == (44100, "PCM_16", 1)
        assert abs(info.frames - 44100) <= 2
        y = read(p)[0, 2000:40000]
        spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
        assert abs(np.argmax(spectrum) * 44100 / len(y) - 1000) < 2

"""The command line: formats, folders, JSON listings, and one-line errors for every bad input."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from host.cli import main

SR = 44100


def tone(path: Path, seconds=0.5, sr=SR, channels=2, subtype=None, fmt=None):
    t = np.arange(int(seconds * sr)) / sr
    x = np.stack([0.3 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)]).T.astype(np.float32)
    sf.write(path, x, sr, subtype=subtype, format=fmt)
    return x


def run(capsys, *args):
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("ext,subtype,fmt", [("wav", "PCM_16", None), ("wav", "PCM_24", None), ("wav", "FLOAT", None),
                                             ("flac", "PCM_24", None), ("aiff", "PCM_16", None), ("ogg", "VORBIS", None),
                                             ("mp3", "MPEG_LAYER_III", None), ("opus", "OPUS", "OGG")])
def test_reads_each_format_and_keeps_rate_and_depth(tmp_path, capsys, ext, subtype, fmt):
    sr = 48000 if ext == "opus" else SR
    src = tmp_path / f"in.{ext}"
    tone(src, sr=sr, subtype=subtype, fmt=fmt)
    dst = tmp_path / f"out.{ext}"
    rc, _, err = run(capsys, "process", src, "-o", dst, "--chain", "Gain gain_db=-6")
    assert rc == 0, err
    info = sf.info(dst)
    assert info.samplerate == sr and info.channels == 2 and info.subtype == subtype
    a, _ = sf.read(src, dtype="float32")
    b, _ = sf.read(dst, dtype="float32")
    if ext in ("wav", "flac", "aiff"):
        assert b.shape == a.shape
        np.testing.assert_allclose(b, a * 10 ** (-6 / 20), atol=2e-4)
    else:  # lossy: level drops by 6 dB
        ratio = np.sqrt(np.mean(b**2) / np.mean(a**2))
        assert abs(20 * np.log10(ratio) + 6) < 1.0


@pytest.mark.parametrize("fmt,subtype,expect", [("wav", "16", "PCM_16"), ("wav", "24", "PCM_24"), ("wav", "float", "FLOAT"),
                                                ("flac", None, "PCM_16"), ("flac", "24", "PCM_24"),
                                                ("aiff", "16", "PCM_16"), ("aiff", "24", "PCM_24"), ("ogg", None, "VORBIS"),
                                                ("mp3", None, "MPEG_LAYER_III")])
def test_writes_requested_format(tmp_path, capsys, fmt, subtype, expect):
    src = tmp_path / "in.wav"
    tone(src, subtype="PCM_16")
    dst = tmp_path / f"out.{fmt}"
    args = ["process", src, "-o", dst, "--chain", "Gain gain_db=-1", "--format", fmt]
    rc, _, err = run(capsys, *args, *(["--subtype", subtype] if subtype else []))
    assert rc == 0, err
    assert sf.info(dst).subtype == expect
    if expect.startswith("PCM") or expect == "FLOAT":  # lossless: the samples are the input's, 1 dB down
        a, b = sf.read(src)[0], sf.read(dst)[0]
        np.testing.assert_allclose(b[: len(a)], a * 10 ** (-1 / 20), atol=2 / 32768)  # within 2 LSB at 16 bit


def test_sample_rate_option_resamples(tmp_path, capsys):
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    tone(src, seconds=1.0)
    rc, _, err = run(capsys, "process", src, "-o", dst, "--chain", "Gain", "--sample-rate", 48000)
    assert rc == 0, err
    info = sf.info(dst)
    assert info.samplerate == 48000 and abs(info.frames - 48000) <= 2


def test_folder_in_folder_out(tmp_path, capsys):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    tone(tmp_path / "in" / "a.wav")
    tone(tmp_path / "in" / "sub" / "b.flac", subtype="PCM_16")
    (tmp_path / "in" / "notes.txt").write_text("not audio")
    rc, _, err = run(capsys, "process", tmp_path / "in", "-o", tmp_path / "out", "--chain", "Reverb", "--tail", "0.5")
    assert rc == 0, err
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.*")) == [
        "a.wav", "manifest.json", "sub/b.flac"]
    jobs = json.loads((tmp_path / "out" / "manifest.json").read_text())["jobs"]
    assert [(Path(j["job"]).name, j["status"], j["outputs"][0]["path"]) for j in jobs] == [
        ("a.wav", "done", "a.wav"), ("b.flac", "done", "sub/b.flac")]
    assert sf.info(tmp_path / "out" / "a.wav").frames == int(0.5 * SR) + int(0.5 * SR)


def test_plugins_and_info_json(capsys):
    rc, out, _ = run(capsys, "plugins", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rc == 0 and rows["Compressor"]["kind"] == "effect" and rows["Compressor"]["status"] == "ok"
    assert rows["Compressor"]["hooks"] == ["register_effects"]
    rc, out, _ = run(capsys, "info", "Compressor", "--json")
    data = json.loads(out)
    params = {p["name"]: p for p in data["parameters"]}
    assert data["id"] == "Compressor" and params["threshold_db"]["unit"] == "dB"
    assert params["ratio"]["minimum"] == 1.0 and params["ratio"]["default"] == 1.0
    rc, out, _ = run(capsys, "info", "Reverb")
    assert rc == 0 and "room_size (float, default 0.5) [0.0 .. 1.0]" in out


def _wav_bytes(tmp_path, seconds=0.5):
    p = tmp_path / "src.wav"
    tone(p, seconds=seconds, subtype="PCM_16")
    return p.read_bytes()


def bad_inputs(tmp_path):
    """name -> (input path, chain, extra args, expected message fragment)"""
    good = tmp_path / "good.wav"
    tone(good)
    cases = {}
    cases["missing"] = (tmp_path / "nope.wav", "Gain", [], "nope.wav: no such file")
    (tmp_path / "adir.wav").mkdir()
    cases["directory"] = (tmp_path / "adir.wav", "Gain", [], "adir.wav: folder holds no audio files")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(os.urandom(4096))
    cases["non-audio"] = (junk, "Gain", [], "junk.wav: not a readable audio file (format not recognised)")
    wav = _wav_bytes(tmp_path)
    trunc = tmp_path / "trunc.wav"
    trunc.write_bytes(wav[: len(wav) // 2])
    cases["truncated-wav"] = (trunc, "Gain", [], "trunc.wav: truncated file")
    flac = tmp_path / "f.flac"
    tone(flac, seconds=2.0, subtype="PCM_16")
    tflac = tmp_path / "trunc.flac"
    tflac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])
    cases["truncated-flac"] = (tflac, "Gain", [], "trunc.flac: truncated")
    ogg = tmp_path / "o.ogg"
    tone(ogg, seconds=2.0)
    togg = tmp_path / "trunc.ogg"
    togg.write_bytes(ogg.read_bytes()[: ogg.stat().st_size // 2])
    cases["truncated-ogg"] = (togg, "Gain", [], "trunc.ogg: truncated file")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 2), dtype=np.float32), SR)
    cases["zero-frames"] = (empty, "Gain", [], "empty.wav: has zero audio frames")
    nan = tmp_path / "nan.wav"
    x = np.zeros((SR, 2), dtype=np.float32)
    x[22050, 1] = np.nan
    sf.write(nan, x, SR, subtype="FLOAT")
    cases["nan"] = (nan, "Gain", [], "nan.wav: NaN or Inf sample at 0.500 s")
    inf = tmp_path / "inf.wav"
    x[22050, 1] = np.inf
    sf.write(inf, x, SR, subtype="FLOAT")
    cases["inf"] = (inf, "Gain", [], "inf.wav: NaN or Inf sample")
    cases["unknown-plugin"] = (good, "Gain | Reverbb", [], "chain step 2: unknown plugin 'Reverbb'")
    cases["bad-param-name"] = (good, "Reverb size=3", [], "unknown parameter 'size'")
    cases["bad-param-type"] = (good, "Reverb room_size=big", [], "parameter 'room_size': expected float, got 'big'")
    cases["bad-param-range"] = (good, "Reverb room_size=3", [], "value 3.0 is above the maximum 1.0")
    return cases


@pytest.mark.parametrize("case", ["missing", "directory", "non-audio", "truncated-wav", "truncated-flac", "truncated-ogg",
                                  "zero-frames", "nan", "inf", "unknown-plugin", "bad-param-name", "bad-param-type",
                                  "bad-param-range"])
def test_bad_input_gets_one_line_error_and_no_output(tmp_path, capsys, case):
    src, chain, extra, message = bad_inputs(tmp_path)[case]
    before = digest(src) if src.is_file() else None
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    dst = out_dir / "out.wav"
    rc, out, err = run(capsys, "process", src, "-o", dst, "--chain", chain, *extra)
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synth-host: error: "), err
    assert message in lines[0]
    assert "Traceback" not in err
    assert not dst.exists() and leftovers(out_dir) == []
    if before:
        assert digest(src) == before


def test_sanitize_replaces_non_finite_samples(tmp_path, capsys):
    src = bad_inputs(tmp_path)["nan"][0]
    dst = tmp_path / "clean.wav"
    rc, _, err = run(capsys, "process", src, "-o", dst, "--chain", "Gain gain_db=0", "--sanitize")
    assert rc == 0, err
    y, _ = sf.read(dst)
    assert np.isfinite(y).all() and y[22050, 1] == 0.0


def test_output_errors(tmp_path, capsys):
    src = tmp_path / "in.wav"
    tone(src)
    before = digest(src)
    cases = [
        (src, "is the input file"),
        (tmp_path / "missing-dir" / "o.wav", "output folder"),
        (src / "o.wav", "output folder"),  # parent is a file
        (tmp_path / "o.xyz", "cannot write format 'xyz'"),
    ]
    for dst, message in cases:
        rc, _, err = run(capsys, "process", src, "-o", dst, "--chain", "Gain", "--overwrite")
        assert rc != 0 and message in err and len(err.strip().splitlines()) == 1, (dst, err)
    assert digest(src) == before
    existing = tmp_path / "exists.wav"
    existing.write_bytes(b"keep")
    rc, _, err = run(capsys, "process", src, "-o", existing, "--chain", "Gain")
    assert rc != 0 and "already exists (use --overwrite" in err and existing.read_bytes() == b"keep"
    rc, _, err = run(capsys, "process", src, "-o", existing, "--chain", "Gain", "--overwrite")
    assert rc == 0 and sf.info(existing).frames == sf.info(src).frames
    rc, _, err = run(capsys, "process", src, "-o", tmp_path / "x.wav", "--chain", "Gain", "--subtype", "PCM_99")
    assert rc != 0 and "subtype 'PCM_99' is not valid for wav" in err


def test_failure_mid_render_leaves_no_partial_file(tmp_path, capsys):
    """The NaN sits after several blocks have been written: the temporary file must vanish."""
    src = tmp_path / "late-nan.wav"
    x = np.full((SR * 2, 2), 0.1, dtype=np.float32)
    x[-10, 0] = np.nan
    sf.write(src, x, SR, subtype="FLOAT")
    rc, _, err = run(capsys, "process", src, "-o", tmp_path / "out.wav", "--chain", "Gain", "--block-size", "1024")
    assert rc != 0 and "NaN or Inf sample at 2.000 s" in err
    assert not (tmp_path / "out.wav").exists() and leftovers(tmp_path) == []


def test_batch_continues_past_a_bad_file(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    tone(tmp_path / "in" / "a.wav")
    (tmp_path / "in" / "b.wav").write_bytes(b"RIFF....garbage")
    tone(tmp_path / "in" / "c.wav")
    rc, _, err = run(capsys, "process", tmp_path / "in", "-o", tmp_path / "out", "--chain", "Gain")
    assert rc == 1
    assert err.count("synth-host: error:") == 1 and "b.wav" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.wav", "c.wav", "manifest.json"]


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(Exception, match="no such file"):
        main(["--debug", "process", str(tmp_path / "none.wav"), "-o", str(tmp_path / "o.wav"), "--chain", "Gain"])


def test_device_is_checked_for_neural_steps(tmp_path, capsys, host):
    import host.cli as cli

    src = tmp_path / "in.wav"
    tone(src)
    rc, _, err = run(capsys, "process", src, "-o", tmp_path / "o.wav", "--chain", "Gain", "--device", "tpu")
    assert rc == 0  # no neural step: the device is never needed
    cli._host = host  # the session host also knows the toy torch effects
    try:
        rc, _, err = run(capsys, "process", src, "-o", tmp_path / "n.wav", "--chain", "test-torch-fir", "--device", "tpu")
        assert rc != 0 and "--device 'tpu': expected one of auto, cpu, cuda, mps" in err
        rc, _, err = run(capsys, "process", src, "-o", tmp_path / "n.wav", "--chain", "test-torch-fir", "--device", "cpu")
        assert rc == 0, err
    finally:
        cli._host = None


def test_demo_renders_built_in_material(tmp_path, capsys):
    dst = tmp_path / "demo.wav"
    rc, out, err = run(capsys, "demo", "-o", dst, "--seconds", "2")
    assert rc == 0, err
    audio, sr = sf.read(dst)
    assert sr == 48000 and audio.shape[1] == 2 and audio.shape[0] > 2 * sr  # input plus the chain's tail
    assert 0.01 < np.sqrt(np.mean(audio**2)) < 0.9 and np.abs(audio).max() <= 1.0
    assert out.startswith(f"wrote {dst}")

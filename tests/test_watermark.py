"""Watermark messages, the spread-spectrum baseline, and the watermark CLI's errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from host.cli import main
from plugin_specs import ParameterError
from synth_plugins.spread_spectrum import SpreadSpectrumWatermark
from synth_plugins.watermark_common import format_message, parse_message


def music_like(seconds: float, rate: int, seed: int, channels: int = 2) -> np.ndarray:
    """Notes of a few harmonics with decaying envelopes over a quiet noise bed, different per channel."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros((channels, n))
    for start in np.arange(0, seconds, 0.25):
        f0 = 110 * 2 ** (rng.integers(0, 36) / 12)
        a, b = int(start * rate), min(n, int((start + 0.6) * rate))
        env = np.exp(-4 * (t[a:b] - start))
        note = sum(np.sin(2 * np.pi * f0 * k * t[a:b]) / k for k in range(1, 6)) * env
        for c in range(channels):
            out[c, a:b] += note * rng.uniform(0.05, 0.15)
    out += rng.standard_normal((channels, n)) * 0.003
    return out.astype(np.float32)


def si_snr(reference: np.ndarray, estimate: np.ndarray) -> float:
    ref, est = reference.ravel().astype(np.float64), estimate.ravel().astype(np.float64)
    s = (est @ ref) / (ref @ ref) * ref
    return float(10 * np.log10((s @ s) / ((est - s) @ (est - s))))


def run_cli(capsys, *args):
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_messages_round_trip_and_bad_messages_say_why():
    bits = parse_message("a3f0")
    assert bits.tolist() == [1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert format_message(bits) == "a3f0"
    assert parse_message("0xA3F0").tolist() == bits.tolist()
    with pytest.raises(ParameterError, match=r"'abc': must be 4 hex digits \(16 bits\), got 3"):
        parse_message("abc")
    with pytest.raises(ParameterError, match="'zz00': not hexadecimal"):
        parse_message("zz00")


@pytest.fixture(scope="module")
def marked_pair():
    rate = 44100
    audio = music_like(10.0, rate, seed=3)
    wm = SpreadSpectrumWatermark(strength_db=0.8)
    wm.prepare(rate, 2, 4096)
    original = audio.copy()
    marked = wm.embed(audio, "5e1f")
    assert np.array_equal(audio, original)  # the input is never changed
    return wm, audio, marked, rate


def test_spread_spectrum_finds_its_mark_and_message(marked_pair):
    wm, audio, marked, rate = marked_pair
    assert marked.shape == audio.shape and marked.dtype == np.float32
    assert si_snr(audio, marked) > 20.0
    found = wm.detect(marked)
    assert found.detected and found.message == "5e1f"
    assert found.score > wm.params["threshold"]
    assert found.segments and found.segments[0].start < 2.0 and found.segments[-1].end > 8.0


def test_spread_spectrum_does_not_find_a_mark_that_is_not_there(marked_pair):
    wm, audio, _, rate = marked_pair
    for seed in range(3):
        clean = wm.detect(music_like(10.0, rate, seed=10 + seed))
        assert not clean.detected and clean.message is None and clean.segments == []
    other_key = SpreadSpectrumWatermark(key=7, strength_db=0.8)
    other_key.prepare(rate, 2, 4096)
    assert not other_key.detect(marked_pair[2]).detected  # the key is the secret


def test_spread_spectrum_survives_gain_polarity_and_mp3(marked_pair):
    from synth_train.edits import apply

    wm, _, marked, rate = marked_pair
    for edit, max_wrong_bits in (("gain x0.1", 0), ("polarity inversion", 0), ("MP3 64 kbps", 2)):
        found = wm.detect(apply(edit, marked, rate, np.random.default_rng(0)))
        assert found.detected, edit
        wrong = int(np.sum(parse_message(found.message) != parse_message("5e1f")))
        assert wrong <= max_wrong_bits, edit


def test_watermark_cli_rejects_bad_messages_and_keys_without_writing(tmp_path, capsys):
    src = tmp_path / "in.wav"
    sf.write(src, music_like(2.0, 16000, seed=1).T, 16000)
    before = src.read_bytes()
    out = tmp_path / "out.wav"
    for message, why in (("12345", "must be 4 hex digits"), ("g123", "not hexadecimal")):
        rc, _, err = run_cli(capsys, "watermark", "embed", src, "-o", out, "--plugin", "spread-spectrum-watermark",
                             "--message", message)
        assert rc != 0
        assert why in err and len(err.strip().splitlines()) == 1
    rc, _, err = run_cli(capsys, "watermark", "embed", src, "-o", out, "--key", "-5")
    assert rc != 0 and "key" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob(".*part*"))
    assert src.read_bytes() == before


def test_watermark_cli_embeds_and_detects_with_the_baseline(tmp_path, capsys):
    import json

    src = tmp_path / "in.flac"
    sf.write(src, music_like(8.0, 22050, seed=5).T, 22050, subtype="PCM_24")
    out = tmp_path / "marked.flac"
    args = ["--plugin", "spread-spectrum-watermark", "--key", "99", "-p", "strength_db=1.0"]
    assert run_cli(capsys, "watermark", "embed", src, "-o", out, "--message", "beef", *args)[0] == 0
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype) == (22050, 2, "PCM_24")
    rc, stdout, _ = run_cli(capsys, "watermark", "detect", out, src, "--json", *args, "--labels", tmp_path / "lab")
    assert rc == 0
    report = json.loads(stdout)
    assert [r["detected"] for r in report] == [True, False]
    assert report[0]["message"] == "beef"
    lines = (tmp_path / "lab" / "marked.txt").read_text().splitlines()
    assert lines and all(len(line.split("\t")) == 3 for line in lines)


def test_spread_spectrum_passes_the_validator_at_highest_strictness():
    from host.registry import PluginHost
    from host.validation import Subject, validate

    with Subject.from_host(PluginHost(), "spread-spectrum-watermark") as subject:
        report = validate(subject, 10)
    assert report.passed, [(r.name, r.message) for r in report.failures]


def test_chain_embed_streams_and_equals_whole_buffer_embed():
    """A watermark step after an effect, fed in odd-sized blocks, gives exactly the whole-buffer embed."""
    import pedalboard

    from host.chain_spec import parse_chain
    from host.registry import PluginHost
    from host.render import render_array

    rate = 44100
    audio = music_like(20.0, rate, seed=11)
    out = render_array(PluginHost(), parse_chain("Gain gain_db=-2 | spread-spectrum-watermark message=a5c3"),
                       audio, rate, block_size=3001)
    plugin = SpreadSpectrumWatermark()
    plugin.prepare(rate, 2, 4096)
    whole = plugin.embed(pedalboard.Gain(gain_db=-2)(audio, rate), "a5c3")
    assert out.shape == audio.shape
    assert np.array_equal(out, whole)
    found = plugin.detect(out)  # the baseline may miss a bit on 20 s of sparse notes; the mark must be found
    assert found.detected and np.sum(parse_message(found.message) != parse_message("a5c3")) <= 1


def test_chain_detect_step_passes_audio_through_and_reports_the_message():
    from host.chain import build_chain
    from host.chain_spec import parse_chain
    from host.registry import PluginHost

    rate = 32000
    plugin = SpreadSpectrumWatermark()
    plugin.prepare(rate, 2, 4096)
    marked = plugin.embed(music_like(12.0, rate, seed=12), "0bad")
    chain = build_chain(PluginHost(), parse_chain("spread-spectrum-watermark"), rate, 2, block_size=5000)
    out = chain.process(marked)
    assert np.array_equal(out, marked)
    found = chain.analysis()["spread-spectrum-watermark"]
    assert found["detected"] and found["message"] == "0bad" and found["segments"]
    clean = build_chain(PluginHost(), parse_chain("spread-spectrum-watermark"), rate, 2)
    clean.process(music_like(12.0, rate, seed=13))
    assert clean.analysis()["spread-spectrum-watermark"]["detected"] is False


def test_chain_watermark_step_errors_name_the_step():
    from host.chain import build_chain
    from host.chain_spec import parse_chain
    from host.registry import PluginHost

    with pytest.raises(ParameterError, match=r"^chain step 2: message 'beefy': must be 4 hex digits"):
        build_chain(PluginHost(), parse_chain("Gain | spread-spectrum-watermark message=beefy"), 44100, 2)
    with pytest.raises(ParameterError, match=r"^chain step 1: message 'zz00': not hexadecimal"):
        build_chain(PluginHost(), parse_chain("spread-spectrum-watermark message=zz00"), 44100, 2)


def test_streaming_embed_memory_does_not_grow_with_length():
    """Two minutes in 1 s blocks: what the embedder holds stays under one window plus its latency."""
    rate = 48000
    plugin = SpreadSpectrumWatermark()
    plugin.prepare(rate, 2, rate)
    stream = plugin.embedder("1234")
    rng = np.random.default_rng(0)
    held, emitted = [], 0
    for _ in range(120):
        emitted += stream.process((0.05 * rng.standard_normal((2, rate))).astype(np.float32)).shape[1]
        held.append(stream.held_samples)
    assert max(held) <= 2 * stream.latency_bound + rate
    assert max(held[60:]) <= max(held[:60]) + rate  # no growth in the second minute
    assert emitted >= 120 * rate - stream.latency_bound


def test_process_cli_embeds_and_detects_as_chain_steps(tmp_path, capsys):
    import json

    src = tmp_path / "in.wav"
    sf.write(src, music_like(10.0, 44100, seed=6).T, 44100, subtype="FLOAT")
    marked = tmp_path / "marked.wav"
    chain = "Gain gain_db=-1 | spread-spectrum-watermark message=c0de key=7 strength_db=1.0"
    assert run_cli(capsys, "process", src, "-o", marked, "--chain", chain)[0] == 0
    rc, stdout, _ = run_cli(capsys, "process", marked, "-o", tmp_path / "copy.wav", "--chain",
                            "spread-spectrum-watermark key=7", "--report", tmp_path / "found.json")
    assert rc == 0 and "spread-spectrum-watermark: marked, message c0de" in stdout
    report = json.loads((tmp_path / "found.json").read_text())
    found = report[0]["analysis"]["spread-spectrum-watermark"]
    assert found["detected"] and found["message"] == "c0de"
    assert np.array_equal(sf.read(tmp_path / "copy.wav", dtype="float32")[0], sf.read(marked, dtype="float32")[0])

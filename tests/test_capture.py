"""Neural capture: streaming networks, capture files, alignment, training, chains and the capture CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from host.chain import build_chain
from host.chain_spec import parse_chain
from host.cli import main
from plugin_specs import WeightsError
from synth_plugins.capture_file import load_capture, save_capture
from synth_plugins.models.capture_nets import SIZES, build_capture_net
from synth_train.capture.align import align_pair, find_delay
from synth_train.capture.excitation import RATE, excitation, heldout_program
from synth_train.capture.fit import CaptureConfig, fit_capture, run_net
from synth_train.metrics import esr
from assertions import assert_one_line_error


def run_cli(capsys, *args):
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def random_net(arch: str, size: str = "nano", seed: int = 0):
    torch.manual_seed(seed)
    net = build_capture_net(arch, SIZES[arch][size]).eval()
    with torch.no_grad():  # untrained weights are near-linear; widen them so state and nonlinearity matter
        for p in net.parameters():
            p.mul_(3.0)
    return net


@pytest.fixture
def capture_file(tmp_path):
    path = tmp_path / "fuzz.safetensors"
    save_capture(path, random_net("lstm"), "lstm", SIZES["lstm"]["nano"], 48000,
                 {"name": "fuzz", "chain": "Distortion"}, {"heldout_esr": 0.5})
    return path


@pytest.mark.parametrize("arch", ["lstm", "wavenet"])
def test_streaming_equals_whole_buffer(arch):
    net = random_net(arch)
    x = torch.from_numpy(np.random.default_rng(1).uniform(-0.8, 0.8, (2, 9000)).astype(np.float32))
    with torch.inference_mode():
        whole = net(x)
        pieces, state, at = [], None, 0
        for size in [1, 7, 512, 1000, 3001, 64, 4415]:
            y, state = net.stream(x[:, at : at + size], state)
            pieces.append(y)
            at += size
    streamed = torch.cat(pieces, dim=-1)
    assert streamed.shape == whole.shape == (2, 9000)
    assert torch.allclose(streamed, whole, atol=1e-5)
    assert whole.abs().max() > 0.05  # the check is not passing on silence


def test_wavenet_is_causal_and_its_receptive_field_is_exact():
    net = random_net("wavenet")
    x = torch.zeros(1, 4000)
    x[0, 1000] = 1.0
    with torch.inference_mode():
        y = net(x) - net(torch.zeros(1, 4000))
    touched = torch.nonzero(y[0].abs() > 1e-7).flatten()
    assert touched.min() == 1000
    assert touched.max() == 1000 + net.receptive_field - 1


def test_capture_file_round_trips(tmp_path, capture_file):
    capture = load_capture(capture_file)
    assert capture.arch == "lstm" and capture.sample_rate == 48000
    assert capture.metadata == {"name": "fuzz", "chain": "Distortion"} and capture.metrics == {"heldout_esr": 0.5}
    x = np.random.default_rng(2).uniform(-0.5, 0.5, 4000).astype(np.float32)
    assert np.array_equal(run_net(capture.build(), x), run_net(random_net("lstm"), x))


def _write_header_only(path, header):
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(path), metadata=header)


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such capture file"),
    (lambda p: p.write_bytes(b"RIFF0000WAVEfmt "), "not a readable safetensors file"),
    (lambda p: _write_header_only(p, {"format": "something-else"}), "not a synth-host capture (format 'something-else')"),
    (lambda p: _write_header_only(p, {"format": "synth-host-capture", "version": "9"}), "version 9 is newer"),
    (lambda p: _write_header_only(p, {"format": "synth-host-capture", "version": "1", "sample_rate": "48000",
                                      "arch": "transformer", "config": "{}", "metadata": "{}", "metrics": "{}"}),
     "unknown architecture 'transformer'"),
    (lambda p: _write_header_only(p, {"format": "synth-host-capture", "version": "1", "sample_rate": "48000",
                                      "arch": "lstm", "config": "{\"hidden\": 12}", "metadata": "{}",
                                      "metrics": "{}"}), "weights do not fit the lstm"),
    (lambda p: _write_header_only(p, {"format": "synth-host-capture", "version": "1", "sample_rate": "48000",
                                      "arch": "lstm", "config": "{hidden", "metadata": "{}", "metrics": "{}"}),
     "header field 'config' is invalid"),
])
def test_bad_capture_files_get_one_line_errors(tmp_path, make, message):
    path = tmp_path / "bad.safetensors"
    make(path)
    with pytest.raises(WeightsError) as err:
        load_capture(path)
    assert_one_line_error(err.value, path, message)


def test_bad_capture_in_a_chain_fails_on_the_command_line(tmp_path, capsys, noise):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a capture")
    src = tmp_path / "in.wav"
    sf.write(src, noise(0.2).T, 44100)
    rc, out, err = run_cli(capsys, "process", src, "-o", tmp_path / "out.wav", "-c", f"Gain | capture:{bad}")
    assert rc != 0 and err.count("\n") == 1
    assert f"capture:{bad}" in err and "not a readable safetensors file" in err
    assert not (tmp_path / "out.wav").exists()


def test_capture_step_streams_like_the_whole_buffer(host, capture_file, noise):
    """At 44.1 kHz stereo the chain resamples around the 48 kHz capture; block size must not matter."""
    audio = noise(1.0, 44100, 2, level=0.3)
    chain = build_chain(host, parse_chain(f"Gain gain_db=3 | capture:{capture_file} mix=0.8"), 44100, 2,
                        device="cpu")
    whole = chain.process(audio)
    chain.reset()
    out = [chain.push(audio[:, i : i + 3001]) for i in range(0, audio.shape[1], 3001)]
    out.append(chain.push(np.zeros((2, 44100), np.float32)))
    streamed = np.concatenate(out, axis=-1)[:, : whole.shape[1]]
    assert whole.shape == audio.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-5)
    assert not np.allclose(whole[0], whole[1])  # each channel keeps its own state
    assert np.abs(whole).max() > 0.05


def test_find_delay_recovers_a_nonlinear_devices_latency():
    rng = np.random.default_rng(3)
    dry = rng.uniform(-0.5, 0.5, 96000).astype(np.float32)
    wet = np.concatenate([np.zeros(371), np.tanh(4 * dry)])[:96000]
    assert find_delay(dry, wet, 4800) == 371
    assert find_delay(wet, dry, 4800) == -371
    d, w, delay = align_pair(dry, wet, 48000, max_seconds=0.1)
    assert delay == 371 and len(d) == len(w) == 96000 - 371
    np.testing.assert_allclose(w, np.tanh(4 * d), atol=1e-6)


def test_excitation_is_seeded_and_held_out_material_differs():
    a, b = excitation(0, phrase_seconds=4.0), excitation(0, phrase_seconds=4.0)
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert np.abs(a).max() <= 10 ** (-1 / 20) + 1e-6
    clicks = np.nonzero(a[:RATE])[0]
    assert list(clicks) == [int(0.1 * RATE), int(0.35 * RATE), int(0.6 * RATE)]
    held = heldout_program(1000, 4.0)
    assert len(held) == 4 * RATE and not np.allclose(held, a[-len(held):])


def test_capture_of_gain_and_lowpass_learns_it(host):
    """A short CPU training run imitates a linear chain closely on material it never saw."""
    from synth_train.capture.session import render_through_chain

    chain = "Gain gain_db=-6 | LowpassFilter cutoff_frequency_hz=3000"
    x, val = excitation(0, phrase_seconds=6.0), heldout_program(1000, 3.0)
    y, val_y = render_through_chain(chain, x, host=host), render_through_chain(chain, val, host=host)
    cfg = CaptureConfig(arch="lstm", size="nano", steps=150, batch_size=16, segment=2048, warmup=512, lr=1e-2,
                        val_every=50, threads=1)
    net, metrics = fit_capture(x, y, val, val_y, cfg, log=lambda m: None)
    assert metrics["heldout_esr"] < 0.01
    assert esr(val_y, run_net(net, val)) == pytest.approx(metrics["heldout_esr"], rel=1e-3)
    assert esr(val_y, val) > 0.2  # doing nothing would score badly


def test_capture_cli_trains_from_a_pair_and_the_file_runs_in_a_chain(tmp_path, capsys, noise):
    rng = np.random.default_rng(4)
    dry = (0.3 * rng.standard_normal(RATE * 4)).clip(-1, 1).astype(np.float32)
    wet = np.concatenate([np.zeros(250), np.tanh(3 * dry)])[: len(dry)].astype(np.float32)
    sf.write(tmp_path / "dry.wav", dry, RATE)
    sf.write(tmp_path / "wet.wav", wet, RATE)
    out = tmp_path / "pedal.safetensors"
    rc, stdout, err = run_cli(capsys, "capture", "--pair", tmp_path / "dry.wav", tmp_path / "wet.wav", "-o", out,
                              "--arch", "wavenet", "--size", "nano", "--steps", "40", "--device", "cpu")
    assert rc == 0, err
    capture = load_capture(out)
    assert capture.metadata["pair_delay_samples"] == 250 and capture.arch == "wavenet"
    assert 0 < capture.metrics["heldout_esr"] < 1.0
    assert f"capture:{out}" in stdout
    src = tmp_path / "in.wav"
    sf.write(src, noise(0.5).T, 44100)
    rc, _, err = run_cli(capsys, "process", src, "-o", tmp_path / "out.wav", "-c", f"capture:{out}")
    assert rc == 0, err
    assert sf.info(tmp_path / "out.wav").frames == int(0.5 * 44100)


@pytest.mark.parametrize("args, message", [
    (["--chain", "Gain", "--pair", "a.wav", "b.wav", "-o", "x.safetensors"], "exactly one of --chain"),
    (["--chain", "Gain"], "-o/--output: missing"),
    (["--chain", "Gain", "-o", "x.wav"], "must end in .safetensors"),
    (["--chain", "NoSuchPlugin", "-o", "x.safetensors"], "NoSuchPlugin"),
    (["--bundled", "capture-fuzzbox"], "not a bundled capture"),
    (["--pair", "missing-dry.wav", "missing-wet.wav", "-o", "x.safetensors"], "missing-dry.wav: no such file"),
])
def test_capture_cli_rejects_bad_requests_in_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_cli(capsys, "capture", *args)
    assert rc != 0 and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.safetensors*"))


def test_capture_cli_will_not_overwrite(tmp_path, capsys, capture_file):
    before = capture_file.read_bytes()
    rc, _, err = run_cli(capsys, "capture", "--chain", "Gain", "-o", capture_file)
    assert rc != 0 and "exists (use --overwrite)" in err
    assert capture_file.read_bytes() == before


def test_bundled_captures_meet_their_esr_on_held_out_program(host):
    """The shipped files, rerun here on the held-out phrases against the live chain, match their cards."""
    from synth_plugins.capture_effect import BUNDLED, CAPTURE_DIR
    from synth_train.capture.session import BUNDLED_CHAINS, render_through_chain

    for cls in BUNDLED:
        capture = load_capture(cls.capture_path)
        card = json.loads((CAPTURE_DIR / f"{cls.info.id}.json").read_text())
        seed = card["training"]["seed"]
        held = heldout_program(1000 + seed, 16.0)
        measured = esr(render_through_chain(BUNDLED_CHAINS[cls.info.id], held, host=host),
                       run_net(capture.build(), held))
        assert measured == pytest.approx(card["metrics"]["heldout_esr"], rel=0.02, abs=1e-5)
        assert measured <= 0.01, cls.info.id
        assert card["weights_bytes"] <= 2_000_000 and card["parameters"] > 0
        assert capture.sample_rate == cls.info.sample_rates[0] and card["captured_chain"] == BUNDLED_CHAINS[cls.info.id]


@pytest.mark.parametrize("plugin_id", ["capture-overdrive", "capture-bus-glue", "capture-lofi"])
def test_bundled_capture_passes_the_validator(host, plugin_id):
    from host.validation import Subject, validate

    with Subject.from_host(host, plugin_id) as subject:
        report = validate(subject, 5)
    assert report.passed, [(r.name, r.message) for r in report.failures]


def test_capture_runs_on_one_thread_and_restores_the_callers_setting(host, capture_file):
    seen = []
    plugin = host.create(f"capture:{capture_file}")
    plugin.prepare(48000, 1, 512, "cpu")
    net_stream = plugin.net.stream
    plugin.net.stream = lambda *a: (seen.append(torch.get_num_threads()), net_stream(*a))[1]
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch.inference_mode():
            plugin.process(torch.zeros(1, 1, 512))
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)

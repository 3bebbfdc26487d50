"""The generator plugins with their shipped weights: neural-instrument, timbre-vae, drum-gan, and the
timbre-transfer effect; their CLI; their numbers on small notes made here."""

from __future__ import annotations

import mido
import numpy as np
import pytest
import soundfile as sf

from assertions import assert_one_line_error
from host.cli import main
from host.registry import PluginHost
from plugin_specs import Note, ParameterError
from synth_plugins.pitch import cents, track_pitch


@pytest.fixture(scope="module")
def host():
    return PluginHost()


def make(host, plugin_id, rate=22050, **params):
    plugin = host.create(plugin_id, params)
    plugin.prepare(rate, 1, 8192)
    return plugin


def run_cli(capsys, *args):
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def median_f0(audio, rate, start=0.05, end=None):
    x = audio[int(start * rate) : None if end is None else int(end * rate)]
    f0 = track_pitch(x, rate, fmin=40.0, fmax=3000.0).f0
    return float(np.median(f0[np.isfinite(f0)]))


def log_spectrum(audio):
    window = np.hanning(len(audio))
    return np.log(np.abs(np.fft.rfft(audio * window)) + 1e-6)


# -- the synthesizer ----------------------------------------------------------------------------------

def test_fast_oscillator_bank_matches_the_sine_bank():
    import torch

    from synth_plugins.models.ddsp_nets import harmonic_bank, steady_harmonic_bank

    f0 = torch.tensor([110.0, 440.0, 1661.2])
    steady = torch.rand(3, 1, 40).expand(3, 30, 40).contiguous()
    reference, _ = harmonic_bank(f0[:, None].expand(-1, 30), steady)
    fast = steady_harmonic_bank(f0, steady)
    # the sine bank's phase starts one sample in; everything else, Nyquist masking included, is the same
    assert torch.allclose(reference[:, :-1], fast[:, 1:], atol=2e-4)
    moving = torch.rand(3, 30, 40)
    reference, _ = harmonic_bank(f0[:, None].expand(-1, 30), moving)
    error = (reference[:, :-1] - steady_harmonic_bank(f0, moving)[:, 1:]).square().mean() / reference.square().mean()
    assert error < 0.05  # only the amplitude ramps differ (knots at frame edges instead of centres)


def test_loudness_frames_and_note_events_line_up():
    import torch

    from synth_plugins.models.ddsp_nets import HOP, loudness_db, note_events

    x = torch.zeros(1, 64 * HOP)
    x[0, 20 * HOP : 40 * HOP] = 0.1
    loud = loudness_db(x)[0]
    assert loud.shape == (64,) and abs(float(loud[30]) - 20 * np.log10(0.1)) < 0.01 and float(loud[5]) == -80.0
    events = note_events(10, torch.tensor([4]), torch.tensor([127]), torch.tensor([60]))[0]
    assert events[:4, 0].tolist() == [1, 1, 1, 1] and events[4:, 0].sum() == 0  # gate
    assert events[3, 4] == 0 and events[5, 4] > 0  # time since note-off starts at the release


def test_ensemble_chorus_renders_in_pieces_as_in_one_and_detunes_only_its_wet_part():
    import torch

    from synth_plugins.models.ddsp_nets import RATE, Ensemble

    chorus = Ensemble(4)
    sine = torch.sin(2 * np.pi * 440.0 * torch.arange(2 * RATE) / RATE)[None]
    timbre = torch.zeros(1, 4)
    with torch.no_grad():
        whole = chorus(sine, timbre)
        reach, cut = Ensemble.history(), 12345
        pieces = torch.cat([chorus(sine[:, :cut], timbre),
                            chorus(sine[:, cut:], timbre, start=cut, past=sine[:, cut - reach : cut])], dim=1)
        assert torch.equal(whole, pieces)
        chorus.mix.bias.fill_(-30.0)  # dry: the input untouched
        assert torch.allclose(chorus(sine, timbre), sine, atol=1e-9)
        chorus.mix.bias.fill_(30.0)  # all wet: two delays swinging at 0.7 and 1.1 Hz, pitch a few cents off
        wet = chorus(sine, timbre)[0].numpy()
    swing = [abs(cents(median_f0(wet[i : i + 2048], RATE, start=0.0), 440.0)) for i in range(2048, 2 * RATE - 2048, 2048)]
    assert 3.0 < max(swing) < 25.0


# -- neural-instrument -------------------------------------------------------------------------------

def test_generation_is_deterministic_for_a_seed(host):
    plugin = make(host, "neural-instrument", instrument="violin")
    notes = [Note(0.0, 0.4, 64, 100), Note(0.3, 0.4, 67, 80)]
    a = plugin.generate(1.0, 44100, seed=3, notes=notes)
    assert np.array_equal(a, plugin.generate(1.0, 44100, seed=3, notes=notes))
    assert not np.array_equal(a, plugin.generate(1.0, 44100, seed=4, notes=notes))  # the noise part moves


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
@pytest.mark.parametrize("plugin_id", ["neural-instrument", "timbre-vae", "drum-gan"])
def test_output_has_the_requested_length_and_rate(host, plugin_id, rate):
    plugin = make(host, plugin_id, rate)
    audio = plugin.generate(0.73, rate, seed=0)
    assert audio.shape == (1, round(0.73 * rate)) and audio.dtype == np.float32
    assert np.all(np.isfinite(audio)) and np.abs(audio).max() > 1e-3


@pytest.mark.parametrize("instrument", ["violin", "trumpet", "flute", "organ"])
def test_a4_has_its_energy_at_440_hz_harmonics(host, instrument):
    rate = 44100
    audio = make(host, "neural-instrument", rate, instrument=instrument).generate(
        1.0, rate, seed=0, notes=[Note(0.0, 0.9, 69, 100)])[0]
    held = audio[int(0.1 * rate) : int(0.9 * rate)]
    spectrum = np.abs(np.fft.rfft(held * np.hanning(len(held)))) ** 2
    freqs = np.fft.rfftfreq(len(held), 1 / rate)
    near = np.zeros_like(freqs, dtype=bool)
    for k in range(1, int(11025 / 440) + 1):  # the model is band-limited to its 22.05 kHz rate
        near |= np.abs(freqs - 440 * k) < 20
    assert spectrum[near].sum() / spectrum[freqs > 30].sum() > 0.9
    assert abs(cents(median_f0(held, rate), 440.0)) < 25


def test_polyphony_sums_voices_and_release_tails_ring_on(host):
    rate = 22050
    plugin = make(host, "neural-instrument", rate, instrument="strings")
    chord = plugin.generate(1.5, rate, seed=1, notes=[Note(0, 0.5, p, 100) for p in (60, 64, 67)])[0]
    spectrum = log_spectrum(chord[int(0.1 * rate) : int(0.5 * rate)])
    freqs = np.fft.rfftfreq(int(0.4 * rate), 1 / rate)
    floor = np.median(spectrum)
    for pitch in (60, 64, 67):
        f = 440 * 2 ** ((pitch - 69) / 12)
        assert spectrum[np.abs(freqs - f) < 4].max() > floor + 4  # every voice is there
    single = plugin.generate(1.5, rate, seed=1, notes=[Note(0, 0.5, 60, 100)])[0]
    held = np.sqrt(np.mean(single[int(0.2 * rate) : int(0.5 * rate)] ** 2))
    after = np.sqrt(np.mean(single[int(0.5 * rate) : int(0.6 * rate)] ** 2))
    late = np.sqrt(np.mean(single[int(1.4 * rate) :] ** 2))
    assert 0 < after < held and late < 0.05 * held


def test_velocity_sets_the_level(host):
    plugin = make(host, "neural-instrument", instrument="trumpet")
    soft, loud = (plugin.generate(0.8, 22050, 0, [Note(0, 0.6, 62, v)])[0] for v in (30, 120))
    assert np.sqrt(np.mean(soft**2)) < 0.7 * np.sqrt(np.mean(loud**2))


@pytest.mark.parametrize("note,message", [
    ((0.0, -0.5, 60, 100), "note 0 lasts -0.5 s"),
    ((0.0, 0.5, 140, 100), "note 0 has pitch 140.0"),
    ((0.0, 0.5, 60, 0), "note 0 has velocity 0"),
    ((-1.0, 0.5, 60, 100), "note 0 starts at -1.0"),
    (("soon", 0.5, 60), "note 0 ('soon', 0.5, 60) is not"),
])
def test_bad_notes_get_one_line_errors(host, note, message):
    plugin = make(host, "neural-instrument")
    with pytest.raises(ParameterError) as caught:
        plugin.generate(1.0, 22050, 0, [note])
    assert_one_line_error(caught.value, "neural-instrument", message)


@pytest.mark.parametrize("plugin_id,params,message", [
    ("neural-instrument", {"instrument": "kazoo"}, "parameter 'instrument': value 'kazoo' is not one of"),
    ("drum-gan", {"drum_class": "cowbell"}, "parameter 'drum_class': value 'cowbell' is not one of"),
])
def test_unknown_instruments_and_classes_are_refused(host, plugin_id, params, message):
    with pytest.raises(ParameterError) as caught:
        host.create(plugin_id, params)
    assert_one_line_error(caught.value, plugin_id, message)


def test_unknown_timbre_is_refused_when_used(host):
    plugin = make(host, "timbre-vae", timbre="kazoo")
    with pytest.raises(ParameterError) as caught:
        plugin.generate(0.5, 22050, 0)
    assert_one_line_error(caught.value, "timbre-vae", "unknown timbre 'kazoo'")


def write_midi(path, notes, tempo_bpm=120, channel=0):
    """Notes as (beat, beats, pitch, velocity) on one track."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    events = []
    for beat, beats, pitch, velocity in notes:
        events.append((int(beat * 480), "note_on", pitch, velocity))
        events.append((int((beat + beats) * 480), "note_off", pitch, 0))
    now = 0
    for tick, kind, pitch, velocity in sorted(events, key=lambda e: (e[0], e[1] == "note_on")):
        track.append(mido.Message(kind, note=pitch, velocity=velocity, time=tick - now, channel=channel))
        now = tick
    midi.save(str(path))


def test_cli_plays_a_midi_file(tmp_path, capsys):
    song = tmp_path / "song.mid"
    write_midi(song, [(0, 1, 69, 100), (1, 1, 72, 90), (2, 2, 76, 110), (2, 2, 69, 70)])  # 2 s at 120 bpm
    out = tmp_path / "out.wav"
    rc, stdout, _ = run_cli(capsys, "generate", "neural-instrument", "--midi", song, "--instrument", "violin",
                            "-o", out)
    assert rc == 0 and "wrote" in stdout
    audio, rate = sf.read(out, always_2d=True)
    assert rate == 44100 and audio.shape[0] == round((2.0 + 1.5) * 44100)
    assert abs(cents(median_f0(audio[:, 0], rate, 0.05, 0.45), 440.0)) < 50


def test_cli_bad_midi_fails_in_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    out = tmp_path / "out.wav"
    rc, _, err = run_cli(capsys, "generate", "neural-instrument", "--midi", bad, "-o", out)
    assert rc != 0 and "error: " in err and str(bad) in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


# -- drum-gan ------------------------------------------------------------------------------------------

def test_cli_drum_one_shots_are_reproducible(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, count in ((first, 4), (second, 2)):
        rc, _, _ = run_cli(capsys, "generate", "drum-gan", "--class", "kick", "--count", count, "--seed", 7,
                           "-o", folder)
        assert rc == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == [f"kick-seed7-{i:03d}.wav" for i in range(4)]
    shots = [sf.read(first / n)[0] for n in names]
    assert all(len(s) == round(0.512 * 44100) for s in shots)
    assert not np.allclose(shots[0], shots[1])  # a batch varies
    for name in sorted(p.name for p in second.iterdir()):  # hit i does not depend on the batch size
        np.testing.assert_allclose(sf.read(second / name)[0], sf.read(first / name)[0], atol=1e-4)


def test_cli_unknown_drum_class_fails_in_one_line(tmp_path, capsys):
    rc, _, err = run_cli(capsys, "generate", "drum-gan", "--class", "cowbell", "-o", tmp_path / "x.wav")
    assert rc != 0 and "cowbell" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_latent_walk_writes_the_morph(tmp_path, capsys):
    rc, _, _ = run_cli(capsys, "generate", "drum-gan", "--class", "snare", "--count", 5, "--seed", 1,
                       "--walk-to", 2, "-o", tmp_path / "walk", "--sample-rate", 16000)
    assert rc == 0
    names = sorted(p.name for p in (tmp_path / "walk").iterdir())
    assert names == [f"snare-walk1-2-{i:03d}.wav" for i in range(5)]
    first = sf.read(tmp_path / "walk" / names[0])[0]
    one = make(PluginHost(), "drum-gan", 16000).one_shots("snare", 1, 1, 16000)[0]
    np.testing.assert_allclose(first, one, atol=1e-4)  # the walk starts at --seed's own hit
    rc, _, err = run_cli(capsys, "generate", "neural-instrument", "--walk-to", 2, "--count", 3, "-o", tmp_path / "x")
    assert rc != 0 and "--walk-to" in err


def distance(a, b):
    return float(np.mean(np.abs(log_spectrum(a) - log_spectrum(b))))


def test_drum_latent_walk_is_continuous(host):
    gan = make(host, "drum-gan")
    walk = gan.walk("snare", 1, 2, steps=11, sample_rate=16000)
    ends = distance(walk[0], walk[-1])
    steps = [distance(a, b) for a, b in zip(walk[:-1], walk[1:])]
    assert ends > 0 and max(steps) < 0.5 * ends


def test_drum_hits_of_one_class_vary_with_the_seed(host):
    """Sixteen seeds give sixteen different hits, not one sound: the log-mel statistics spread across them (a
    mode-collapsed generator spread 0.11; real hits spread about 1.0)."""
    from synth_train.tasks.drum_gan import logmel_stats

    gan = make(host, "drum-gan", 16000)
    spread = [float(logmel_stats(np.ascontiguousarray(gan.one_shots(c, 16, seed=7, sample_rate=16000))).std(0).mean())
              for c in ("kick", "snare", "closed_hat", "open_hat", "tom", "clap", "cymbal", "rim")]
    assert np.mean(spread) > 0.35 and min(spread) > 0.15


def test_drum_track_from_notes_places_hits(host):
    gan = make(host, "drum-gan", 16000)
    audio = gan.generate(2.0, 16000, seed=0, notes=[Note(0.5, 0.1, 36, 127), Note(1.5, 0.1, 42, 64)])[0]
    assert np.abs(audio[: int(0.49 * 16000)]).max() == 0.0
    assert np.abs(audio[int(0.5 * 16000) : int(0.52 * 16000)]).max() > 0.1


# -- timbre-vae and timbre-transfer -------------------------------------------------------------------

def test_timbre_interpolation_is_continuous(host):
    plugin = make(host, "timbre-vae", timbre="brass", blend_with="pipe")
    renders = []
    for t in np.linspace(0.0, 1.0, 11):
        plugin.set_parameter("blend", float(t))
        renders.append(plugin.generate(0.8, 22050, seed=0, notes=[Note(0, 0.6, 67, 100)])[0])
    ends = distance(renders[0], renders[-1])
    steps = [distance(a, b) for a, b in zip(renders[:-1], renders[1:])]
    assert ends > 0.2 and max(steps) < 0.4 * ends


def test_prior_samples_are_new_and_reproducible(host):
    plugin = make(host, "timbre-vae", timbre="random")
    notes = [Note(0, 0.5, 60, 100)]
    a, b = (plugin.generate(0.6, 22050, seed=s, notes=notes)[0] for s in (1, 2))
    assert np.array_equal(a, plugin.generate(0.6, 22050, seed=1, notes=notes)[0])
    assert distance(a, b) > 0.05


def test_timbre_transfer_follows_the_input_melody(host):
    rate = 22050
    t = np.arange(int(1.5 * rate)) / rate
    melody = np.where(t < 0.75, 0.3 * np.sin(2 * np.pi * 330 * t), 0.3 * np.sin(2 * np.pi * 440 * t))
    effect = make(host, "timbre-transfer", rate, timbre="strings")
    latency = effect.latency_samples()
    assert latency == 4096 + 1024 - 512
    x = np.concatenate([melody, np.zeros(latency)]).astype(np.float32)[None]
    out = np.concatenate([effect.process(x[:, i : i + 1000]) for i in range(0, x.shape[1], 1000)], axis=1)[0]
    out = out[latency:]
    assert abs(cents(median_f0(out, rate, 0.2, 0.65), 330.0)) < 50
    assert abs(cents(median_f0(out, rate, 0.9, 1.4), 440.0)) < 50
    effect.reset()
    whole = effect.process(x)[0][latency:]
    np.testing.assert_allclose(whole, out, atol=1e-5)  # block size does not change the result


# -- shipped weights and the plugin contract ----------------------------------------------------------

@pytest.mark.parametrize("model", ["neural-instrument", "timbre-vae", "drum-gan", "drum-classifier"])
def test_shipped_weights_are_small_and_carded(model):
    import json

    from synth_plugins.weights import card_path, weights_path

    card = json.loads(card_path(model).read_text())
    assert weights_path(model).stat().st_size <= 5_000_000 and card["weights_bytes"] <= 5_000_000
    assert card["parameters"] > 0 and card["training"]["steps"] > 0 and "data" in card
    assert card["training"]["wall_seconds"] <= 3 * 3600  # the CPU training budget


@pytest.mark.parametrize("plugin_id", ["neural-instrument", "timbre-vae", "drum-gan", "timbre-transfer",
                                       "drum-classifier"])
def test_generator_plugins_pass_the_validator(host, plugin_id):
    from host.validation import Subject, validate

    with Subject.from_host(host, plugin_id) as subject:
        report = validate(subject, 5)
    assert report.passed, [(r.name, r.message) for r in report.failures]


def test_whole_buffer_resampling_is_near_exact():
    """The generators' rate conversion (libsoxr): a 440 Hz sine from 22.05 to 44.1 kHz lands on the exact
    sine, and much closer than pedalboard's StreamResampler gets (the README quotes both errors)."""
    from pedalboard.io import StreamResampler

    from synth_plugins.resampling import resample

    sine = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)[None].astype(np.float32)
    exact = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)
    ours = resample(sine, 22050, 44100)
    stream = StreamResampler(22050.0, 44100.0, 1)
    peer = np.concatenate([stream.process(sine), stream.process(None)], axis=1)[:, :44100]
    ours_error, peer_error = (float(np.abs(y[0, 1000:-1000] - exact[1000:-1000]).max()) for y in (ours, peer))
    assert ours.shape == (1, 44100)
    assert ours_error < 1e-6 and ours_error < peer_error / 10

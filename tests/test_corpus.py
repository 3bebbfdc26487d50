"""The local training-corpus builder (small preset) and the augmentation helpers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from synth_train.augment import (
    apply_chain, augment, augment_with_spec, mix_at_snr, random_chain, random_chain_spec, spec_augment,
    timbre_augment,
)
from synth_train.corpus.build import BUILDER_VERSION, build_corpus
from synth_train.corpus.manifest import (
    CONTENT_LABELS, DRUM_CLASSES, INSTRUMENT_FAMILIES, SAMPLE_RATE, read_manifest, validate_record,
)
from synth_train.corpus.splits import FESTIVAL_VOICE_SPLIT, HYDROGEN_KIT_SPLIT, TEST_SOUNDFONT, val_programs

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    from render_tools import need

    for tool in ("espeak-ng", "fluidsynth", "text2wave"):
        need(tool)  # skips without the Debian tools, fails instead under SYNTH_HOST_REQUIRE_TOOLS=1
    out = tmp_path_factory.mktemp("corpus") / "seed0"
    manifest = build_corpus(out, preset="small", seed=0, jobs=2)
    return out, read_manifest(manifest)


def test_manifest_schema_and_order(corpus):
    out, records = corpus
    assert out.joinpath("manifest.jsonl").is_file()
    assert len(records) > 100
    for rec in records:
        validate_record(rec)
    ids = [r["id"] for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_every_file_is_mono_44k_flac_of_the_stated_length(corpus):
    out, records = corpus
    for rec in records:
        path = out / rec["path"]
        info = sf.info(str(path))
        fmt = (info.format, info.subtype, info.channels, info.samplerate)
        assert fmt == ("FLAC", "PCM_16", 1, SAMPLE_RATE), rec["id"]
        assert abs(info.frames / SAMPLE_RATE - rec["seconds"]) < 1e-4, rec["id"]
        audio, _ = sf.read(str(path), dtype="int16")
        if rec["content"] != ["silence"]:
            assert np.any(audio != 0), f"{rec['id']} is all zero"
            assert np.max(np.abs(audio.astype(np.int32))) > 30, f"{rec['id']} is nearly silent"


def test_every_label_family_and_drum_class_is_present(corpus):
    _, records = corpus
    assert {c for r in records for c in r["content"]} == set(CONTENT_LABELS)
    assert {r["instrument"] for r in records if r["instrument"]} == set(INSTRUMENT_FAMILIES)
    assert {r["drum"] for r in records if r["drum"]} == set(DRUM_CLASSES)
    assert {r["source"] for r in records} == {"espeak-ng", "festival", "fluidsynth", "hydrogen", "synthesised", "mix"}
    assert {tuple(r["content"]) for r in records if r["source"] == "mix"} == {("speech", "music"), ("speech", "noise")}
    for label in CONTENT_LABELS:
        assert sum(label in r["content"] for r in records) >= 6, label
    for family in INSTRUMENT_FAMILIES:
        assert sum(r["instrument"] == family for r in records) >= 6, family
    for drum in DRUM_CLASSES:
        assert sum(r["drum"] == drum for r in records) >= 5, drum


def test_labels_are_consistent_with_what_was_rendered(corpus):
    _, records = corpus
    for r in records:
        assert r["licence"].strip(), r["id"]
        kind = r["params"]["kind"]
        if kind == "note":
            assert r["pitch"] == r["params"]["note"] and r["velocity"] == r["params"]["velocity"]
        if r["drum"] is not None:
            assert r["instrument"] == "drums" and r["content"] == ["music"]
        if r["source"] == "hydrogen":
            assert "GPL" in r["licence"]
        if r["source"] == "fluidsynth":
            assert r["params"]["soundfont"].split("_")[0] in r["licence"]
        if "silence" in r["content"]:
            assert r["params"]["augment"] is None


def test_splits_hold_out_whole_sources(corpus):
    _, records = corpus
    by_split = {s: {r["id"] for r in records if r["split"] == s} for s in ("train", "val", "test")}
    assert all(by_split.values())
    assert not (by_split["train"] & by_split["val"]) and not (by_split["train"] & by_split["test"])
    assert not (by_split["val"] & by_split["test"])
    held = set(val_programs().values())
    by_id = {r["id"]: r for r in records}
    for r in records:
        p = r["params"]
        if r["source"] == "fluidsynth":
            assert (p["soundfont"] == TEST_SOUNDFONT) == (r["split"] == "test"), r["id"]
            if p["kind"] in ("note", "stem") and r["split"] != "test":
                assert (p["program"] in held) == (r["split"] == "val"), r["id"]
        if r["source"] == "festival":
            assert r["split"] == FESTIVAL_VOICE_SPLIT[p["voice"]]
        if r["source"] == "hydrogen":
            assert r["split"] == HYDROGEN_KIT_SPLIT[p["kit"]]
        if r["source"] == "mix":
            for key in ("speech_id", "background_id"):
                component = by_id[p[key]]
                assert component["split"] == r["split"] and component["params"]["augment"] is None
    variants = {}
    for r in records:
        if r["source"] == "espeak-ng" and r["params"]["variant"]:
            variants.setdefault(r["params"]["variant"], set()).add(r["split"])
    assert all(len(splits) == 1 for splits in variants.values()), variants


def test_summary_matches_manifest(corpus):
    out, records = corpus
    info = json.loads((out / "corpus.json").read_text())
    assert (info["preset"], info["seed"], info["builder_version"]) == ("small", 0, BUILDER_VERSION)
    assert info["clips"] == len(records)
    assert abs(info["total_seconds"] - sum(r["seconds"] for r in records)) < 0.01
    for label in CONTENT_LABELS:
        assert info["counts"]["content"][label] == sum(label in r["content"] for r in records)
    assert info["split_policy"]["festival"] == FESTIVAL_VOICE_SPLIT
    assert info["build_wall_seconds"] < 60


def test_notes_sound_at_their_labelled_pitch(corpus):
    librosa = pytest.importorskip("librosa")
    out, records = corpus
    notes = [r for r in records if r["params"]["kind"] == "note" and r["params"]["augment"] is None
             and r["instrument"] in ("keys", "organ", "reed", "pipe", "brass")][:6]
    assert len(notes) >= 4
    for r in notes:
        x, sr = sf.read(str(out / r["path"]), dtype="float32")
        f0 = librosa.yin(x[: sr // 2], fmin=40, fmax=4200, sr=sr, frame_length=4096)
        semis = librosa.hz_to_midi(float(np.median(f0))) - r["pitch"]
        assert abs((semis + 6) % 12 - 6) < 0.7, (r["id"], r["pitch"], semis)  # octave errors of the tracker allowed


def test_same_seed_is_identical_and_other_seed_differs(corpus, tmp_path):
    out, records = corpus
    again = read_manifest(build_corpus(tmp_path / "again", preset="small", seed=0, jobs=2))
    assert (tmp_path / "again" / "manifest.jsonl").read_bytes() == (out / "manifest.jsonl").read_bytes()
    assert again == records
    picks = records[:: max(1, len(records) // 10)] + [r for r in records if r["params"].get("augment")][:3]
    for r in picks:
        a, _ = sf.read(str(out / r["path"]), dtype="int16")
        b, _ = sf.read(str(tmp_path / "again" / r["path"]), dtype="int16")
        assert np.array_equal(a, b), r["id"]
    other = build_corpus(tmp_path / "seed1", preset="small", seed=1, jobs=2)
    assert other.read_bytes() != (out / "manifest.jsonl").read_bytes()


def test_finished_corpus_is_reused(corpus):
    out, _ = corpus
    before = (out / "corpus.json").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert build_corpus(out, preset="small", seed=0) == out / "manifest.jsonl"
    assert time.perf_counter() - t0 < 1.0
    assert (out / "corpus.json").stat().st_mtime_ns == before


def test_command_line_reuses_the_corpus(corpus):
    out, _ = corpus
    proc = subprocess.run([sys.executable, "-m", "synth_train.corpus.build", "--out", str(out), "--preset", "small",
                           "--seed", "0", "--quiet"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out / "manifest.jsonl")


def test_missing_tool_is_a_one_line_error_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError) as err:
        build_corpus(tmp_path / "c", preset="small", seed=0, jobs=1)
    msg = str(err.value)
    assert "\n" not in msg and "espeak-ng" in msg and "apt-get install" in msg
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("seed", range(6))
def test_augment_keeps_shape_limits_peak_and_changes_audio(seed):
    rng = np.random.default_rng(100 + seed)
    x = (np.sin(np.linspace(0, 800 * np.pi, 22050)) * 0.9 + rng.standard_normal(22050) * 0.05).astype(np.float32)
    audio = np.stack([x, x[::-1]]) if seed % 2 else x[None, :]
    y = augment(audio, 44100, np.random.default_rng(seed))
    assert y.shape == audio.shape and y.dtype == np.float32
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    assert not np.allclose(y, audio, atol=1e-4)


def test_augment_spec_replays_exactly_and_is_seeded():
    x = (np.random.default_rng(0).standard_normal((1, 44100)) * 0.2).astype(np.float32)
    y, spec = augment_with_spec(x, 44100, np.random.default_rng(7))
    assert np.array_equal(apply_chain(x, 44100, spec), y)
    assert np.array_equal(augment(x, 44100, np.random.default_rng(7)), y)
    kinds = {type(p).__name__ for s in range(200) for p in random_chain(np.random.default_rng(s), 44100)}
    assert {"Reverb", "Compressor", "Distortion", "MP3Compressor", "Resample", "Gain"} <= kinds
    # MP3 is also drawn at other rates LAME supports, and never at one it does not
    assert any(st["type"] == "mp3" for s in range(50) for st in random_chain_spec(np.random.default_rng(s), 16000))
    assert not any(st["type"] == "mp3" for s in range(50) for st in random_chain_spec(np.random.default_rng(s), 96000))


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 7.5, 20.0])
def test_mix_at_snr_hits_the_requested_snr(snr_db):
    rng = np.random.default_rng(1)
    signal = (rng.standard_normal(30000) * 0.3).astype(np.float32)
    background = (rng.standard_normal(7001) * 0.05 + 0.01).astype(np.float32)  # shorter: must be looped
    mixed = mix_at_snr(signal, background, snr_db)
    assert mixed.shape == signal.shape
    residual = mixed.astype(np.float64) - signal
    measured = 10 * np.log10(np.mean(signal.astype(np.float64) ** 2) / np.mean(residual ** 2))
    assert abs(measured - snr_db) < 0.1
    stereo = mix_at_snr(np.stack([signal, signal]), background[:100], snr_db)
    assert stereo.shape == (2, signal.size)


def test_timbre_augment_moves_the_spectrum_but_keeps_length_and_bounds():
    rate = 22050
    t = np.arange(2 * rate) / rate
    tone = (0.3 * sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 12))).astype(np.float32)
    shifted = [timbre_augment(tone, rate, np.random.default_rng(s)) for s in range(6)]
    spectrum = np.abs(np.fft.rfft(tone))
    for x in shifted:
        assert x.shape == tone.shape and x.dtype == np.float32
        assert np.max(np.abs(x)) <= 0.99 + 1e-6
        moved = np.abs(np.fft.rfft(x))
        # the harmonic envelope changes (peak filters, playback rate), not just the overall level
        corr = np.corrcoef(np.log1p(spectrum), np.log1p(moved))[0, 1]
        assert corr < 0.999
    # the fundamental moves by at most the 6% playback-rate range
    for x in shifted:
        f0 = np.argmax(np.abs(np.fft.rfft(x))[: 600 * 2]) / 2.0
        assert 220 * 0.93 <= f0 <= 220 * 1.07
    assert not np.allclose(shifted[0], shifted[1])


def test_spec_augment_masks_bands_and_frames_with_each_examples_floor():
    import torch

    torch.manual_seed(0)
    logmel = torch.randn(8, 96, 170)
    out = spec_augment(logmel, max_bands=12, max_frames=20, masks=2)
    assert out.shape == logmel.shape
    changed = out != logmel
    floor = logmel.amin(dim=(1, 2))
    for b in range(8):
        assert torch.all(out[b][changed[b]] == floor[b])
        masked_bands = int(torch.all(changed[b], dim=1).sum())
        masked_frames = int(torch.all(changed[b], dim=0).sum())
        assert masked_bands <= 24 and masked_frames <= 40
    assert 0.02 < float(changed.float().mean()) < 0.45
    assert torch.equal(logmel, logmel.clone())  # the input is not modified in place

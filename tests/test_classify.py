"""Classification plumbing: analysis steps in chains, label files, weights errors, the classify command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from host.chain import build_chain
from host.chain_spec import parse_chain
from host.cli import main
from host.cli_models import write_audacity_labels
from plugin_specs import Segment, WeightsError


def bursts(seconds=75, sr=8000):
    """Alternating 1.3 s loud / 0.7 s quiet: segment edges fall across 30 s analysis windows."""
    t = np.arange(int(seconds * sr))
    loud = (t % (2 * sr)) < int(1.3 * sr)
    x = np.where(loud, 0.5, 0.001) * np.sin(2 * np.pi * 440 * t / sr)
    return np.stack([x, x]).astype(np.float32)


def test_analysis_step_passes_audio_and_matches_whole_buffer(host):
    x = bursts()
    chain = build_chain(host, parse_chain("test-level | Gain gain_db=0"), 8000, 2, block_size=4096)
    y = chain.process(x, tail_seconds=0.0)
    assert np.array_equal(y, x)
    streamed = chain.analysis()["test-level"]
    whole = host.create("test-level")
    whole.prepare(8000, 2, 4096)
    expected = whole.classify(x).to_dict()
    assert [(s["start"], s["end"], s["label"]) for s in streamed["segments"]] == \
        [(s["start"], s["end"], s["label"]) for s in expected["segments"]]
    assert streamed["scores"]["loud"] == pytest.approx(expected["scores"]["loud"], abs=1e-9)


def test_process_report_holds_analysis(host, tmp_path, monkeypatch):
    import host.cli as cli

    monkeypatch.setattr(cli, "_host", host)
    src = tmp_path / "in.wav"
    sf.write(src, bursts(10).T, 8000, subtype="FLOAT")
    report = tmp_path / "report.json"
    assert main(["process", str(src), "-o", str(tmp_path / "out.wav"), "-c", "test-level", "--report", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data[0]["analysis"]["test-level"]["segments"][0] == {"start": 0.0, "end": 1.3, "label": "loud",
                                                                "confidence": 1.0}


def test_generators_are_refused_as_chain_steps(host):
    from plugin_specs import ChainError

    with pytest.raises(ChainError, match="'test-tone' is a generator; chain steps are effects, classifiers and watermarkers"):
        build_chain(host, parse_chain("test-tone"), 8000, 1)


def test_audacity_label_format(tmp_path):
    path = tmp_path / "take.txt"
    write_audacity_labels(path, [Segment(0.0, 1.25, "speech", 0.9), Segment(1.25, 3.5, "music", 0.8)])
    assert path.read_text() == "0.000000\t1.250000\tspeech\n1.250000\t3.500000\tmusic\n"


def test_classify_command_writes_labels_json_and_csv(host, tmp_path, monkeypatch, capsys):
    import host.cli as cli

    monkeypatch.setattr(cli, "_host", host)
    src = tmp_path / "clip.flac"
    sf.write(src, bursts(4).T, 8000)
    labels = tmp_path / "labels"
    assert main(["classify", str(src), "--plugin", "test-level", "--labels", str(labels), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["scores"]["loud"] == pytest.approx(0.65, abs=0.03)
    lines = (labels / "clip.txt").read_text().splitlines()
    assert lines[0] == "0.000000\t1.300000\tloud" and lines[1].endswith("\tquiet")
    assert main(["classify", str(src), "--plugin", "test-level", "--csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "file,start,end,label,confidence" and rows[1].endswith(",0.000,1.300,loud,1.000")


def test_classify_rejects_effects_and_bad_files(host, tmp_path, monkeypatch, capsys):
    import host.cli as cli

    monkeypatch.setattr(cli, "_host", host)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    assert main(["classify", str(bad), "--plugin", "test-level"]) == 1
    assert "bad.wav" in capsys.readouterr().err
    assert main(["classify", str(bad), "--plugin", "Gain"]) == 1
    assert "plugin 'Gain' is an effect, not a classifier" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_bad_weights_files_give_one_line_errors(tmp_path, damage):
    import torch

    from synth_plugins import weights

    model = torch.nn.Linear(4, 2)
    path = tmp_path / "m.safetensors"
    weights.save_model(model, path, {"model": "m"})
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    else:
        path.write_bytes(b"\x00" * 64)
    with pytest.raises(WeightsError) as err:
        weights.load_model(torch.nn.Linear(4, 2), "m", path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_weights_of_the_wrong_shape_are_refused(tmp_path):
    import torch

    from synth_plugins import weights

    path = tmp_path / "m.safetensors"
    weights.save_model(torch.nn.Linear(4, 2), path, {"model": "m"})
    with pytest.raises(WeightsError, match="do not fit the model"):
        weights.load_model(torch.nn.Linear(8, 2), "m", path)

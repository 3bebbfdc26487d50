"""A pedalboard-only chain through the host matches pedalboard called directly."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest
import soundfile as sf

from host.chain_spec import parse_chain
from host.cli import main
from host.render import render_array

CHAIN = ("HighpassFilter cutoff_frequency_hz=80 | Compressor threshold_db=-18 ratio=4 | "
         "Chorus | Reverb room_size=0.3 | Gain gain_db=-3")


def _board():
    return pedalboard.Pedalboard([
        pedalboard.HighpassFilter(cutoff_frequency_hz=80), pedalboard.Compressor(threshold_db=-18, ratio=4),
        pedalboard.Chorus(), pedalboard.Reverb(room_size=0.3), pedalboard.Gain(gain_db=-3)])


@pytest.mark.parametrize("block", [256, 8192, 100000])
def test_host_equals_pedalboard(host, noise, block):
    audio = noise(seconds=2.0)
    ours = render_array(host, parse_chain(CHAIN), audio, 44100, block_size=block, tail=0)
    theirs = _board()(audio, 44100)
    assert ours.shape == theirs.shape
    assert np.max(np.abs(ours - theirs)) <= 1e-6


def test_cli_file_equals_pedalboard_on_float_wav(tmp_path, noise):
    audio = noise(seconds=1.5)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(src, audio.T, 44100, subtype="FLOAT")
    assert main(["process", str(src), "-o", str(dst), "--chain", CHAIN, "--tail", "0", "--block-size", "777"]) == 0
    ours, sr = sf.read(dst, dtype="float32", always_2d=True)
    assert sr == 44100 and sf.info(dst).subtype == "FLOAT"
    assert np.max(np.abs(ours.T - _board()(audio, 44100))) <= 1e-6

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from host.registry import PluginHost  # noqa: E402

import toy_plugins  # noqa: E402


@pytest.fixture(scope="session")
def host():
    """The installed plugins plus the toy plugins the tests define."""
    h = PluginHost()
    h.add_module(toy_plugins, name="toy-plugins", package="tests", version="0")
    return h


@pytest.fixture
def noise():
    def make(seconds=1.0, sr=44100, channels=2, seed=0, level=0.2):
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((channels, int(seconds * sr))) * level).astype(np.float32)

    return make


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    """The small corpus preset, built once per test session with the real Debian tools."""
    from render_tools import need

    for tool in ("espeak-ng", "fluidsynth", "text2wave"):
        need(tool)
    from synth_train.corpus.build import build_corpus

    out = tmp_path_factory.mktemp("corpus") / "small"
    build_corpus(out, preset="small", seed=0, jobs=2)
    return out

"""The limiter's promises: never over the ceiling, untouched below it, latency as declared."""

import numpy as np
import pytest

from plugin_specs.testing import PluginConformance
from synth_host_limiter import LookaheadLimiter
from synth_host_limiter.windows import box_mean, sliding_min


class TestLimiterConformance(PluginConformance):
    plugin = LookaheadLimiter
    strictness = 7


def run(audio, block=512, **params):
    limiter = LookaheadLimiter(**params)
    limiter.prepare(48000, audio.shape[0], block)
    return np.concatenate([limiter.process(audio[:, i : i + block]) for i in range(0, audio.shape[-1], block)],
                          axis=-1), limiter.latency_samples()


def test_windows_match_brute_force():
    x = np.random.default_rng(0).random(1000)
    for width in (1, 7, 64):
        want = np.array([x[i : i + width].min() for i in range(len(x) - width + 1)])
        assert np.array_equal(sliding_min(x, width), want)
        assert np.allclose(box_mean(x, width), [x[i : i + width].mean() for i in range(len(x) - width + 1)])


@pytest.mark.parametrize("ceiling_db", [-1.0, -6.0, -12.0])
def test_output_never_exceeds_the_ceiling(ceiling_db):
    x = (np.random.default_rng(1).standard_normal((2, 48000)) * 0.8).astype(np.float32)
    y, _ = run(x, ceiling_db=ceiling_db)
    assert np.max(np.abs(y)) <= 10 ** (ceiling_db / 20) * (1 + 1e-6)


def test_quiet_audio_is_only_delayed():
    x = (np.random.default_rng(2).standard_normal((1, 24000)) * 0.05).astype(np.float32)
    y, latency = run(x, lookahead_ms=2.0)
    assert latency == 96
    assert np.array_equal(y[:, latency:], x[:, :-latency])


def test_host_realigns_the_latency():
    from host.chain import Chain

    x = (np.random.default_rng(3).standard_normal((2, 48000)) * 0.05).astype(np.float32)
    chain = Chain([LookaheadLimiter(lookahead_ms=5.0)], 48000, 2, block_size=1000)
    assert np.allclose(chain.process(x), x, atol=1e-7)

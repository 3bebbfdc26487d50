"""Streaming f0 + loudness resynthesis for ``timbre-transfer``, in fixed chunks at the model rate.

Each chunk of 16 control frames is analysed with 2048 samples of history and 1024 of look-ahead (YIN
needs a period either side of a frame centre), decoded with the GRU state and oscillator phase carried
over, and queued; so streaming and whole-buffer processing give the same samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .models.ddsp_constants import FLOOR_DB, HOP, LOUD_WINDOW, RATE
from .pitch import track_pitch

CHUNK = 16 * HOP
LOOKAHEAD = 1024
CONTEXT = 2048
#: What the plugin reports: the queue's delay, less half a loudness window (a sound's onset reaches the
#: frames whose windows overlap it, so output begins that much before its aligned position).
REPORTED_LATENCY = CHUNK + LOOKAHEAD - LOUD_WINDOW // 2
UNVOICED_DROP_DB = 20.0  # breaths and consonants pass quietly instead of as a held note
FMIN, FMAX = 50.0, 2000.0
GATE_DB = -70.0  # input this quiet is silence: the synth fades out over the 10 dB above it


def chunk_loudness(segment: np.ndarray) -> np.ndarray:
    """dB per control frame of the chunk starting at CONTEXT, windows as in training (ddsp_nets.loudness_db)."""
    centres = CONTEXT + np.arange(CHUNK // HOP) * HOP + HOP // 2
    idx = centres[:, None] + np.arange(-LOUD_WINDOW // 2, LOUD_WINDOW // 2)[None, :]
    power = np.mean(np.square(segment[idx], dtype=np.float64), axis=1)
    return np.maximum(10 * np.log10(power + 1e-10), FLOOR_DB).astype(np.float32)


class TransferStream:
    def __init__(self, decoder: Any, timbre: Any, seed: int, ensemble: Any = None) -> None:
        import torch

        self.decoder, self.timbre, self.shift, self.ensemble = decoder, timbre, 1.0, ensemble
        self.made = 0  # samples synthesised so far: the chorus's clock
        self.dry: Any = None  # the chorus's reach of past synthesised samples
        self.history = np.zeros(CONTEXT, np.float32)
        self.pending = np.zeros(0, np.float32)
        self.queue = np.zeros(CHUNK + LOOKAHEAD, np.float32)  # the reported latency, as leading silence
        self.state: Any = None
        self.phase: Any = None
        self.last_f0 = 0.0
        self.generator = torch.Generator().manual_seed(int(seed))

    def process(self, x: np.ndarray) -> np.ndarray:
        """``n`` mono samples in, ``n`` out, delayed by CHUNK + LOOKAHEAD."""
        self.pending = np.concatenate([self.pending, x])
        made = [self.queue]
        while len(self.pending) >= CHUNK + LOOKAHEAD:
            segment = np.concatenate([self.history, self.pending[: CHUNK + LOOKAHEAD]])
            made.append(self._chunk(segment))
            self.history = segment[CHUNK : CHUNK + CONTEXT]
            self.pending = self.pending[CHUNK:]
        queue = np.concatenate(made)
        out, self.queue = queue[: len(x)], queue[len(x) :]
        return out

    def _chunk(self, segment: np.ndarray) -> np.ndarray:
        import torch

        from .models.ddsp_nets import filtered_noise, harmonic_bank

        frames = CHUNK // HOP
        track = track_pitch(segment, RATE, FMIN, FMAX, hop_seconds=HOP / RATE)
        f0 = track.f0[CONTEXT // HOP : CONTEXT // HOP + frames]
        loud = chunk_loudness(segment)
        held = np.empty(frames, np.float32)
        for i, value in enumerate(f0):  # unvoiced frames keep the last pitch, a little quieter
            if np.isfinite(value):
                self.last_f0 = float(value)
            else:
                loud[i] -= UNVOICED_DROP_DB
            held[i] = self.last_f0
        f0_t = torch.from_numpy(np.maximum(held * self.shift, 1.0))[None]
        loud_t = torch.from_numpy(np.maximum(loud, FLOOR_DB))[None]
        gate = torch.from_numpy(np.clip((loud - GATE_DB) / 10.0, 0.0, 1.0))[None, :, None]
        with torch.inference_mode():
            harmonics, noise, self.state = self.decoder.controls(f0_t, loud_t, self.timbre[None], self.state)
            harmonics, noise = harmonics * gate, noise * gate
            audio, self.phase = harmonic_bank(f0_t, harmonics, self.phase)
            audio = audio + filtered_noise(noise, self.generator)
            if self.ensemble is not None:
                dry = audio
                audio = self.ensemble(dry, self.timbre[None], start=self.made, past=self.dry)
                self.dry = dry[:, -self.ensemble.history() :]  # a chunk outreaches the delays
        self.made += CHUNK
        return audio[0].numpy().astype(np.float32)

"""Streaming embedding shared by the bundled watermarkers: bounded memory, and the same samples as a whole buffer.

A mark is made on the 16 kHz mono mixdown in fixed windows of STFT frames, each computed with enough context on
both sides that it equals a whole-file computation. The windows sit on an absolute grid from the start of the
stream and both resamplers are chunk-invariant, so the output does not depend on how the input was cut into
blocks. ``embed`` on a whole buffer runs this very class, so streaming equals whole-buffer embedding exactly.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .watermark_common import INTERNAL_RATE

HOP = 256  # internal STFT hop shared by both watermarkers (16 ms)

#: ``residual(chunk, first_frame)``: the mark for 16 kHz mono ``chunk`` whose first frame is ``first_frame``
#: in the stream; frames start every ``HOP`` samples.
ResidualFn = Callable[[np.ndarray, int], np.ndarray]


class _Resampler:
    """pedalboard's StreamResampler, or a pass-through when the rates match."""

    def __init__(self, source: int, target: int) -> None:
        self.stream = None
        if source != target:
            from pedalboard.io import StreamResampler

            self.stream = StreamResampler(float(source), float(target), 1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.stream is None:
            return x
        return self.stream.process(np.ascontiguousarray(x[None], dtype=np.float32))[0]


class StreamingEmbedder:
    """Adds a watermark block by block. ``process`` returns the marked audio aligned with the input, possibly
    fewer samples than given (the rest come out as more input, or silence, arrives)."""

    def __init__(self, residual: ResidualFn, sample_rate: int, channels: int, window_frames: int,
                 context_frames: int) -> None:
        self.residual, self.sample_rate, self.channels = residual, sample_rate, channels
        self.window_frames, self.context_frames = window_frames, context_frames
        self.down = _Resampler(sample_rate, INTERNAL_RATE)
        self.up = _Resampler(INTERNAL_RATE, sample_rate)
        # Blocks are kept in lists and joined once per finished window, not once per block: a block then costs
        # its own size, not the size of everything held back.
        self.internal = np.zeros(0, dtype=np.float32)  # 16 kHz mono samples from ``internal_start`` on...
        self.internal_new: list[np.ndarray] = []       # ...followed by these
        self.internal_end = 0                          # stream index one past the last internal sample
        self.internal_start = 0
        self.next_frame = 0  # first frame of the next window
        self.pending: list[np.ndarray] = []  # input waiting for its mark
        self.mark = np.zeros(0, dtype=np.float32)  # mark at the input rate, aligned with ``pending``

    @property
    def latency_bound(self) -> int:
        """Samples of input (or silence) after which any given sample has certainly come out."""
        frames = self.window_frames + 2 * self.context_frames + 4
        return int(np.ceil(frames * HOP * self.sample_rate / INTERNAL_RATE)) + self.sample_rate // 5

    @property
    def held_samples(self) -> float:
        """Everything held back, counted at the input rate: the memory the stream keeps."""
        internal = self.internal.size + sum(x.size for x in self.internal_new)
        return internal * self.sample_rate / INTERNAL_RATE + sum(p.shape[1] for p in self.pending) + self.mark.size

    def process(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32)
        self.pending.append(block)
        mono = self.down(block.mean(axis=0))
        self.internal_new.append(mono)
        self.internal_end += mono.size
        if not self._windows():
            return block[:, :0]
        held = np.concatenate(self.pending, axis=1)
        n = min(held.shape[1], self.mark.size)
        out = held[:, :n] + self.mark[None, :n]
        self.pending, self.mark = [held[:, n:]], self.mark[n:]
        return out

    def _windows(self) -> bool:
        """Mark every window whose right context has arrived, and drop internal samples no window needs."""
        w, c = self.window_frames, self.context_frames
        if (self.next_frame + w + c) * HOP > self.internal_end:
            return False
        self.internal = np.concatenate([self.internal, *self.internal_new])
        self.internal_new = []
        while (self.next_frame + w + c) * HOP <= self.internal_end:
            c0 = max(0, self.next_frame - c)
            lo = c0 * HOP - self.internal_start
            chunk = self.internal[lo : lo + (self.next_frame + w + c - c0) * HOP]
            r = np.asarray(self.residual(chunk, c0), dtype=np.float32)
            body = r[(self.next_frame - c0) * HOP : (self.next_frame - c0 + w) * HOP]
            self.mark = np.concatenate([self.mark, self.up(body)])
            self.next_frame += w
            keep_from = max(0, self.next_frame - c) * HOP
            self.internal = self.internal[keep_from - self.internal_start :]
            self.internal_start = keep_from
        return True

    def embed_whole(self, audio: np.ndarray) -> np.ndarray:
        """A whole buffer through the stream, then silence until all of it is out."""
        n = audio.shape[1]
        outs = [self.process(audio)]
        got = outs[0].shape[1]
        silence = np.zeros((audio.shape[0], max(1, self.window_frames * HOP)), dtype=np.float32)
        while got < n:
            outs.append(self.process(silence))
            got += outs[-1].shape[1]
        return np.concatenate(outs, axis=1)[:, :n]

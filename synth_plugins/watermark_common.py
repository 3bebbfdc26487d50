"""What every bundled watermarker shares: the 16-bit message, the internal rate, and segments from frame scores."""

from __future__ import annotations

import string

import numpy as np

from plugin_specs import ParameterError, Segment

from .resampling import resample

INTERNAL_RATE = 16000
MESSAGE_BITS = 16


def parse_message(message: str, bits: int = MESSAGE_BITS) -> np.ndarray:
    """``"a3f0"`` -> 16 bits, most significant first; a one-line error names what is wrong."""
    digits = bits // 4
    text = str(message).strip().lower().removeprefix("0x")
    if len(text) != digits:
        raise ParameterError(f"message {message!r}: must be {digits} hex digits ({bits} bits), got {len(text)}")
    if any(c not in string.hexdigits for c in text):
        raise ParameterError(f"message {message!r}: not hexadecimal")
    value = int(text, 16)
    return np.array([(value >> (bits - 1 - i)) & 1 for i in range(bits)], dtype=np.int64)


def format_message(bits: np.ndarray) -> str:
    value = 0
    for b in np.asarray(bits).astype(int):
        value = (value << 1) | int(b)
    return format(value, f"0{len(bits) // 4}x")


def to_internal(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono mixdown at the internal rate, where the mark lives: every format and codec keeps 0-8 kHz."""
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0, keepdims=True)
    return resample(mono, sample_rate, INTERNAL_RATE)[0]


def segments_from_mask(mask: np.ndarray, frame_seconds: float, scores: np.ndarray, label: str = "watermark",
                       min_frames: int = 1) -> list[Segment]:
    """Runs of True in a per-frame mask as segments, each with the mean score of its frames as confidence."""
    from .neural_classifier import runs

    out: list[Segment] = []
    for a, b in runs(np.asarray(mask, dtype=bool)):
        if b - a >= min_frames:
            out.append(Segment(float(a * frame_seconds), float(b * frame_seconds), label,
                               float(np.mean(scores[a:b]))))
    return out

"""Small audio helpers shared by the renderers: reading at 44.1 kHz, trimming, fades, levels, and writing clips.

Every clip goes through `write_clip`, which quantises to 16 bit itself so the files are identical on every build.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from pedalboard.io import AudioFile

from .manifest import SAMPLE_RATE


def read_mono(path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode any file pedalboard can read, resampled to `sample_rate`, as mono float32 (mean of channels)."""
    with AudioFile(str(path)) as f:
        native_rate = f.samplerate
    if int(round(native_rate)) == sample_rate:
        data, _ = sf.read(str(path), dtype="float32", always_2d=True)
        return np.ascontiguousarray(data.mean(axis=1, dtype=np.float32))
    with AudioFile(str(path)).resampled_to(sample_rate) as f:
        data = f.read(f.frames)
    return np.ascontiguousarray(data.mean(axis=0, dtype=np.float32))


def db_to_amp(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def trim_silence(x: np.ndarray, threshold_db: float = -50.0, pad_s: float = 0.03, lead: bool = True) -> np.ndarray:
    """Cut leading (optional) and trailing samples quieter than `threshold_db` below the peak, keeping a short pad."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0.0:
        return x
    loud = np.flatnonzero(np.abs(x) >= peak * db_to_amp(threshold_db))
    pad = int(pad_s * SAMPLE_RATE)
    start = max(0, int(loud[0]) - pad) if lead else 0
    end = min(x.size, int(loud[-1]) + pad + 1)
    return x[start:end]


def fade(x: np.ndarray, fade_in_s: float = 0.0, fade_out_s: float = 0.01) -> np.ndarray:
    """Short linear fades so cut points never click."""
    y = x.astype(np.float32, copy=True)
    n_in = min(int(fade_in_s * SAMPLE_RATE), y.size)
    n_out = min(int(fade_out_s * SAMPLE_RATE), y.size)
    if n_in:
        y[:n_in] *= np.linspace(0.0, 1.0, n_in, endpoint=False, dtype=np.float32)
    if n_out:
        y[y.size - n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32)
    return y


def limit_peak(x: np.ndarray, ceiling: float = 0.98) -> np.ndarray:
    """Scale down (never up) so the peak is at most `ceiling`; keeps relative levels such as velocity intact."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > ceiling:
        x = x * np.float32(ceiling / peak)
    return x.astype(np.float32, copy=False)


def normalise_peak(x: np.ndarray, peak_db: float) -> np.ndarray:
    """Scale so the peak sits at `peak_db` dBFS (no-op on digital silence)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0.0:
        return x.astype(np.float32, copy=False)
    return (x * np.float32(db_to_amp(peak_db) / peak)).astype(np.float32)


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round-to-nearest 16-bit quantisation with clipping; done here rather than in libsndfile so it is explicit."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float64) * 32767.0), -32768, 32767).astype(np.int16)


def write_clip(root: Path, rel_path: str, x: np.ndarray) -> float:
    """Write mono 44.1 kHz FLAC PCM_16 at root/rel_path and return its duration in seconds (from the sample count)."""
    x = np.asarray(x)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{rel_path}: expected a non-empty mono signal, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{rel_path}: signal has NaN or inf")
    dest = root / rel_path
    dest.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dest), to_int16(x), SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return round(x.size / SAMPLE_RATE, 6)

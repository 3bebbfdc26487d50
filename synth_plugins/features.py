"""Log-mel and MFCC front ends in torch, so feature extraction runs wherever the model runs.

Defaults follow librosa's: Slaney mel scale and area-normalised filters, a centred STFT
zero-padded at the ends (librosa 0.10+), ``power_to_db`` with a 1e-10 floor and an
orthonormal DCT-II. Features can then be checked against librosa directly.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

_F_SP = 200.0 / 3  # Slaney: linear below 1 kHz, 200/3 Hz per mel
_MIN_LOG_HZ = 1000.0
_LOGSTEP = math.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_HZ / _F_SP + np.log(np.maximum(hz, 1e-10) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(hz >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _F_SP
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mel - _MIN_LOG_HZ / _F_SP))
    return np.where(mel >= _MIN_LOG_HZ / _F_SP, log, linear)


@lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` triangular filters, each normalised to unit area (Slaney)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=8)
def dct_matrix(n_mfcc: int, n_mels: int) -> np.ndarray:
    """Orthonormal DCT-II, ``(n_mfcc, n_mels)``."""
    k = np.arange(n_mfcc)[:, None]
    n = np.arange(n_mels)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_mels)) * math.sqrt(2.0 / n_mels)
    basis[0] /= math.sqrt(2.0)
    return basis.astype(np.float32)


class LogMel:
    """Callable front end: ``(batch, samples)`` tensor -> ``(batch, n_mels, frames)`` in dB.

    Built lazily so importing this module never imports torch.
    """

    def __init__(self, sample_rate: int = 16000, n_fft: int = 512, hop: int = 160, n_mels: int = 64,
                 fmin: float = 0.0, fmax: float | None = None, top_db: float | None = 80.0) -> None:
        self.sample_rate, self.n_fft, self.hop, self.n_mels = sample_rate, n_fft, hop, n_mels
        self.fmin, self.fmax, self.top_db = fmin, fmax, top_db
        self._cache: dict[str, Any] = {}

    def _buffers(self, device: Any) -> tuple[Any, Any]:
        import torch

        key = str(device)
        if key not in self._cache:
            window = torch.hann_window(self.n_fft, periodic=True, device=device)
            fb = torch.from_numpy(mel_filterbank(self.sample_rate, self.n_fft, self.n_mels, self.fmin, self.fmax))
            self._cache[key] = (window, fb.to(device))
        return self._cache[key]

    def power(self, audio: Any) -> Any:
        """Mel power spectrogram (librosa ``melspectrogram`` with ``power=2``)."""
        import torch

        window, fb = self._buffers(audio.device)
        spec = torch.stft(audio, self.n_fft, self.hop, window=window, center=True, pad_mode="constant",
                          return_complex=True)
        return torch.matmul(fb, spec.real**2 + spec.imag**2)

    def __call__(self, audio: Any) -> Any:
        import torch

        db = 10.0 * torch.log10(torch.clamp(self.power(audio), min=1e-10))
        if self.top_db is not None:
            peak = db.amax(dim=(-2, -1), keepdim=True)
            db = torch.maximum(db, peak - self.top_db)
        return db


class MFCC:
    """``(batch, samples)`` -> ``(batch, n_mfcc, frames)``: DCT-II of the log-mel (librosa's ``mfcc``)."""

    def __init__(self, n_mfcc: int = 20, **logmel: Any) -> None:
        self.logmel = LogMel(**logmel)
        self.n_mfcc = n_mfcc

    def __call__(self, audio: Any) -> Any:
        import torch

        dct = torch.from_numpy(dct_matrix(self.n_mfcc, self.logmel.n_mels)).to(audio.device)
        return torch.matmul(dct, self.logmel(audio))

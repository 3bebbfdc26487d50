"""Evaluation metrics shared by every model's eval report."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    return float(np.mean(truth == predicted)) if truth.size else float("nan")


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], n: int) -> list[list[int]]:
    """Rows are the truth, columns the prediction."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return m.tolist()


def f1_binary(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    t, p = np.asarray(truth, dtype=bool), np.asarray(predicted, dtype=bool)
    tp, fp, fn = int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(t & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def macro_f1(truth: Sequence[int], predicted: Sequence[int], n: int) -> float:
    t, p = np.asarray(truth), np.asarray(predicted)
    scores = [f1_binary(t == k, p == k)["f1"] for k in range(n) if np.any(t == k)]
    return float(np.mean(scores)) if scores else float("nan")


def si_snr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant SNR in dB (both signals mean-removed)."""
    r = np.asarray(reference, dtype=np.float64).ravel()
    e = np.asarray(estimate, dtype=np.float64).ravel()
    r, e = r - r.mean(), e - e.mean()
    target = (e @ r) / max(r @ r, 1e-12) * r
    noise = e - target
    return float(10 * np.log10(max(target @ target, 1e-12) / max(noise @ noise, 1e-12)))


def esr(target: np.ndarray, prediction: np.ndarray) -> float:
    """Error-to-signal ratio, mean((y - y_hat)^2) / mean(y^2), as Neural Amp Modeler reports it."""
    y = np.asarray(target, dtype=np.float64)
    return float(np.mean((y - np.asarray(prediction, dtype=np.float64)) ** 2) / max(np.mean(y**2), 1e-12))


def multi_resolution_stft_distance(reference: np.ndarray, estimate: np.ndarray,
                                   ffts: Sequence[int] = (512, 1024, 2048)) -> float:
    """Mean over resolutions of spectral convergence plus log-magnitude L1 (lower is closer)."""
    import torch

    r = torch.as_tensor(np.asarray(reference, dtype=np.float32)).reshape(-1)
    e = torch.as_tensor(np.asarray(estimate, dtype=np.float32)).reshape(-1)
    total = 0.0
    for n in ffts:
        window = torch.hann_window(n)
        mr = torch.stft(r, n, n // 4, window=window, return_complex=True).abs()
        me = torch.stft(e, n, n // 4, window=window, return_complex=True).abs()
        convergence = torch.linalg.norm(mr - me) / torch.clamp(torch.linalg.norm(mr), min=1e-8)
        log_l1 = torch.mean(torch.abs(torch.log(mr + 1e-7) - torch.log(me + 1e-7)))
        total += float(convergence + log_l1)
    return total / len(ffts)


def pesq_wb(reference: np.ndarray, degraded: np.ndarray, sample_rate: int = 16000) -> float:
    """Wideband PESQ (needs the ``pesq`` package; audio at 16 kHz)."""
    from pesq import pesq

    return float(pesq(sample_rate, np.asarray(reference, dtype=np.float64), np.asarray(degraded, dtype=np.float64), "wb"))


def stoi(reference: np.ndarray, degraded: np.ndarray, sample_rate: int = 16000) -> float:
    """STOI (needs the ``pystoi`` package)."""
    from pystoi import stoi as _stoi

    return float(_stoi(np.asarray(reference, dtype=np.float64), np.asarray(degraded, dtype=np.float64), sample_rate))


def summary(values: Sequence[float]) -> dict[str, Any]:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "median": float(np.median(v)), "min": float(v.min()), "max": float(v.max()),
            "n": int(v.size)}

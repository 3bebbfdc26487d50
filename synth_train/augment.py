"""Random effect chains for data augmentation, used both when the corpus is built and online by trainers.

A chain is first drawn as a plain JSON-able spec (so the corpus manifest can record exactly what was applied
and a trainer can replay it), then turned into a `pedalboard.Pedalboard`.
"""

from __future__ import annotations

import numpy as np
import pedalboard

# Sample rates LAME (behind pedalboard.MP3Compressor) accepts.
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
MP3_VBR_QUALITIES = (2.0, 4.0, 6.0, 8.0, 9.0)
RESAMPLE_RATES = (8000, 11025, 16000, 22050, 32000)

# Probability that each stage appears in a random chain (applied in this order).
STAGE_PROBABILITY = {
    "eq": 0.4,
    "compressor": 0.3,
    "distortion": 0.15,
    "reverb": 0.35,
    "resample": 0.2,
    "mp3": 0.25,
    "gain": 0.4,
}


def _r(x: float, digits: int = 3) -> float:
    """Round drawn values so the recorded spec is short and replays exactly."""
    return round(float(x), digits)


def _eq_stage(rng: np.random.Generator, sample_rate: int) -> dict:
    nyquist_cap = 0.45 * sample_rate
    kind = ("highpass", "lowpass", "peak", "lowshelf", "highshelf")[int(rng.integers(5))]
    if kind == "highpass":
        return {"type": "highpass", "cutoff_hz": _r(rng.uniform(40, 400), 1)}
    if kind == "lowpass":
        return {"type": "lowpass", "cutoff_hz": _r(min(rng.uniform(1500, 12000), nyquist_cap), 1)}
    gain = rng.uniform(3, 12) * (1 if rng.random() < 0.5 else -1)
    if kind == "peak":
        return {"type": "peak", "cutoff_hz": _r(min(rng.uniform(150, 6000), nyquist_cap), 1),
                "gain_db": _r(gain, 2), "q": _r(rng.uniform(0.5, 3.0), 2)}
    if kind == "lowshelf":
        return {"type": "lowshelf", "cutoff_hz": _r(rng.uniform(80, 400), 1), "gain_db": _r(gain, 2), "q": 0.707}
    return {"type": "highshelf", "cutoff_hz": _r(min(rng.uniform(2500, 9000), nyquist_cap), 1),
            "gain_db": _r(gain, 2), "q": 0.707}


def random_chain_spec(rng: np.random.Generator, sample_rate: int) -> list[dict]:
    """Draw which stages to apply and their settings, each stage with its own probability."""
    spec: list[dict] = []
    if rng.random() < STAGE_PROBABILITY["eq"]:
        spec.append(_eq_stage(rng, sample_rate))
    if rng.random() < STAGE_PROBABILITY["compressor"]:
        spec.append({"type": "compressor", "threshold_db": _r(rng.uniform(-35, -8), 2),
                     "ratio": _r(rng.uniform(2, 12), 2), "attack_ms": _r(rng.uniform(1, 30), 2),
                     "release_ms": _r(rng.uniform(40, 300), 1)})
    if rng.random() < STAGE_PROBABILITY["distortion"]:
        spec.append({"type": "distortion", "drive_db": _r(rng.uniform(4, 28), 2)})
    if rng.random() < STAGE_PROBABILITY["reverb"]:
        spec.append({"type": "reverb", "room_size": _r(rng.uniform(0.1, 0.95)), "damping": _r(rng.uniform(0.1, 0.9)),
                     "wet_level": _r(rng.uniform(0.05, 0.45)), "dry_level": _r(rng.uniform(0.55, 1.0)),
                     "width": _r(rng.uniform(0.3, 1.0))})
    lower_rates = [r for r in RESAMPLE_RATES if r < sample_rate]
    if rng.random() < STAGE_PROBABILITY["resample"] and lower_rates:
        spec.append({"type": "resample", "target_sample_rate": int(lower_rates[int(rng.integers(len(lower_rates)))])})
    if rng.random() < STAGE_PROBABILITY["mp3"] and sample_rate in MP3_SAMPLE_RATES:
        spec.append({"type": "mp3", "vbr_quality": float(MP3_VBR_QUALITIES[int(rng.integers(len(MP3_VBR_QUALITIES)))])})
    if rng.random() < STAGE_PROBABILITY["gain"]:
        spec.append({"type": "gain", "gain_db": _r(rng.uniform(-12, 6), 2)})
    return spec


def plugin_from_stage(stage: dict) -> pedalboard.Plugin:
    """One spec stage as a pedalboard plugin."""
    kind = stage["type"]
    if kind == "highpass":
        return pedalboard.HighpassFilter(cutoff_frequency_hz=stage["cutoff_hz"])
    if kind == "lowpass":
        return pedalboard.LowpassFilter(cutoff_frequency_hz=stage["cutoff_hz"])
    if kind == "peak":
        return pedalboard.PeakFilter(cutoff_frequency_hz=stage["cutoff_hz"], gain_db=stage["gain_db"], q=stage["q"])
    if kind == "lowshelf":
        return pedalboard.LowShelfFilter(cutoff_frequency_hz=stage["cutoff_hz"], gain_db=stage["gain_db"], q=stage["q"])
    if kind == "highshelf":
        return pedalboard.HighShelfFilter(cutoff_frequency_hz=stage["cutoff_hz"], gain_db=stage["gain_db"],
                                          q=stage["q"])
    if kind == "compressor":
        return pedalboard.Compressor(threshold_db=stage["threshold_db"], ratio=stage["ratio"],
                                     attack_ms=stage["attack_ms"], release_ms=stage["release_ms"])
    if kind == "distortion":
        return pedalboard.Distortion(drive_db=stage["drive_db"])
    if kind == "reverb":
        return pedalboard.Reverb(room_size=stage["room_size"], damping=stage["damping"], wet_level=stage["wet_level"],
                                 dry_level=stage["dry_level"], width=stage["width"])
    if kind == "resample":
        return pedalboard.Resample(target_sample_rate=float(stage["target_sample_rate"]))
    if kind == "mp3":
        return pedalboard.MP3Compressor(vbr_quality=stage["vbr_quality"])
    if kind == "gain":
        return pedalboard.Gain(gain_db=stage["gain_db"])
    raise ValueError(f"unknown augmentation stage {kind!r}")


def chain_from_spec(spec: list[dict]) -> pedalboard.Pedalboard:
    """Replay a recorded spec (e.g. from a manifest's params) as a Pedalboard."""
    return pedalboard.Pedalboard([plugin_from_stage(stage) for stage in spec])


def random_chain(rng: np.random.Generator, sample_rate: int) -> pedalboard.Pedalboard:
    """A random reverb/EQ/compressor/distortion/MP3/resample/gain chain, each stage with its own probability."""
    return chain_from_spec(random_chain_spec(rng, sample_rate))


def apply_chain(audio: np.ndarray, sample_rate: int, spec: list[dict]) -> np.ndarray:
    """Run a spec over float32 (channels, n) audio; same shape out, finite, peak-limited to <= 1."""
    x = np.ascontiguousarray(audio, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected (channels, n) audio, got shape {x.shape}")
    y = chain_from_spec(spec)(x, float(sample_rate), reset=True)
    y = np.asarray(y, dtype=np.float32)
    if y.shape != x.shape:  # latency compensation keeps the length; guard anyway so callers can rely on it
        fitted = np.zeros_like(x)
        n = min(x.shape[1], y.shape[1])
        fitted[:, :n] = y[:, :n]
        y = fitted
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 1.0:
        y = y / np.float32(peak)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def augment_with_spec(audio: np.ndarray, sample_rate: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """`augment`, also returning the spec that was applied (the corpus builder records it)."""
    spec = random_chain_spec(rng, sample_rate)
    if not any(stage["type"] != "gain" for stage in spec):
        # A gain-only (or empty) chain can be undone by peak limiting; always colour the sound somehow.
        spec.insert(0, _eq_stage(rng, sample_rate))
    return apply_chain(audio, sample_rate, spec), spec


def augment(audio: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Apply a random chain: float32 (channels, n) in, same shape out, peak-limited to <= 1."""
    return augment_with_spec(audio, sample_rate, rng)[0]


def mix_at_snr(signal: np.ndarray, background: np.ndarray, snr_db: float) -> np.ndarray:
    """signal + background scaled so 10*log10(P_signal / P_background) == snr_db.

    The background is looped or cut along the last axis to the signal's length; a mono background is
    broadcast over the signal's channels. No limiting is done, so the SNR is exact; scale the result afterwards.
    """
    sig = np.asarray(signal, dtype=np.float32)
    bg = np.asarray(background, dtype=np.float32)
    n = sig.shape[-1]
    if bg.shape[-1] == 0:
        raise ValueError("background is empty")
    reps = -(-n // bg.shape[-1])
    bg = np.concatenate([bg] * reps, axis=-1)[..., :n] if reps > 1 else bg[..., :n]
    bg = np.broadcast_to(bg, sig.shape) if bg.ndim < sig.ndim or bg.shape[0] == 1 else bg
    p_sig = float(np.mean(np.square(sig, dtype=np.float64)))
    p_bg = float(np.mean(np.square(bg, dtype=np.float64)))
    if p_bg <= 0.0:
        raise ValueError("background is digital silence; no SNR can be set")
    scale = np.sqrt(p_sig / (p_bg * 10.0 ** (snr_db / 10.0)))
    return (sig.astype(np.float64) + bg.astype(np.float64) * scale).astype(np.float32)


def mild_augment(audio: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Label-preserving edits real recordings show: EQ, room, codec, band limit, light drive.

    Gentler than :func:`augment` and never changes level much: the classifier trainers use it online,
    where :func:`augment` builds the corpus's recorded variants.
    """
    pb = pedalboard
    steps: list[pedalboard.Plugin] = [pb.LowShelfFilter(cutoff_frequency_hz=float(rng.uniform(80, 400)), gain_db=float(rng.uniform(-8, 8))),
                        pb.HighShelfFilter(cutoff_frequency_hz=float(rng.uniform(2000, 8000)), gain_db=float(rng.uniform(-10, 6)))]
    if rng.random() < 0.3:
        steps.append(pb.Reverb(room_size=float(rng.uniform(0.1, 0.7)), wet_level=float(rng.uniform(0.05, 0.25)),
                               dry_level=1.0))
    if rng.random() < 0.3 and sample_rate in (8000, 16000, 22050, 24000, 32000, 44100, 48000):
        steps.append(pb.MP3Compressor(vbr_quality=float(rng.uniform(2, 9))))
    if rng.random() < 0.2:
        steps.append(pb.Resample(target_sample_rate=float(rng.uniform(6000, sample_rate / 1.5))))
    if rng.random() < 0.1:
        steps.append(pb.Distortion(drive_db=float(rng.uniform(3, 15))))
    out = pb.Pedalboard(steps)(audio[None].astype(np.float32), sample_rate)[0]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    return (out / peak * 0.99 if peak > 0.99 else out).astype(np.float32)


def timbre_augment(audio: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Shift what makes one sample bank differ from another: resonances, brightness and formant position.

    Two to four random peak filters and a playback-rate change of up to ±6% (linear interpolation; the
    length is kept by cropping or zero padding) stand in for the soundfonts and recordings a family
    classifier has never heard.
    """
    x = audio.astype(np.float32)
    rate = float(rng.uniform(0.94, 1.06))
    if abs(rate - 1.0) > 0.005 and x.size > 1:
        positions = np.arange(0.0, x.size - 1, rate)
        shifted = np.interp(positions, np.arange(x.size), x).astype(np.float32)
        x = np.zeros_like(x)
        x[: min(x.size, shifted.size)] = shifted[: x.size]
    peaks = [pedalboard.PeakFilter(cutoff_frequency_hz=float(np.exp(rng.uniform(np.log(150), np.log(sample_rate / 3)))),
                                   gain_db=float(rng.uniform(-9, 9)), q=float(rng.uniform(0.7, 4.0)))
             for _ in range(int(rng.integers(2, 5)))]
    out = pedalboard.Pedalboard(peaks)(x[None], sample_rate)[0]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    return (out / peak * 0.99 if peak > 0.99 else out).astype(np.float32)


def spec_augment(logmel: "torch.Tensor", max_bands: int = 12, max_frames: int = 20, masks: int = 2) -> "torch.Tensor":
    """SpecAugment's frequency and time masks on ``(batch, mels, frames)`` log-mel, filled with each example's floor.

    Masking forces a classifier to use the whole spectral envelope instead of one band a bank happens to favour.
    """
    import torch

    out = logmel.clone()
    batch, n_mels, frames = out.shape
    floor = out.amin(dim=(1, 2))
    for _ in range(masks):
        for size, length, axis in ((max_bands, n_mels, 1), (max_frames, frames, 2)):
            width = torch.randint(0, size + 1, (batch,))
            start = (torch.rand(batch) * (length - width).clamp(min=1)).long()
            index = torch.arange(length)[None, :]
            mask = (index >= start[:, None]) & (index < (start + width)[:, None])
            mask = mask[:, :, None] if axis == 1 else mask[:, None, :]
            out = torch.where(mask.to(out.device), floor[:, None, None], out)
    return out

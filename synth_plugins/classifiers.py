"""The bundled neural classifiers: content (speech/music/noise/silence timeline) and instrument family."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugin_specs import ClassificationResult, Parameter, PluginInfo, Segment, hookimpl

from .gm_names import DRUM_CLASSES
from .neural_classifier import NeuralClassifier, runs

CONTENT_LABELS = ("speech", "music", "noise", "silence")
MIN_FRAMES = 16
INSTRUMENT_LABELS = ("keys", "organ", "guitar", "bass", "strings", "brass", "reed", "pipe", "synth", "drums", "voice")


class ContentClassifier(NeuralClassifier):
    """Frame-level multi-label tagger: speech over music is both speech and music."""

    model_name = "content-classifier"
    info = PluginInfo(
        id="content-classifier", name="Content classifier", version="1.0.0", authors=("synth-host developers",),
        description="Speech, music, noise and silence per 10 ms frame, with a segment timeline.",
        tags=("classifier", "vad", "speech", "music"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/content-classifier.safetensors"},
    )
    labels = CONTENT_LABELS
    parameters = (
        Parameter("threshold", "float", 0.5, 0.05, 0.95, description="Frame probability above which a label is on"),
        Parameter("min_segment_s", "float", 0.2, 0.0, 10.0, unit="s", description="Shorter segments are dropped"),
        Parameter("smoothing_s", "float", 0.15, 0.0, 2.0, unit="s", description="Median filter over frame decisions"),
    )
    window_s = 60.0  # long inputs run in windows, so memory stays bounded

    def build_model(self, config: dict[str, Any]) -> Any:
        from .models.classifier_nets import FrameTagger

        return FrameTagger(config["n_mels"], config["channels"], len(self.labels), tuple(config["dilations"]))

    def frame_probabilities(self, audio: np.ndarray) -> np.ndarray:
        """``(labels, frames)`` probabilities at the model's hop."""
        import torch

        cfg = self.card["config"]
        x = self.model_input(audio)
        hop, rate = cfg["hop"], cfg["sample_rate"]
        frames = len(x) // hop + 1
        window = int(self.window_s * rate) // hop * hop
        context = (self.model.receptive_frames + 2) * hop
        out = np.zeros((len(self.labels), frames), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, max(len(x), 1), window):
                lo = max(0, start - context)
                chunk = torch.from_numpy(np.ascontiguousarray(x[lo : start + window + context])).to(self.device)
                if len(chunk) < cfg["n_fft"]:
                    chunk = torch.nn.functional.pad(chunk, (0, cfg["n_fft"] - len(chunk)))
                probs = torch.sigmoid(self.model(self.front(chunk[None])))[0].cpu().numpy()
                skip = (start - lo) // hop
                take = min(window // hop, frames - start // hop)
                out[:, start // hop : start // hop + take] = probs[:, skip : skip + take]
        return out

    def classify(self, audio: Any) -> ClassificationResult:
        cfg = self.card["config"]
        probs = self.frame_probabilities(np.asarray(audio))
        n = np.asarray(audio).shape[-1]
        duration = n / self.sample_rate
        step = cfg["hop"] / cfg["sample_rate"]
        frames = min(probs.shape[1], max(1, int(np.ceil(duration / step))))
        probs = probs[:, :frames]
        scores = {label: float(np.clip(probs[i].mean(), 0.0, 1.0)) for i, label in enumerate(self.labels)}
        width = max(1, int(round(self.params["smoothing_s"] / step)) | 1)
        segments: list[Segment] = []
        for i, label in enumerate(self.labels):
            active = _median_filter(probs[i] >= self.params["threshold"], width)
            segments += self.segments_from(active, probs[i], label, step, duration, self.params["min_segment_s"])
        segments.sort(key=lambda s: (s.start, s.label))
        return ClassificationResult(scores, segments)


class InstrumentClassifier(NeuralClassifier):
    """Instrument family of a note, phrase or stem; long inputs get a per-window timeline."""

    model_name = "instrument-classifier"
    info = PluginInfo(
        id="instrument-classifier", name="Instrument classifier", version="1.0.0", authors=("synth-host developers",),
        description="Instrument family (keys, organ, guitar, bass, strings, brass, reed, pipe, synth, drums, voice).",
        tags=("classifier", "instrument"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/instrument-classifier.safetensors"},
    )
    labels = INSTRUMENT_LABELS
    parameters = (
        Parameter("window_s", "float", 2.0, 0.5, 10.0, unit="s",
                  description="Analysis window; 2 s is the crop the model was trained on"),
        Parameter("placements", "int", 9, 1, 16,
                  description="A shorter input is scored at this many positions in the window, then averaged"),
        Parameter("silence_db", "float", -60.0, -120.0, -20.0, unit="dBFS", description="Quieter windows do not vote"),
    )

    def build_model(self, config: dict[str, Any]) -> Any:
        from .models.classifier_nets import ClipClassifier

        return ClipClassifier(config["n_mels"], len(self.labels), tuple(config["widths"]))

    def window_probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Softmax per window of model-rate mono ``x``, each window's RMS weight, and the hop in seconds."""
        import torch

        cfg = self.card["config"]
        rate = cfg["sample_rate"]
        size = max(int(self.params["window_s"] * rate), cfg["n_fft"] + MIN_FRAMES * cfg["hop"])
        hop = size // 2
        starts = list(range(0, max(1, len(x) - size + hop), hop)) or [0]
        probs, rms = [], []
        with torch.inference_mode():
            for s in starts:
                piece = x[s : s + size]
                rms.append(np.sqrt(np.mean(piece.astype(np.float64) ** 2)) if len(piece) else 0.0)
                batch = torch.from_numpy(placed(piece, size, int(self.params["placements"]))).to(self.device)
                probs.append(torch.softmax(self.model(self.front(batch)), dim=-1).mean(dim=0).cpu().numpy())
        floor = 10 ** (self.params["silence_db"] / 20)
        weight = np.where(np.array(rms) > floor, rms, 0.0)
        return np.array(probs), weight, hop / rate

    def clip_probabilities(self, x: np.ndarray, probs: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Clip-level probabilities: the windows' mean, weighted by loudness (silent windows do not vote)."""
        if weight.sum() > 0:
            return (probs * weight[:, None]).sum(axis=0) / weight.sum()
        return np.zeros(len(self.labels))

    def classify(self, audio: Any) -> ClassificationResult:
        audio = np.asarray(audio, dtype=np.float32)
        duration = audio.shape[-1] / self.sample_rate
        x = self.model_input(audio)
        probs, weight, step = self.window_probabilities(x)
        mean = self.clip_probabilities(x, probs, weight)
        scores = {label: float(np.clip(mean[i], 0.0, 1.0)) for i, label in enumerate(self.labels)}
        top = np.where(weight > 0, probs.argmax(axis=1), -1)
        segments = []
        for k in range(len(self.labels)):
            for a, b in runs(top == k):
                start, end = a * step, min((b + 1) * step, duration) if b < len(top) else duration
                end = min(duration, end)
                if end > start:
                    segments.append(Segment(round(start, 4), round(end, 4), self.labels[k],
                                            float(np.clip(probs[a:b, k].mean(), 0, 1))))
        segments.sort(key=lambda s: s.start)
        return ClassificationResult(scores, segments)


class DrumClassifier(InstrumentClassifier):
    """Which drum a one-shot is: the judge of drum-gan, and a sorter for sample folders."""

    model_name = "drum-classifier"
    info = PluginInfo(
        id="drum-classifier", name="Drum classifier", version="1.0.0", authors=("synth-host developers",),
        description="Drum class of a one-shot (kick, snare, closed_hat, open_hat, tom, clap, cymbal, rim).",
        tags=("classifier", "drums"), license="GPL-3.0-or-later",
        extra={"weights": "synth_plugins/weights/drum-classifier.safetensors"},
    )
    labels = DRUM_CLASSES
    parameters = (
        Parameter("window_s", "float", 1.0, 0.5, 10.0, unit="s",
                  description="Analysis window; 1 s is the crop the model was trained on"),
        Parameter("placements", "int", 1, 1, 16,
                  description="A one-shot starts at its onset, as in training: scored once at the window's start"),
        *InstrumentClassifier.parameters[2:],
    )

    def clip_probabilities(self, x: np.ndarray, probs: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """The window that starts at the hit's onset decides; the timeline stays as for instruments.

        A one-shot's identity is in its attack; windows over the decay alone (a kick's tail, a cymbal's
        wash) would outvote it by loudness-weighted averaging.
        """
        import torch

        peak = float(np.abs(x).max(initial=0.0))
        if peak < 10 ** (self.params["silence_db"] / 20):
            return super().clip_probabilities(x, probs, weight)
        cfg = self.card["config"]
        size = int(self.params["window_s"] * cfg["sample_rate"])
        first = int(np.argmax(np.abs(x) > peak * 10 ** (-40 / 20)))  # within 40 dB of the peak
        onset = max(0, first - int(0.005 * cfg["sample_rate"]))
        with torch.inference_mode():
            batch = torch.from_numpy(placed(x[onset : onset + size], size, 1)).to(self.device)
            return torch.softmax(self.model(self.front(batch)), dim=-1)[0].cpu().numpy()


def placed(piece: np.ndarray, size: int, count: int) -> np.ndarray:
    """``(count, size)``: a short piece zero-padded at evenly spread positions, as training crops are.

    A note's onset at the very edge of the window reads differently from one inside it, so
    averaging over positions removes a bias that no single position avoids. A full-length
    piece is returned once.
    """
    if len(piece) >= size:
        return np.ascontiguousarray(piece[None, :size], dtype=np.float32)
    slack = size - len(piece)
    offsets = sorted({int(round(f * slack)) for f in np.linspace(0.0, 1.0, max(1, count))})
    out = np.zeros((len(offsets), size), dtype=np.float32)
    for row, offset in zip(out, offsets):
        row[offset : offset + len(piece)] = piece
    return out


def _median_filter(active: np.ndarray, width: int) -> np.ndarray:
    """Majority vote over ``width`` frames: removes flicker shorter than half the window."""
    if width <= 1 or len(active) == 0:
        return active
    pad = width // 2
    padded = np.pad(active.astype(np.int32), (pad, pad), mode="edge")
    sums = np.convolve(padded, np.ones(width, dtype=np.int32), mode="valid")
    return sums > width // 2


@hookimpl
def register_classifiers(register):
    register(ContentClassifier)
    register(InstrumentClassifier)
    register(DrumClassifier)

"""``synth-host eval MODEL``: held-out test metrics for the shipped weights, peers beside them."""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import numpy as np

from synth_plugins.weights import weights_path

from .registry import MODELS


def _plugin(model: str, device: str, rate: int = 16000) -> Any:
    from host.registry import PluginHost

    plugin = PluginHost().create(model)
    plugin.prepare(rate, 1, 8192, device)
    return plugin


def evaluate(model: str, corpus: Path, device: str = "cpu") -> dict[str, Any]:
    import torch

    torch.manual_seed(0)
    task = MODELS[model][0](corpus)
    plugin = _plugin(model, device)
    report: dict[str, Any] = {"model": model, "date": datetime.date.today().isoformat(), "device": device,
                              "weights_bytes": weights_path(model).stat().st_size,
                              "parameters": int(sum(p.numel() for p in plugin.model.parameters()))}
    if model == "content-classifier":
        report.update(_content(task, plugin, device))
    elif model == "neural-denoise":
        from .denoise_eval import evaluate_denoise

        report.update(evaluate_denoise(corpus, device))
    elif model == "neural-watermark":
        report.update(_watermark(corpus, device))
    elif model in ("neural-instrument", "timbre-vae"):
        from .generator_eval import evaluate_note_generator

        report.update(evaluate_note_generator(model, corpus, device))
    elif model == "drum-gan":
        from .generator_eval import evaluate_drum_gan

        report.update(evaluate_drum_gan(corpus, device))
    else:
        report.update(_instrument(task, plugin, device))
    return report


def _content(task: Any, plugin: Any, device: str) -> dict[str, Any]:
    clean = task.scenes("test", 160, seed=99)
    edited = task.scenes("test", 80, seed=98, augment=True)
    ours_clean = task.evaluate(plugin.model, device, clean)
    ours_edited = task.evaluate(plugin.model, device, edited)
    out: dict[str, Any] = {"test_clean": ours_clean, "test_augmented": ours_edited,
                           "scenes": {"clean": len(clean), "augmented": len(edited), "seconds_each": 6.0}}
    speed = x_realtime(lambda x: plugin.classify(x[None]), 16000)
    out["speed_x_realtime_1_thread"] = speed
    peer = _silero(task, clean + edited)
    if peer:
        ours_f1 = _speech_f1(task, plugin, device, clean + edited)
        out["vs_silero"] = {"scenes": len(clean) + len(edited), "content_classifier_speech_f1": ours_f1,
                            **peer, "speed_ratio": speed / peer["silero_x_realtime_1_thread"]}
    out["headline"] = {
        "4-class frame accuracy, clean / augmented test scenes":
            f"{ours_clean['primary_frame_accuracy']:.4f} / {ours_edited['primary_frame_accuracy']:.4f}",
        "all-4-labels-exact frame accuracy, clean / augmented":
            f"{ours_clean['frame_accuracy']:.4f} / {ours_edited['frame_accuracy']:.4f}",
        "speed, 1 CPU thread": f"{speed:.0f}x real time",
    }
    if peer:
        out["headline"]["speech F1 vs silero-vad"] = (f"{out['vs_silero']['content_classifier_speech_f1']:.4f} vs "
                                                     f"{peer['silero_speech_f1']:.4f}")
    return out


def _speech_truth(scenes: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    audio = np.stack([s[0] for s in scenes])
    truth = np.stack([s[1][0] for s in scenes]) > 0.5  # the speech row
    return audio, truth


def _speech_f1(task: Any, plugin: Any, device: str, scenes: list[Any]) -> float:
    from .metrics import f1_binary

    audio, truth = _speech_truth(scenes)
    probs = np.concatenate([task.predict(plugin.model, audio[i : i + 16], device)[:, 0] for i in range(0, len(audio), 16)])
    return f1_binary(truth[:, : probs.shape[1]].ravel(), (probs >= 0.5).ravel())["f1"]


def _silero(task: Any, scenes: list[Any]) -> dict[str, Any] | None:
    """Silero's speech decisions mapped onto our 10 ms frames, on the very same scenes."""
    try:
        from synth_plugins.silero import CHUNK, SileroVAD
    except ImportError:
        return None
    import importlib.util

    if importlib.util.find_spec("silero_vad") is None:
        return None
    from .metrics import f1_binary

    vad = SileroVAD()
    vad.prepare(16000, 1, 8192, "cpu")
    audio, truth = _speech_truth(scenes)
    guesses = []
    hop = task.front.hop
    for x, t in zip(audio, truth):
        probs = vad.chunk_probabilities(x[None])
        frame_chunk = np.minimum((np.arange(t.shape[0]) * hop) // CHUNK, len(probs) - 1)
        guesses.append(probs[frame_chunk] >= 0.5)
    speed = x_realtime(lambda x: vad.classify(x[None]), 16000)
    return {"silero_speech_f1": f1_binary(truth.ravel(), np.stack(guesses).ravel())["f1"],
            "silero_x_realtime_1_thread": speed}


def x_realtime(run: Any, rate: int, seconds: float = 60.0) -> float:
    """Times real time on one thread, front end included, best of three."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng = np.random.default_rng(0)
        x = (0.1 * rng.standard_normal(int(seconds * rate))).astype(np.float32)
        run(x[: rate])
        best = min(_timed(run, x) for _ in range(3))
    finally:
        torch.set_num_threads(threads)
    return seconds / best


def _timed(run: Any, x: np.ndarray) -> float:
    start = time.perf_counter()
    run(x)
    return time.perf_counter() - start


def _instrument(task: Any, plugin: Any, device: str) -> dict[str, Any]:
    """Whole test clips through the plugin, as a user calls it; the bare net's fixed crop beside it."""
    from .tasks.instrument import family_metrics

    labels = task.labels
    plugin.prepare(task.front.sample_rate, 1, 8192, device)
    truth, guess = [], []
    for k, label in enumerate(labels):
        for index in task.by_split["test"][label]:
            scores = plugin.classify(task.bank.audio(index)[None]).scores
            guess.append(int(np.argmax([scores[name] for name in labels])))
            truth.append(k)
    result = {**family_metrics(np.asarray(truth), np.asarray(guess), labels), "inference": dict(plugin.params)}
    fixed_crop = task.evaluate(plugin.model, device, task.examples("test"))
    plugin.prepare(16000, 1, 8192, device)
    speed = x_realtime(lambda x: plugin.classify(x[None]), 16000)
    return {"test": result, "test_net_fixed_start_crop": fixed_crop, "speed_x_realtime_1_thread": speed,
            "headline": {"accuracy (held-out test clips)": round(result["accuracy"], 4),
                         "macro F1": round(result["macro_f1"], 4), "speed, 1 CPU thread": f"{speed:.0f}x real time"}}


def _watermark(corpus: Path, device: str) -> dict[str, Any]:
    """Neural watermark and spread-spectrum baseline through every edit on the same clips; ships the threshold."""
    import json

    from synth_plugins.weights import card_path

    from .watermark_eval import RATE, robustness, table_markdown

    plugins = {pid: _plugin(pid, device, RATE) for pid in ("neural-watermark", "spread-spectrum-watermark")}
    table = robustness(plugins, corpus)
    neural = table["plugins"]["neural-watermark"]
    card = json.loads(card_path("neural-watermark").read_text())
    card["threshold"] = {"value": neural["threshold_at_1pct_fpr"], "false_positive_rate": 0.01,
                         "calibrated_on": f"{table['unmarked_clips']} unmarked 10 s speech and music programmes "
                                          "(held-out val and test splits)"}
    card_path("neural-watermark").write_text(json.dumps(card, indent=2) + "\n")
    base = table["plugins"]["spread-spectrum-watermark"]
    return {"robustness": table, "table_markdown": table_markdown(table),
            "headline": {"mean TPR at 1% FPR (neural / baseline)": f"{neural['mean_tpr']:.3f} / {base['mean_tpr']:.3f}",
                         "bit accuracy under edits": f"{neural['mean_bit_accuracy_under_edits']:.3f} / "
                                                     f"{base['mean_bit_accuracy_under_edits']:.3f}",
                         "SI-SNR speech / music, dB": f"{neural['quality']['si_snr_speech']:.1f} / "
                                                      f"{neural['quality']['si_snr_music']:.1f}",
                         "splice IoU": f"{neural['edits']['splice 1 s into 10 s']['iou']:.2f}",
                         "embed / detect, 1 thread": f"{neural['embed_x_realtime_1_thread']:.0f}x / "
                                                    f"{neural['detect_x_realtime_1_thread']:.0f}x real time"}}

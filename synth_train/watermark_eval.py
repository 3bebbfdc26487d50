"""The robustness table: every edit, every watermarker, the same held-out clips.

Marked clips are 10 s programmes cut from the corpus's held-out splits (speech or music). For each edit the
table gives TPR at the score threshold that passes 1% of >= 2,000 unmarked programmes, the message's bit
accuracy, and for splicing the frame IoU of the located segment. Quality is SI-SNR, PESQ on speech and
multi-resolution STFT distance of marked against original audio.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .clips import ClipBank
from .edits import EDITS, apply, splice
from .metrics import multi_resolution_stft_distance, si_snr

RATE = 22050
SECONDS = 10.0
MESSAGE_SEED = 77


def programmes(bank: ClipBank, kind: str, count: int, rng: np.random.Generator, splits: tuple[str, ...]) -> list[np.ndarray]:
    """``count`` 10 s mono programmes of one content kind, joined from random held-out clips at random levels."""
    pool = [i for s in splits for i in bank.where(split=s, content=[kind])]
    n = int(SECONDS * RATE)
    out = []
    for _ in range(count):
        parts, have = [], 0
        while have < n:
            clip = bank.audio(int(rng.choice(pool)))
            parts.append(clip[: n - have])
            have += len(parts[-1])
        x = np.concatenate(parts)
        rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) or 1.0
        out.append((x * np.float32(10 ** (float(rng.uniform(-30, -14)) / 20) / rms))[None].astype(np.float32))
    return out


def bit_accuracy(message: str | None, truth: str) -> float:
    if message is None:
        return 0.5
    a, b = int(message, 16), int(truth, 16)
    return 1.0 - bin(a ^ b).count("1") / 16.0


def frame_iou(segments: list[Any], truth: np.ndarray, rate: int, frame_s: float = 0.01) -> float:
    frames = int(len(truth) / rate / frame_s)
    found = np.zeros(frames, dtype=bool)
    for s in segments:
        found[int(s.start / frame_s): int(np.ceil(s.end / frame_s))] = True
    want = truth[(np.arange(frames) * frame_s * rate).astype(int)]
    union = np.sum(found | want)
    return float(np.sum(found & want) / union) if union else 1.0


def speed(run: Callable[[np.ndarray], Any], seconds: float = 30.0) -> float:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x = (0.05 * np.random.default_rng(0).standard_normal((1, int(seconds * RATE)))).astype(np.float32)
        run(x[:, :RATE])
        best = min(_timed(run, x) for _ in range(3))
    finally:
        torch.set_num_threads(threads)
    return seconds / best


def _timed(run: Callable[[np.ndarray], Any], x: np.ndarray) -> float:
    start = time.perf_counter()
    run(x)
    return time.perf_counter() - start


def robustness(plugins: dict[str, Any], corpus: Path, marked_per_kind: int = 60, unmarked: int = 2000,
               seed: int = 0) -> dict[str, Any]:
    """The table for every plugin in ``plugins`` (id -> prepared Watermarker at ``RATE``), same clips for all."""
    from .metrics import pesq_wb
    from synth_plugins.resampling import resample

    bank = ClipBank(corpus, RATE)
    rng = np.random.default_rng(seed)
    marked_clips = {k: programmes(bank, k, marked_per_kind, rng, ("test",)) for k in ("speech", "music")}
    negatives = [x for k in ("speech", "music") for x in programmes(bank, k, unmarked // 2, rng, ("val", "test"))]
    messages = [format(int(v), "04x") for v in np.random.default_rng(MESSAGE_SEED).integers(0, 1 << 16, 2 * marked_per_kind)]
    report: dict[str, Any] = {"rate": RATE, "seconds": SECONDS, "marked_clips": 2 * marked_per_kind,
                              "unmarked_clips": len(negatives), "plugins": {}}
    for pid, wm in plugins.items():
        null = np.array([wm.analyse(x).score for x in negatives])
        threshold = float(np.quantile(null, 0.99))
        rows: dict[str, dict[str, float]] = {}
        quality: dict[str, list[float]] = {"si_snr_speech": [], "si_snr_music": [], "pesq_speech": [],
                                           "mr_stft_distance": []}
        marked_all = []
        for kind in ("speech", "music"):
            for x in marked_clips[kind]:
                msg = messages[len(marked_all)]
                y = wm.embed(x, msg)
                marked_all.append((x, y, msg))
                quality[f"si_snr_{kind}"].append(si_snr(x[0], y[0]))
                quality["mr_stft_distance"].append(multi_resolution_stft_distance(x[0], y[0]))
                if kind == "speech":
                    quality["pesq_speech"].append(pesq_wb(resample(x, RATE, 16000)[0], resample(y, RATE, 16000)[0]))
        for name in EDITS:
            hits, bits = [], []
            for i, (_, y, msg) in enumerate(marked_all):
                found = wm.analyse(apply(name, y, RATE, np.random.default_rng(1000 + i)))
                hits.append(found.score > threshold)
                bits.append(bit_accuracy(found.message, msg))
            rows[name] = {"tpr": float(np.mean(hits)), "bit_accuracy": float(np.mean(bits))}
        ious, hits, bits = [], [], []
        for i, (x, y, msg) in enumerate(marked_all):
            host = negatives[i]
            base = np.concatenate([host, negatives[-1 - i]], axis=1)
            spliced, truth = splice(y, base, RATE, np.random.default_rng(2000 + i))
            found = wm.analyse(spliced)
            ious.append(frame_iou(found.segments, truth, RATE))
            hits.append(found.score > threshold)
            bits.append(bit_accuracy(found.message, msg))
        rows["splice 1 s into 10 s"] = {"tpr": float(np.mean(hits)), "bit_accuracy": float(np.mean(bits)),
                                        "iou": float(np.mean(ious))}
        edits_only = {k: v for k, v in rows.items() if k != "none"}
        report["plugins"][pid] = {
            "threshold_at_1pct_fpr": threshold,
            "fpr_at_threshold": float(np.mean(null > threshold)),
            "edits": rows,
            "mean_tpr": float(np.mean([v["tpr"] for v in rows.values()])),
            "mean_bit_accuracy_under_edits": float(np.mean([v["bit_accuracy"] for v in edits_only.values()])),
            "quality": {k: float(np.mean(v)) for k, v in quality.items() if v},
            "embed_x_realtime_1_thread": speed(lambda a: wm.embed(a, "a5a5")),
            "detect_x_realtime_1_thread": speed(wm.detect),
        }
    return report


def table_markdown(report: dict[str, Any]) -> str:
    """One markdown table: rows are edits, columns TPR / bits per plugin."""
    ids = list(report["plugins"])
    head = "| edit | " + " | ".join(f"{p} TPR | {p} bits" for p in ids) + " |"
    lines = [head, "|---" * (1 + 2 * len(ids)) + "|"]
    for edit in report["plugins"][ids[0]]["edits"]:
        cells = []
        for p in ids:
            row = report["plugins"][p]["edits"][edit]
            cells += [f"{row['tpr']:.3f}", f"{row['bit_accuracy']:.3f}" + (f" (IoU {row['iou']:.2f})" if "iou" in row else "")]
        lines.append(f"| {edit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """``python -m synth_train.watermark_eval --corpus DIR --plugin ID... --out FILE``: the table without weights."""
    import argparse
    import json

    from host.registry import PluginHost

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--corpus", type=Path, default=Path(".cache/corpus-full"))
    parser.add_argument("--plugin", dest="plugins", action="append", default=None)
    parser.add_argument("--marked-per-kind", type=int, default=60)
    parser.add_argument("--unmarked", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    host = PluginHost()
    plugins = {}
    for pid in args.plugins or ["spread-spectrum-watermark"]:
        plugins[pid] = host.create(pid)
        plugins[pid].prepare(RATE, 1, 8192, "cpu")
    report = robustness(plugins, args.corpus, args.marked_per_kind, args.unmarked)
    report["table_markdown"] = table_markdown(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(report["table_markdown"])


if __name__ == "__main__":
    main()

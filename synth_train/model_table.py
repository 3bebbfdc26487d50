"""Regenerates the README's model-quality table from the shipped eval reports and model cards.

``python -m synth_train.model_table --write README.md`` replaces the text between the
``<!-- model-quality:start -->`` and ``<!-- model-quality:end -->`` markers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synth_plugins.weights import WEIGHTS_DIR

START, END = "<!-- model-quality:start -->", "<!-- model-quality:end -->"
WM_START, WM_END = "<!-- watermark-table:start -->", "<!-- watermark-table:end -->"
DN_START, DN_END = "<!-- denoise-table:start -->", "<!-- denoise-table:end -->"
GEN_START, GEN_END = "<!-- generator-table:start -->", "<!-- generator-table:end -->"
DN_SYSTEMS = (("neural-denoise", "neural-denoise"), ("rnnoise", "RNNoise"), ("noisereduce", "noisereduce"))


def table() -> str:
    rows = ["| model | parameters | weights | trained | headline numbers (held-out test split) |",
            "|---|---|---|---|---|"]
    for report_path in sorted(WEIGHTS_DIR.glob("*.eval.json")):
        report = json.loads(report_path.read_text())
        name = report["model"]
        card = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
        training = card.get("training", {})
        trained = f"{training.get('steps')} steps, {training.get('wall_seconds', 0) / 60:.1f} min on {training.get('device')}"
        init = training.get("init")
        if init:  # a fine-tune: say what it started from (shipped weights carry no step)
            step = f"step {init['step']} of " if init.get("step") is not None else ""
            trained += f", fine-tuned from {step}{init.get('checkpoint')}"
        headline = "; ".join(f"{k}: {v}" for k, v in report.get("headline", {}).items())
        rows.append(f"| `{name}` | {card['parameters']:,} | {card['weights_bytes'] / 1e6:.2f} MB | {trained} | {headline} |")
    return "\n".join(rows)


def denoise_table(report: dict) -> str:
    """PESQ / STOI / SI-SNRi per input SNR for the denoiser and its peers, from its eval report."""
    head = "| input SNR | input PESQ / STOI | " + " | ".join(f"{label} PESQ / STOI / SI-SNRi" for _, label in DN_SYSTEMS)
    rows = [head + " |", "|---" * (2 + len(DN_SYSTEMS)) + "|"]
    for snr, t in sorted(report["by_snr"].items(), key=lambda kv: float(kv[0].split()[0])):
        cells = [f"{t[f'{key} pesq']:.2f} / {t[f'{key} stoi']:.3f} / {t[f'{key} si_snri']:+.1f} dB"
                 for key, _ in DN_SYSTEMS if f"{key} pesq" in t]
        rows.append(f"| {snr} | {t['input pesq']:.2f} / {t['input stoi']:.3f} | " + " | ".join(cells) + " |")
    speeds = ", ".join(f"{label} {report[f'{key}_x_realtime_1_thread']:.0f}x" for key, label in DN_SYSTEMS
                       if f"{key}_x_realtime_1_thread" in report)
    return "\n".join(rows) + f"\n\nSpeed on one CPU thread (times real time): {speeds}."


def generator_table() -> str:
    """The issue's generator numbers, goal beside measured, from the shipped eval reports."""
    rows = ["| model | pitch within 50 cents (goal 97%) | recognised (goal 85% / 90%) | MR-STFT model vs additive "
            "baseline (lower is better) | Frechet gen/real vs real/real (goal 2x) | speed (goal 100x RT / 200 per s) |",
            "|---|---|---|---|---|---|"]
    for name in ("neural-instrument", "timbre-vae"):
        path = WEIGHTS_DIR / f"{name}.eval.json"
        if path.exists():
            r = json.loads(path.read_text())
            rows.append(f"| `{name}` | {r['pitch_accuracy_50_cents']:.1%} | "
                        f"{r['recognised_by_instrument_classifier']:.1%} by instrument-classifier | "
                        f"{r['mr_stft_model']:.2f} vs {r['mr_stft_additive_baseline']:.2f} | "
                        f"{r['frechet_generated_vs_real']:.1f} / {r['frechet_real_vs_real']:.1f} = "
                        f"{r['frechet_ratio']:.2f}x | {r['speed_x_realtime_1_thread']:.0f}x real time, 1 thread |")
    path = WEIGHTS_DIR / "drum-gan.eval.json"
    if path.exists():
        r = json.loads(path.read_text())
        speed = r["one_shots_per_second_cpu_batch_256"]
        rows.append(f"| `drum-gan` | n/a | {r['recognised_by_drum_classifier']:.1%} by drum-classifier (which scores "
                    f"{r['drum_classifier_accuracy_on_real_test_hits']:.1%} on real test hits) | n/a | "
                    f"{r['frechet_generated_vs_real_test']:.1f} / {r['frechet_real_val_vs_real_test']:.1f} = "
                    f"{r['frechet_ratio']:.2f}x | {speed['1_threads']:.0f} one-shots/s (1 thread), "
                    f"{speed['2_threads']:.0f} (2 threads), batch 256 |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="README to update in place")
    args = parser.parse_args()
    text = table()
    if not args.write:
        print(text)
        return
    readme = replace_between(args.write, args.write.read_text(), START, END, text)
    report = WEIGHTS_DIR / "neural-watermark.eval.json"
    if not report.exists():  # until the neural weights ship, the baseline's own robustness run
        report = Path(__file__).resolve().parent.parent / "bench" / "results" / "watermark_robustness.json"
    if report.exists() and WM_START in readme:
        readme = replace_between(args.write, readme, WM_START, WM_END, json.loads(report.read_text())["table_markdown"])
    denoise = WEIGHTS_DIR / "neural-denoise.eval.json"
    if denoise.exists() and DN_START in readme:
        readme = replace_between(args.write, readme, DN_START, DN_END, denoise_table(json.loads(denoise.read_text())))
    if GEN_START in readme:
        readme = replace_between(args.write, readme, GEN_START, GEN_END, generator_table())
    args.write.write_text(readme)


def replace_between(path: Path, text: str, start: str, end: str, body: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{path}: markers {start} / {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


if __name__ == "__main__":
    main()

"""Held-out numbers for the generators: pitch accuracy, recognisability by the project's classifiers,
reconstruction against real notes with an additive-synth baseline, Frechet distances, speed.

Every judge is independent of the model it judges: pitch by the YIN tracker (checked against librosa's
pYIN in tests/test_pitch.py), families by the instrument classifier, drum classes by the drum classifier
(trained on real hits only). Real notes are the test split: the TimGM6mb soundfont no generator heard.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from plugin_specs import Note

from .metrics import multi_resolution_stft_distance

PER_FAMILY = 20
GENERATED_PER_CLASS = 48


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two embedding sets (rows are items)."""
    from scipy import linalg

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(root)))


def embeddings(classifier: Any, clips: list[np.ndarray], rate: int) -> np.ndarray:
    """The classifier's pooled features of each clip, zero-padded or cut to its analysis window."""
    import torch

    from synth_plugins.neural_classifier import to_model_rate

    cfg = classifier.card["config"]
    size = int(classifier.params["window_s"] * cfg["sample_rate"])
    rows = []
    for clip in clips:
        x = to_model_rate(np.atleast_2d(clip), rate, cfg["sample_rate"])[:size]
        rows.append(np.pad(x, (0, size - len(x))))
    with torch.inference_mode():
        out = [classifier.model.embed(classifier.front(torch.from_numpy(np.stack(rows[i : i + 32]))))
               for i in range(0, len(rows), 32)]
    return torch.cat(out).numpy()


def top_label(classifier: Any, clip: np.ndarray) -> str:
    scores = classifier.classify(np.atleast_2d(clip)).scores
    return max(scores, key=scores.get)


def note_pitch_ok(audio: np.ndarray, rate: int, pitch: float, hold_s: float) -> tuple[bool, float]:
    """Whether the median f0 over the held part is within 50 cents of ``pitch``; the error in cents."""
    from synth_plugins.pitch import cents, track_pitch

    held = audio[: max(int(hold_s * rate), int(0.1 * rate))]
    track = track_pitch(held, rate, fmin=30.0, fmax=4200.0)
    voiced = track.f0[np.isfinite(track.f0)]
    if len(voiced) == 0:
        return False, float("nan")
    error = float(cents(np.median(voiced), 440.0 * 2 ** ((pitch - 69) / 12)))
    return abs(error) <= 50.0, error


def _clients(device: str) -> dict[str, Any]:
    from host.registry import PluginHost

    host = PluginHost()
    out = {}
    for name in ("instrument-classifier", "drum-classifier"):
        plugin = host.create(name)
        plugin.prepare(22050, 1, 8192, device)
        out[name] = plugin
    out["host"] = host
    return out


def additive_baseline(f0: Any, loudness: Any, harmonics: int = 60) -> Any:
    """The plain additive synth: 1/k harmonics (a band-limited sawtooth) at the note's f0 and loudness."""
    import torch

    from synth_plugins.models.ddsp_nets import harmonic_bank

    k = torch.arange(1, harmonics + 1, dtype=torch.float32)
    shape = (1.0 / k) * (f0[..., None] * k < 11025)
    rms = torch.sqrt(0.5 * (shape**2).sum(-1, keepdim=True))
    amplitude = 10 ** (loudness[..., None] / 20) / rms.clamp_min(1e-9)
    audio, _ = harmonic_bank(f0, amplitude * shape)
    return audio


def evaluate_note_generator(model: str, corpus: Path, device: str = "cpu") -> dict[str, Any]:
    """neural-instrument or timbre-vae on stratified test notes: the plugin's own MIDI path, and the decoder
    told the real note's loudness (reconstruction), beside the additive baseline told the same."""
    import torch

    from synth_plugins.gm_names import FAMILIES, GM_PROGRAMS, slug
    from synth_plugins.models.ddsp_nets import RATE, loudness_db, midi_to_hz

    from .clips import ClipBank
    from .tasks.note_synth import FRAMES, NoteSet

    judges = _clients(device)
    test = NoteSet(ClipBank(corpus, RATE), "test")
    rows = test.stratified(PER_FAMILY, seed=3)
    generator = judges["host"].create(model)
    generator.prepare(RATE, 1, 8192, device)
    key = "instrument" if model == "neural-instrument" else "timbre"
    known = set(generator.card.get("anchors", [])) if model == "timbre-vae" else None
    trained = set(generator.card.get("programs", [])) if model == "neural-instrument" else None
    pitch_hits, errors, family_hits, renders, reals = [], [], [], [], []
    recon, base = [], []
    per_family: dict[str, list[bool]] = {f: [] for f in FAMILIES}
    heard_as: dict[str, dict[str, int]] = {f: {} for f in FAMILIES}
    decoded_hits = []
    for i, row in enumerate(rows):
        program, family = int(test.program[row]) - 1, FAMILIES[int(test.family[row])]
        name = slug(GM_PROGRAMS[program])
        if (known is not None and name not in known) or (trained is not None and program not in trained):
            name = family  # a program the model never heard plays its family
        generator.set_parameter(key, name)
        hold = float(test.hold[row]) * 256 / RATE
        note = Note(0.0, hold, float(test.pitch[row]), int(test.velocity[row]))
        audio = generator.generate(FRAMES * 256 / RATE, RATE, seed=i, notes=[note])[0]
        ok, err = note_pitch_ok(audio, RATE, note.pitch, hold)
        pitch_hits.append(ok)
        errors.append(err)
        heard = top_label(judges["instrument-classifier"], audio)
        heard_as[family][heard] = heard_as[family].get(heard, 0) + 1
        hit = heard == family
        family_hits.append(hit)
        per_family[family].append(hit)
        renders.append(audio)
        real = test.audio[row]
        reals.append(real)
        with torch.inference_mode():
            x = torch.from_numpy(real)[None]
            loud = loudness_db(x)
            f0 = midi_to_hz(torch.tensor([note.pitch]))[:, None].expand(-1, FRAMES)
            timbre = generator.timbre(i)[None] if model == "neural-instrument" else generator.model.encode(x)[0]
            decoded = generator.model.decoder(f0, loud, timbre, torch.Generator().manual_seed(i))
            if getattr(generator.model, "ensemble", None) is not None:  # what the plugin plays includes the chorus
                decoded = generator.model.ensemble(decoded, timbre)
            decoded = decoded[0].numpy()
            baseline = additive_baseline(f0, loud)[0].numpy()
        decoded_hits.append(top_label(judges["instrument-classifier"], decoded) == family)
        recon.append(multi_resolution_stft_distance(real, decoded))
        base.append(multi_resolution_stft_distance(real, baseline))
    half = np.arange(len(rows)) % 2 == 0
    emb_real = embeddings(judges["instrument-classifier"], reals, RATE)
    emb_gen = embeddings(judges["instrument-classifier"], renders, RATE)
    fd_gen, fd_real = frechet(emb_gen[half], emb_real[~half]), frechet(emb_real[half], emb_real[~half])
    speed = _note_speed(generator)
    finite = np.asarray(errors)[np.isfinite(errors)]
    report = {
        "notes": len(rows), "per_family": PER_FAMILY,
        "pitch_accuracy_50_cents": float(np.mean(pitch_hits)),
        "pitch_error_cents_median_abs": float(np.median(np.abs(finite))) if len(finite) else None,
        "recognised_by_instrument_classifier": float(np.mean(family_hits)),
        "recognised_per_family": {f: float(np.mean(v)) for f, v in per_family.items() if v},
        "heard_as": heard_as,
        "recognised_given_real_loudness": float(np.mean(decoded_hits)),
        "mr_stft_model": float(np.mean(recon)), "mr_stft_additive_baseline": float(np.mean(base)),
        "frechet_generated_vs_real": fd_gen, "frechet_real_vs_real": fd_real, "frechet_ratio": fd_gen / fd_real,
        "speed_x_realtime_1_thread": speed,
    }
    report["headline"] = {
        "pitch within 50 cents": f"{report['pitch_accuracy_50_cents']:.1%}",
        "recognised by instrument-classifier": f"{report['recognised_by_instrument_classifier']:.1%}",
        "MR-STFT vs additive baseline": f"{report['mr_stft_model']:.2f} vs {report['mr_stft_additive_baseline']:.2f}",
        "Frechet gen/real vs real/real": f"{fd_gen:.1f} / {fd_real:.1f} = {fd_gen / fd_real:.2f}x",
        "speed, 1 CPU thread": f"{speed:.0f}x real time",
    }
    return report


def _note_speed(generator: Any, seconds: float = 60.0) -> float:
    """Times real time for a monophonic line of 0.25 s notes, one thread, best of three."""
    import torch

    rng = np.random.default_rng(0)
    notes = [Note(0.25 * i, 0.22, float(rng.integers(55, 80)), 100) for i in range(int(seconds / 0.25))]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator.generate(1.0, 44100, 0, notes[:4])
        best = min(_timed(lambda: generator.generate(seconds, 44100, 0, notes)) for _ in range(3))
    finally:
        torch.set_num_threads(threads)
    return seconds / best


def _timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def evaluate_drum_gan(corpus: Path, device: str = "cpu") -> dict[str, Any]:
    """Generated hits named by the drum classifier, Frechet distance against real test hits, speed."""
    import torch

    from synth_plugins.gm_names import DRUM_CLASSES
    from synth_plugins.models.drum_gan_nets import RATE, SAMPLES

    from .clips import ClipBank
    from .tasks.drum_gan import hits, logmel_stats

    judges = _clients(device)
    judge = judges["drum-classifier"]
    judge.prepare(RATE, 1, 8192, device)  # the hits are at the GAN's 16 kHz
    bank = ClipBank(corpus, RATE)
    real_test, labels_test = hits(bank, "test", SAMPLES)
    real_val, _ = hits(bank, "val", SAMPLES)
    judge_real = float(np.mean([top_label(judge, x) == DRUM_CLASSES[k] for x, k in zip(real_test, labels_test)]))
    gan = judges["host"].create("drum-gan")
    gan.prepare(RATE, 1, 8192, device)
    per_class, generated, spread = {}, [], {}
    for k, name in enumerate(DRUM_CLASSES):
        shots = gan.one_shots(name, GENERATED_PER_CLASS, seed=1000, sample_rate=RATE)
        per_class[name] = float(np.mean([top_label(judge, s) == name for s in shots]))
        generated += list(shots[: len(real_test) // len(DRUM_CLASSES)])
        # variety: spread of log-mel statistics across one class's hits, generated over real test hits
        spread[name] = float(logmel_stats(np.ascontiguousarray(shots)).std(0).mean()
                             / logmel_stats(real_test[labels_test == k]).std(0).mean())
    emb_test = embeddings(judge, list(real_test), RATE)
    fd_gen = frechet(embeddings(judge, generated, RATE), emb_test)
    fd_real = frechet(embeddings(judge, list(real_val), RATE), emb_test)
    speed = {}
    z = np.random.default_rng(0).standard_normal((256, gan.latent_size())).astype(np.float32)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        gan.from_latents(z[:8], ["kick"] * 8, RATE)
        best = min(_timed(lambda: gan.from_latents(z, ["snare"] * 256, RATE)) for _ in range(3))
        speed[f"{threads}_threads"] = 256 / best
    accuracy = float(np.mean(list(per_class.values())))
    report = {
        "generated_per_class": GENERATED_PER_CLASS, "recognised_by_drum_classifier": accuracy,
        "recognised_per_class": per_class, "drum_classifier_accuracy_on_real_test_hits": judge_real,
        "frechet_generated_vs_real_test": fd_gen, "frechet_real_val_vs_real_test": fd_real,
        "frechet_ratio": fd_gen / fd_real, "one_shots_per_second_cpu_batch_256": speed,
        "variety_vs_real_per_class": spread, "variety_vs_real": float(np.mean(list(spread.values()))),
    }
    report["headline"] = {
        "recognised by drum-classifier": f"{accuracy:.1%} (the judge scores {judge_real:.1%} on real test hits)",
        "Frechet gen/real vs real/real": f"{fd_gen:.1f} / {fd_real:.1f} = {fd_gen / fd_real:.2f}x",
        "speed, CPU batch of 256": f"{speed['1_threads']:.0f} one-shots/s on 1 thread, {speed['2_threads']:.0f} on 2",
        "variety within a class, vs real hits": f"{report['variety_vs_real']:.2f}",
    }
    return report

"""Speed of the generators on CPU, beside peers measured in the same run.

neural-instrument and timbre-vae play the same monophonic line (0.25 s notes) and a four-voice chord
progression, on one thread, over several lengths; the peers are fluidsynth rendering the same notes from a
MIDI file with the FluidR3 soundfont (a sample player, process start included) and the project's plain
additive synth (the decoder-free lower bound). drum-gan makes one-shots in batches on 1 and 2 threads.

    python bench/generator_speed.py [--lengths 15 60 120] [--out bench/results/generator_speed.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from measure import best_of
from plugin_specs import Note

FLUID_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def melody(seconds: float) -> list[Note]:
    rng = np.random.default_rng(0)
    return [Note(0.25 * i, 0.22, float(rng.integers(55, 80)), 100) for i in range(int(seconds / 0.25))]


def chords(seconds: float) -> list[Note]:
    out = []
    for bar in range(int(seconds / 2.0)):
        root = (60, 65, 67, 57)[bar % 4]
        out += [Note(2.0 * bar, 1.9, float(root + step), 90) for step in (0, 4, 7, 12)]
    return out


def fluidsynth_seconds(notes: list[Note], seconds: float) -> float | None:
    """Wall time of the fluidsynth CLI rendering ``notes`` to a 44.1 kHz WAV (violin, program 40)."""
    import mido

    if shutil.which("fluidsynth") is None or not FLUID_SOUNDFONT.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        midi = mido.MidiFile(ticks_per_beat=480)
        track = mido.MidiTrack()
        midi.tracks.append(track)
        track.append(mido.Message("program_change", program=40, time=0))
        events = sorted([(n.start, 1, int(n.pitch), n.velocity) for n in notes] +
                        [(n.start + n.duration, 0, int(n.pitch), 0) for n in notes])
        now = 0
        for at, on, pitch, velocity in events:  # 120 bpm: 960 ticks per second
            tick = int(round(at * 960))
            kind = "note_on" if on else "note_off"
            track.append(mido.Message(kind, note=pitch, velocity=velocity, time=tick - now))
            now = tick
        path, wav = Path(tmp) / "line.mid", Path(tmp) / "line.wav"
        midi.save(str(path))
        args = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-r", "44100", "-F", str(wav),
                str(FLUID_SOUNDFONT), str(path)]
        return best_of(lambda: subprocess.run(args, check=True, capture_output=True))


def additive_seconds(notes: list[Note], seconds: float) -> float:
    import torch

    from synth_plugins.models.ddsp_nets import HOP, RATE, steady_harmonic_bank

    def run() -> None:
        out = np.zeros(int(seconds * RATE) + RATE)
        for n in notes:
            frames = int((n.duration + 0.3) * RATE / HOP)
            hz = torch.tensor([440.0 * 2 ** ((n.pitch - 69) / 12)])
            k = torch.arange(1, 61, dtype=torch.float32)
            amps = (0.1 / k).expand(1, frames, 60) * torch.linspace(1, 0, frames)[None, :, None]
            a = int(n.start * RATE)
            voice = steady_harmonic_bank(hz, amps)[0].numpy()
            out[a : a + len(voice)] += voice[: len(out) - a]

    return best_of(run)


def main() -> None:
    import torch

    from host.registry import PluginHost

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=[15.0, 60.0, 120.0])
    parser.add_argument("--out", default="bench/results/generator_speed.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    host = PluginHost()
    table: dict[str, dict[str, float]] = {}
    for name, params in (("neural-instrument", {"instrument": "violin"}), ("timbre-vae", {"timbre": "violin"})):
        plugin = host.create(name, params)
        plugin.prepare(44100, 1, 8192)
        plugin.generate(1.0, 44100, 0, melody(1.0))
        for material, make in (("melody", melody), ("4-voice chords", chords)):
            table[f"{name}, {material}"] = {
                f"{s:g} s": round(s / best_of(lambda: plugin.generate(s, 44100, 0, make(s))), 1) for s in args.lengths}
    for material, make in (("melody", melody), ("4-voice chords", chords)):
        fluid = {f"{s:g} s": fluidsynth_seconds(make(s), s) for s in args.lengths}
        if all(v is not None for v in fluid.values()):
            table[f"fluidsynth FluidR3 (CLI), {material}"] = {k: round(float(k.split()[0]) / v, 1)
                                                              for k, v in fluid.items()}
        table[f"additive synth (no network), {material}"] = {
            f"{s:g} s": round(s / additive_seconds(make(s), s), 1) for s in args.lengths}
    for name, row in table.items():
        print(f"{name:44s} " + "  ".join(f"{k}: {v:7.1f}x" for k, v in row.items()))
    gan = host.create("drum-gan")
    gan.prepare(44100, 1, 8192)
    z = np.random.default_rng(0).standard_normal((1024, gan.latent_size())).astype(np.float32)
    shots: dict[str, dict[str, float]] = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        shots[f"{threads} thread(s)"] = {}
        for batch in (1, 16, 256, 1024):
            gan.from_latents(z[:batch], ["kick"] * batch, 16000)
            seconds = best_of(lambda: gan.from_latents(z[:batch], ["snare"] * batch, 16000))
            shots[f"{threads} thread(s)"][f"batch {batch}"] = round(batch / seconds, 1)
    print("drum-gan one-shots per second:", json.dumps(shots))
    report = {"machine": platform.processor() or platform.machine(), "threads_for_x_realtime": 1,
              "x_realtime": table, "drum_gan_one_shots_per_second_16khz": shots}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

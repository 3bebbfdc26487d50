"""Speech clips from espeak-ng (many languages and voice variants) and festival (each installed voice).

Sentences come from `sentences.py`; synthesiser settings are drawn in the plan. Output is trimmed of leading and
trailing silence and resampled to 44.1 kHz.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from .audio import fade, read_mono, trim_silence
from .clip import Clip, finish
from .licences import ESPEAK, FESTIVAL_VOICE_LICENCES
from .sentences import random_sentence
from .splits import FESTIVAL_VOICE_SPLIT, espeak_variant_splits, schedule
from .tools import run

# Latin-script languages: they read the generated sentences and pseudo-words with their own rules.
ESPEAK_LANGUAGES = (
    "af", "an", "ca", "cs", "cy", "da", "de", "en-029", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
    "en-us", "en-us-nyc", "eo", "es", "es-419", "et", "eu", "fi", "fr-be", "fr-fr", "ga", "hr", "hu", "id", "is",
    "it", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-br", "ro", "sk", "sl", "sq", "sv", "sw", "tr", "vi",
)
ESPEAK_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3",
    "klatt4", "croak", "whisper", "whisperf", "Alex", "Andy", "Annie", "Denis", "Lee", "Michael", "Mr", "edward",
    "grandma", "grandpa", "john", "linda", "quincy", "robert", "steph", "travis", "zac", "norbert", "shelby",
    "Storm", "Tweaky", "aunty", "benjamin", "caleb", "iven", "max", "paul", "rob", "victor",
)
FESTIVAL_LANGUAGE = {"kal_diphone": "en", "ked_diphone": "en", "cmu_us_slt_arctic_hts": "en", "lp_diphone": "it"}


@lru_cache(maxsize=1)
def installed_espeak_voices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(languages, variants) from the curated lists that this espeak-ng actually has, in a fixed order."""
    langs = {line.split()[1] for line in run(["espeak-ng", "--voices"]).splitlines()[1:] if line.split()}
    variants = set()
    for line in run(["espeak-ng", "--voices=variant"]).splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5 and cols[4].startswith("!v/"):
            variants.add(cols[4][3:])
    chosen_langs = tuple(l for l in ESPEAK_LANGUAGES if l in langs)
    chosen_vars = tuple(v for v in ESPEAK_VARIANTS if v in variants)
    if not chosen_langs:
        raise RuntimeError("espeak-ng lists none of the expected languages: "
                           "install the Debian package 'espeak-ng-data'")
    return chosen_langs, chosen_vars


def plan_espeak(rng: np.random.Generator, n: int, start_index: int = 0) -> list[Clip]:
    langs, variants = installed_espeak_voices()
    variant_split = espeak_variant_splits(list(variants))
    pools = {s: [v for v in ("", *variants) if variant_split[v] == s] for s in ("train", "val", "test")}
    clips = []
    for i, split in enumerate(schedule(rng, n)):
        variant = pools[split][int(rng.integers(len(pools[split])))]
        lang = langs[int(rng.integers(len(langs)))]
        voice = f"{lang}+{variant}" if variant else lang
        params = {
            "kind": "espeak", "voice": voice, "language": lang, "variant": variant or None,
            "rate": int(rng.integers(110, 221)), "pitch": int(rng.integers(20, 81)),
            "amplitude": int(rng.integers(80, 201)), "word_gap": int(rng.integers(0, 6)),
            "text": random_sentence(rng, lang),
        }
        cid = f"espeak-{start_index + i:05d}"
        clips.append(Clip(cid, f"speech/espeak/{cid}.flac", "espeak-ng", ["speech"], split, ESPEAK, params))
    return clips


def espeak_args(params: dict, wav: Path) -> list[str]:
    return ["espeak-ng", "-b", "1", "-v", params["voice"], "-s", str(params["rate"]), "-p", str(params["pitch"]),
            "-a", str(params["amplitude"]), "-g", str(params["word_gap"]), "-w", str(wav), "--stdin"]


def clean_speech(x: np.ndarray) -> np.ndarray:
    return fade(trim_silence(x, threshold_db=-45.0, pad_s=0.03), fade_in_s=0.005, fade_out_s=0.01)


def render_espeak(clips: list[Clip], root: Path) -> list[dict]:
    records = []
    with tempfile.TemporaryDirectory(prefix="corpus-espeak-") as tmp:
        for clip in clips:
            wav = Path(tmp) / f"{clip.id}.wav"
            run(espeak_args(clip.params, wav), stdin=clip.params["text"])
            records.append(finish(clip, clean_speech(read_mono(wav)), root))
    return records


def plan_festival(rng: np.random.Generator, per_voice: int) -> list[Clip]:
    """`per_voice` sentences for each festival voice; the voice fixes the split (see splits.py)."""
    clips = []
    for voice in FESTIVAL_VOICE_SPLIT:
        for i in range(per_voice):
            params: dict = {"kind": "festival", "voice": voice, "language": FESTIVAL_LANGUAGE[voice]}
            if voice.endswith("_hts"):
                params["speed_rate"] = round(float(rng.uniform(0.75, 1.3)), 3)  # HTS engine "-r"
            else:
                params["duration_stretch"] = round(float(rng.uniform(0.8, 1.3)), 3)
            if voice in ("kal_diphone", "ked_diphone"):
                params["f0_mean"] = int(rng.integers(80, 151))
                params["f0_std"] = int(rng.integers(8, 26))
            params["text"] = random_sentence(rng, params["language"])
            cid = f"festival-{voice}-{i:05d}"
            clips.append(Clip(cid, f"speech/festival/{cid}.flac", "festival", ["speech"], FESTIVAL_VOICE_SPLIT[voice],
                              FESTIVAL_VOICE_LICENCES[voice], params))
    return clips


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def festival_script(clips: list[Clip], wav_dir: Path) -> str:
    """A batch script: select the voice, set this utterance's prosody, synthesise, save, for each clip."""
    lines = []
    for clip in clips:
        p = clip.params
        voice = p["voice"]
        lines.append(f"(voice_{voice})")
        if "speed_rate" in p:
            rate = f'(list (list "-r" {p["speed_rate"]}))'
            lines.append(f"(set! hts_engine_params (append {voice}::hts_engine_params {rate}))")
        if "duration_stretch" in p:
            lines.append(f"(Parameter.set 'Duration_Stretch {p['duration_stretch']})")
        if "f0_mean" in p:
            lines.append(f"(set! int_lr_params '((target_f0_mean {p['f0_mean']}) (target_f0_std {p['f0_std']}) "
                         "(model_f0_mean 170) (model_f0_std 34)))")
        lines.append(f"(set! utt (Utterance Text {_scheme_string(p['text'])}))")
        lines.append("(utt.synth utt)")
        lines.append(f"(utt.save.wave utt {_scheme_string(str(wav_dir / (clip.id + '.wav')))} 'riff)")
    return "\n".join(lines) + "\n"


def render_festival(clips: list[Clip], root: Path) -> list[dict]:
    records = []
    with tempfile.TemporaryDirectory(prefix="corpus-festival-") as tmp:
        script = Path(tmp) / "batch.scm"
        script.write_text(festival_script(clips, Path(tmp)), encoding="latin-1")
        run(["festival", "-b", str(script)])
        for clip in clips:
            wav = Path(tmp) / f"{clip.id}.wav"
            if not wav.exists():
                raise RuntimeError(f"festival wrote no audio for {clip.id} ({clip.params['voice']})")
            records.append(finish(clip, clean_speech(read_mono(wav)), root))
    return records

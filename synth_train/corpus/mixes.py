"""Speech over music and speech over noise, mixed from clean clips of the same split at a drawn SNR.

Mixes are rendered after every other clip is written and read their components back from the corpus, so the
components' ids in params point at the exact audio that was mixed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from ..augment import mix_at_snr
from .clip import Clip, finish
from .audio import normalise_peak
from .licences import mix_licence
from .splits import schedule


def plan_mixes(rng: np.random.Generator, n: int, kind: str, speech: list[Clip], backgrounds: list[Clip],
               start_index: int = 0) -> list[Clip]:
    """`kind` is "music" or "noise"; components are clean (unaugmented) clips from the mix's own split."""
    by_split = {s: ([c for c in speech if c.split == s], [c for c in backgrounds if c.split == s])
                for s in ("train", "val", "test")}
    clips = []
    for i, split in enumerate(schedule(rng, n)):
        voices, beds = by_split[split]
        if not voices or not beds:
            split = "train"
            voices, beds = by_split[split]
        sp = voices[int(rng.integers(len(voices)))]
        bg = beds[int(rng.integers(len(beds)))]
        params = {"kind": "mix", "mix": f"speech+{kind}", "speech_id": sp.id, "background_id": bg.id,
                  "snr_db": round(float(rng.uniform(-5.0, 20.0)), 2),
                  "background_offset_fraction": round(float(rng.uniform(0.0, 1.0)), 4),
                  "peak_dbfs": round(float(rng.uniform(-6.0, -1.0)), 2)}
        cid = f"mix-{kind}-{start_index + i:05d}"
        clips.append(Clip(cid, f"mixes/{cid}.flac", "mix", ["speech", kind], split,
                          mix_licence([sp.licence, bg.licence]), params))
    return clips


def read_clip(root: Path, rel: str) -> np.ndarray:
    x, _ = sf.read(str(root / rel), dtype="float32")
    return x


def render_mixes(clips: list[Clip], root: Path, paths: dict[str, str]) -> list[dict]:
    """`paths` maps component ids to their relative paths in the corpus being built."""
    records = []
    for clip in clips:
        p = clip.params
        speech = read_clip(root, paths[p["speech_id"]])
        bg = read_clip(root, paths[p["background_id"]])
        bg = np.roll(bg, -int(p["background_offset_fraction"] * bg.size))
        mixed = mix_at_snr(speech, bg, p["snr_db"])
        records.append(finish(clip, normalise_peak(mixed, p["peak_dbfs"]), root))
    return records

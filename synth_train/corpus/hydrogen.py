"""Drum one-shots from the hydrogen drum kits: instrument names in drumkit.xml mapped to the corpus drum classes.

Instruments that fit no class (cowbell, shaker, conga, clave) are skipped rather than mislabelled.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import fade, read_mono, trim_silence
from .clip import Clip, finish
from .licences import hydrogen_licence
from .manifest import SAMPLE_RATE
from .splits import HYDROGEN_KIT_SPLIT
from .tools import HYDROGEN_DRUMKITS_DIR

MAX_SECONDS = 4.0


@dataclass(frozen=True)
class KitSample:
    kit: str
    instrument: str
    drum: str
    filename: str
    layer_min: float
    layer_max: float


def drum_class_for(name: str) -> str | None:
    """Map a hydrogen instrument name to a drum class (order matters: 'rimshot' is a snare hit, 'cowbell' no cymbal)."""
    n = name.lower()
    if "cowbell" in n or "shaker" in n or "conga" in n or "clave" in n:
        return None
    if "kick" in n or "bass drum" in n:
        return "kick"
    if "clap" in n:
        return "clap"
    if "rimshot" in n:
        return "snare"
    if "stick" in n or "rim" in n:
        return "rim"
    if "snare" in n:
        return "snare"
    if "tom" in n:
        return "tom"
    if "hat" in n:
        return "open_hat" if ("open" in n or "semi" in n) else "closed_hat"
    if any(w in n for w in ("ride", "crash", "splash", "cymbal", "china", "bell")):
        return "cymbal"
    return None


def kit_samples(kit: str) -> list[KitSample]:
    """Every layer of every mappable instrument in the kit, in drumkit.xml order."""
    root = ET.parse(HYDROGEN_DRUMKITS_DIR / kit / "drumkit.xml").getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    out = []
    for inst in root.iter(ns + "instrument"):
        name = (inst.findtext(ns + "name") or "").strip()
        drum = drum_class_for(name)
        if drum is None:
            continue
        for layer in inst.iter(ns + "layer"):
            filename = (layer.findtext(ns + "filename") or "").strip()
            if filename and (HYDROGEN_DRUMKITS_DIR / kit / filename).exists():
                out.append(KitSample(kit, name, drum, filename, float(layer.findtext(ns + "min") or 0),
                                     float(layer.findtext(ns + "max") or 1)))
    return out


def plan_hydrogen(rng: np.random.Generator, per_class_per_kit: int | None) -> list[Clip]:
    """Per kit and class, `per_class_per_kit` random layers (None: all layers). The kit fixes the split."""
    clips = []
    index = 0
    for kit, split in HYDROGEN_KIT_SPLIT.items():
        samples = kit_samples(kit)
        chosen: list[KitSample] = []
        for drum in sorted({s.drum for s in samples}):
            of_class = [s for s in samples if s.drum == drum]
            if per_class_per_kit is None or per_class_per_kit >= len(of_class):
                chosen.extend(of_class)
            else:
                picks = sorted(rng.choice(len(of_class), size=per_class_per_kit, replace=False).tolist())
                chosen.extend(of_class[i] for i in picks)
        for s in chosen:
            cid = f"hydrogen-{index:05d}"
            index += 1
            params = {"kind": "hydrogen", "kit": kit, "instrument_name": s.instrument, "sample_file": s.filename,
                      "layer_velocity_range": [round(s.layer_min, 4), round(s.layer_max, 4)],
                      "max_seconds": MAX_SECONDS}
            clips.append(Clip(cid, f"drums/hydrogen/{cid}.flac", "hydrogen", ["music"], split, hydrogen_licence(kit),
                              params, instrument="drums", drum=s.drum))
    return clips


def render_hydrogen(clips: list[Clip], root: Path) -> list[dict]:
    records = []
    for clip in clips:
        x = read_mono(HYDROGEN_DRUMKITS_DIR / clip.params["kit"] / clip.params["sample_file"])
        x = trim_silence(x, threshold_db=-60.0, pad_s=0.005)
        limit = int(MAX_SECONDS * SAMPLE_RATE)
        x = fade(x[:limit], fade_out_s=0.2 if x.size > limit else 0.01)
        records.append(finish(clip, x, root))
    return records

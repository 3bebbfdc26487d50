"""The train/val/test split policy: whole sources are held out where the corpus has several of them.

Held-out sets are fixed by stable hashes and by name, not by the build seed, so every corpus built by this
builder version holds out the same voices, programs, soundfont and kits, and held-out accuracy stays comparable.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .gm import DRUM_KITS, PITCHED_FAMILIES, programs_of

VAL_FRACTION = 0.1
TEST_FRACTION = 0.1

# TimGM6mb has its own samples; MuseScore_General is partly built from FluidR3 (its "Fluid (R3) Mono" part),
# so those two must stay on the same side and TimGM6mb is the held-out soundfont. Csound's public-domain
# sf_GMbank is a third, independent bank on the train side.
TEST_SOUNDFONT = "TimGM6mb"
TRAIN_SOUNDFONTS = ("FluidR3_GM", "MuseScore_General", "Csound_GMbank")

FESTIVAL_VOICE_SPLIT = {
    "kal_diphone": "train",
    "lp_diphone": "train",
    "ked_diphone": "val",
    "cmu_us_slt_arctic_hts": "test",
}
HYDROGEN_KIT_SPLIT = {"GMRockKit": "train", "TR808EmulationKit": "val"}
VAL_DRUM_KITS = (24, 40)  # Electronic and Brush kits of the two train soundfonts
TRAIN_DRUM_KITS = tuple(k for k in DRUM_KITS if k not in VAL_DRUM_KITS)


def stable_rank(key: str) -> int:
    """A hash that is the same in every process and Python version (unlike hash())."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def val_programs() -> dict[str, int]:
    """One GM program per pitched family, held out of train for validation (train soundfonts only).

    Drawn from the family's own GM group (programs < 104), not from the ethnic/percussive programs mapped into it,
    so the held-out instrument is a typical member of its family.
    """
    return {fam: min((p for p in programs_of(fam) if p < 104), key=lambda p: stable_rank(f"val-program:{p}"))
            for fam in PITCHED_FAMILIES}


def train_programs(family: str) -> list[int]:
    held = val_programs()[family]
    return [p for p in programs_of(family) if p != held]


def held_out_count(n: int, fraction: float) -> int:
    return max(1, int(round(n * fraction))) if n >= 3 else 0


def espeak_variant_splits(variants: list[str]) -> dict[str, str]:
    """Hold out whole espeak-ng voice variants (the speaker timbre), ~10% for val and ~10% for test.

    The language's default voice (no variant, "") always stays in train.
    """
    ranked = sorted((v for v in variants if v), key=lambda v: stable_rank(f"espeak-variant:{v}"))
    k_val, k_test = held_out_count(len(ranked), VAL_FRACTION), held_out_count(len(ranked), TEST_FRACTION)
    out = {v: "train" for v in variants}
    for v in ranked[:k_val]:
        out[v] = "val"
    for v in ranked[k_val:k_val + k_test]:
        out[v] = "test"
    out[""] = "train"
    return out


def schedule(rng: np.random.Generator, n: int) -> list[str]:
    """n split names with ~80/10/10 proportions (at least one val and test once n >= 3), in random order."""
    k_val, k_test = held_out_count(n, VAL_FRACTION), held_out_count(n, TEST_FRACTION)
    names = ["val"] * k_val + ["test"] * k_test + ["train"] * (n - k_val - k_test)
    return [names[i] for i in rng.permutation(n)]


def policy_description() -> dict:
    """The policy as recorded in corpus.json."""
    return {
        "principle": "hold out whole sources where there are several; proportions ~80/10/10; held-out sets do not "
                     "depend on the build seed",
        "espeak-ng": "voice variants (+m3, +f2, ...) are split by a stable hash: ~10% val, ~10% test, the rest and "
                     "the plain language voices train; each clip's split is drawn first and its voice from that split",
        "festival": FESTIVAL_VOICE_SPLIT,
        "fluidsynth": {
            "test": f"everything rendered with {TEST_SOUNDFONT} (independent samples)",
            "val": "one GM program per family held out (rendered with " + " / ".join(TRAIN_SOUNDFONTS)
                   + "): " + ", ".join(f"{f}={p}" for f, p in val_programs().items())
                   + f"; drum kits {[DRUM_KITS[k] for k in VAL_DRUM_KITS]}",
            "train": f"the other programs and kits {[DRUM_KITS[k] for k in TRAIN_DRUM_KITS]} with "
                     + " / ".join(TRAIN_SOUNDFONTS)
                     + " (kept together: MuseScore_General contains a mono FluidR3)",
        },
        "hydrogen": HYDROGEN_KIT_SPLIT,
        "synthesised": "noise and silence clips drawn 80/10/10 (no source identity to hold out)",
        "mix": "the mix's split is drawn first and both clean components are taken from that split, so no clip "
               "leaks across splits through a mix",
    }

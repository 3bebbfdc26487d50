"""Licence strings recorded per clip, taken from the Debian copyright files and drumkit.xml on this machine.

Where the Debian file is machine-readable (DEP-5) the licence is parsed from it; the others were read by hand
and are quoted with the file they come from, so anyone redistributing the corpus can check them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from .tools import HYDROGEN_DRUMKITS_DIR

DOC = Path("/usr/share/doc")

ESPEAK = "espeak-ng: GPL-3.0-or-later (/usr/share/doc/espeak-ng/copyright); text generated here"

FESTIVAL_VOICE_LICENCES = {
    "kal_diphone": "festival + kal_diphone (festvox-kallpc16k, Alan W Black and Kevin Lenzo 1998): permissive "
                   "CSTR/CMU licence (use, modify, distribute; keep notice) "
                   "(/usr/share/doc/festvox-kallpc16k/copyright)"
                   "; text generated here",
    "ked_diphone": "festival + ked_diphone (festvox-kdlpc16k, CSTR University of Edinburgh 1997): permissive CSTR "
                   "licence (use, modify, distribute; keep notice) (/usr/share/doc/festvox-kdlpc16k/copyright)"
                   "; text generated here",
    "lp_diphone": "festival + lp_diphone (festvox-italp16k, IFM Development Team, ISTC-SPFD CNR / ITC-irst): "
                  "GPL-2.0-or-later (/usr/share/doc/festvox-italp16k/copyright); text generated here",
    "cmu_us_slt_arctic_hts": "festival + cmu_us_slt_arctic_hts (festvox-us-slt-hts, Carnegie Mellon University "
                             "2003): EST-2003 permissive licence, parts BSD-3-clause "
                             "(/usr/share/doc/festvox-us-slt-hts/copyright); text generated here",
}

_SOUNDFONT_LICENCES = {
    "FluidR3_GM": "FluidR3_GM soundfont (Frank Wen): MIT (/usr/share/doc/fluid-soundfont-gm/copyright)",
    "MuseScore_General": "MuseScore_General soundfont (S. Christian Collins; FluidR3 Mono by Michael Cowgill, "
                         "FluidR3 by Frank Wen): MIT, parts public domain or CC0 "
                         "(/usr/share/doc/musescore-general-soundfont/copyright)",
}

SYNTHESISED = "synthesised here with numpy (no third-party material): same licence as this repository"


def _dep5_licence(copyright_file: Path, files_pattern: str) -> str | None:
    """The `License:` of the DEP-5 stanza whose `Files:` field contains `files_pattern`."""
    if not copyright_file.exists():
        return None
    for stanza in re.split(r"\n\s*\n", copyright_file.read_text(encoding="utf-8", errors="replace")):
        files = re.search(r"^Files:(.*?)(?=^\S)", stanza + "\nX", re.S | re.M)
        licence = re.search(r"^License:\s*(\S.*)$", stanza, re.M)
        if files and licence and files_pattern in files.group(1).split():
            return licence.group(1).strip()
    return None


@lru_cache(maxsize=None)
def soundfont_licence(name: str) -> str:
    if name == "TimGM6mb":
        path = DOC / "timgm6mb-soundfont" / "copyright"
        found = _dep5_licence(path, "TimGM6mb.sf2") or "GPL-2"
        return f"TimGM6mb soundfont (Tim Brechbill): {found} ({path})"
    if name == "Csound_GMbank":
        path = DOC / "csound-soundfont" / "copyright"
        found = _dep5_licence(path, "samples/sf_GMbank.sf2") or "public-domain"
        return (f"sf_GMbank soundfont shipped with Csound: {found} ({path}); not among the issue's named soundfonts, "
                "added as a third independent sample set so the classifiers learn families, not one bank")
    return _SOUNDFONT_LICENCES[name]


@lru_cache(maxsize=None)
def hydrogen_kit_info(kit: str) -> dict[str, str]:
    """Name, author and licence as drumkit.xml states them."""
    root = ET.parse(HYDROGEN_DRUMKITS_DIR / kit / "drumkit.xml").getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    def field(tag: str) -> str:
        node = root.find(ns + tag)
        return (node.text or "").strip() if node is not None else ""
    return {"name": field("name") or kit, "author": field("author"), "license": field("license")}


@lru_cache(maxsize=None)
def hydrogen_licence(kit: str) -> str:
    info = hydrogen_kit_info(kit)
    path = DOC / "hydrogen-data" / "copyright"
    debian = _dep5_licence(path, "*") or "see Debian copyright file"
    return (f"hydrogen drumkit {info['name']} by {info['author'] or 'unknown'}: drumkit.xml licence "
            f"'{info['license'] or 'unstated'}'; Debian hydrogen-data copyright (Files: *): {debian} ({path})")


def mix_licence(parts: list[str]) -> str:
    return "mix of: " + " + ".join(f"[{p}]" for p in parts)

"""Finding and running the Debian tools and data files the corpus is rendered with.

A missing tool should stop the build at once with the apt package to install, not half-way through a long run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# tool or data file -> Debian package that ships it
TOOL_PACKAGES = {
    "espeak-ng": "espeak-ng",
    "text2wave": "festival",
    "festival": "festival",
    "fluidsynth": "fluidsynth",
}

SOUNDFONTS = {
    "FluidR3_GM": (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), "fluid-soundfont-gm"),
    "TimGM6mb": (Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), "timgm6mb-soundfont"),
    "MuseScore_General": (Path("/usr/share/sounds/sf3/MuseScore_General.sf3"), "musescore-general-soundfont"),
    "Csound_GMbank": (Path("/usr/share/sounds/sf2/sf_GMbank.sf2"), "csound-soundfont"),
}

FESTIVAL_VOICES = {
    "kal_diphone": (Path("/usr/share/festival/voices/english/kal_diphone"), "festvox-kallpc16k"),
    "ked_diphone": (Path("/usr/share/festival/voices/english/ked_diphone"), "festvox-kdlpc16k"),
    "cmu_us_slt_arctic_hts": (Path("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"), "festvox-us-slt-hts"),
    "lp_diphone": (Path("/usr/share/festival/voices/italian/lp_diphone"), "festvox-italp16k"),
}

HYDROGEN_DRUMKITS_DIR = Path("/usr/share/hydrogen/data/drumkits")
HYDROGEN_KITS = ("GMRockKit", "TR808EmulationKit")
HYDROGEN_PACKAGE = "hydrogen-data"


def tool_path(name: str) -> str:
    """Absolute path of a command-line tool, or a one-line RuntimeError naming the apt package."""
    found = shutil.which(name)
    if found is None:
        package = TOOL_PACKAGES.get(name, name)
        raise RuntimeError(f"{name} not found on PATH: install the Debian package '{package}' "
                           f"(apt-get install {package})")
    return found


def require_file(path: Path, package: str) -> Path:
    """The path if it exists, or a one-line RuntimeError naming the apt package that provides it."""
    if not path.exists():
        raise RuntimeError(f"{path} not found: install the Debian package '{package}' (apt-get install {package})")
    return path


def check_all() -> None:
    """Fail fast, before any rendering, if anything the corpus needs is missing."""
    for tool in ("espeak-ng", "festival", "fluidsynth"):
        tool_path(tool)
    for path, package in SOUNDFONTS.values():
        require_file(path, package)
    for path, package in FESTIVAL_VOICES.values():
        require_file(path, package)
    for kit in HYDROGEN_KITS:
        require_file(HYDROGEN_DRUMKITS_DIR / kit / "drumkit.xml", HYDROGEN_PACKAGE)


def run(args: list[str], stdin: str | None = None, timeout: float = 600) -> str:
    """Run a tool and return its stdout; on failure raise RuntimeError with the command and its stderr tail."""
    args = [tool_path(args[0]), *args[1:]]
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{Path(args[0]).name} failed with exit {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def tool_version(name: str) -> str:
    """First line of `name --version`, recorded in corpus.json so a changed tool explains changed audio."""
    try:
        out = subprocess.run([tool_path(name), "--version"], capture_output=True, text=True, timeout=30)
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"

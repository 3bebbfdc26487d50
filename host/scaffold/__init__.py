"""``synth-host new-plugin``: a complete plugin package that installs and validates as generated."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from plugin_specs import SynthHostError

TEMPLATES = Path(__file__).parent / "templates"
KINDS = ("effect", "generator", "watermark", "classifier")
DESCRIPTIONS = {
    "effect": "Soft tanh saturation with smoothed drive and mix.",
    "generator": "Band-limited oscillator that plays a tone or a list of notes.",
    "watermark": "Keyed spread-spectrum watermark carrying a 16-bit message.",
    "classifier": "Labels audio as silence, quiet or loud over time.",
}
USAGE = {
    "effect": 'synth-host process in.wav -o out.wav -c "$plugin_id drive_db=18 | Gain gain_db=-3"',
    "generator": "synth-host info $plugin_id",
    "watermark": "synth-host info $plugin_id",
    "classifier": "synth-host info $plugin_id",
}
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def scaffold(name: str, kind: str, parent: Path, author: str = "Your Name") -> Path:
    """Write the package ``parent/name`` and return its path; refuses to overwrite anything."""
    if not NAME.match(name):
        raise SynthHostError(f"plugin name {name!r}: use lower-case words joined by hyphens, like my-saturator")
    if kind not in KINDS:
        raise SynthHostError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    root = parent / name
    if root.exists():
        raise SynthHostError(f"{root}: already exists; choose another name or folder")
    package = name.replace("-", "_")
    values = {
        "dist": name, "package": package, "plugin_id": name, "kind": kind, "author": author,
        "cls": "".join(part.capitalize() for part in name.split("-")),
        "title": name.replace("-", " ").capitalize(), "description": DESCRIPTIONS[kind],
    }
    values["usage"] = "```bash\n" + Template(USAGE[kind]).substitute(values) + "\n```"
    values["tests"] = _render(f"{kind}_tests.tmpl", values)
    files = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        f"src/{package}/__init__.py": f"{kind}.py.tmpl",
        f"tests/test_{package}.py": "test_plugin.py.tmpl",
    }
    for target, template in files.items():
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render(template, values))
    return root


def _render(template: str, values: dict[str, str]) -> str:
    return Template((TEMPLATES / template).read_text()).substitute(values)

"""`synth-host new-plugin`: every kind's package installs with pip, validates and passes its own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from host.cli import main
from host.scaffold import KINDS


def _env(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *[p for p in sys.path if p]])}


@pytest.mark.parametrize("kind", KINDS)
def test_scaffold_installs_validates_and_tests(kind, tmp_path, capsys):
    name = f"acme-{kind}"
    assert main(["new-plugin", name, "--kind", kind, "-o", str(tmp_path)]) == 0
    root = tmp_path / name
    assert {p.name for p in root.iterdir()} == {"pyproject.toml", "README.md", "src", "tests"}
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--target", str(site), str(root)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    env = _env(site)
    listed = subprocess.run([sys.executable, "-m", "host.cli", "plugins", "--json"], capture_output=True,
                            text=True, env=env)
    record = next(r for r in json.loads(listed.stdout) if r["id"] == name)
    assert record["kind"] == kind and record["package"] == name and record["status"] == "ok"
    validated = subprocess.run([sys.executable, "-m", "host.cli", "validate", name, "--strictness", "7", "--json"],
                               capture_output=True, text=True, env=env)
    report = json.loads(validated.stdout)
    assert validated.returncode == 0 and report["passed"], [r for r in report["results"] if r["status"] == "fail"]
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                           capture_output=True, text=True, env=env)
    assert tests.returncode == 0, tests.stdout[-2000:]
    assert " passed" in tests.stdout and "conformance" in (root / "tests" / f"test_acme_{kind}.py").read_text().lower()


def test_scaffold_refuses_bad_names_and_existing_folders(tmp_path, capsys):
    assert main(["new-plugin", "Bad_Name", "-o", str(tmp_path)]) == 1
    assert "use lower-case words joined by hyphens" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    assert main(["new-plugin", "taken", "-o", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err

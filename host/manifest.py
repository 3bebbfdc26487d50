"""``manifest.json``: what a batch read, ran and wrote, kept on disk as jobs finish.

It holds no clocks or host names, so the same batch run twice writes the same manifest. Each finished job
is appended at once to a journal beside it (one JSON line), and the manifest itself is rewritten
atomically at most every ``SAVE_EVERY`` seconds and at the end: a batch of thousands of files does not
rewrite a growing file after every job, and a batch killed at any moment still leaves every finished job
on disk. ``--resume`` reads both and trusts an entry only when every output it lists still hashes the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from plugin_specs import OutputError

from . import __version__

SAVE_EVERY = 2.0  # seconds between rewrites of the whole manifest while a batch runs


def sha256_file(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()  # reads into one reused buffer


def plugin_version(host: Any, plugin_id: str) -> str:
    """The installed version of the package that provides ``plugin_id`` (pedalboard's for its built-ins)."""
    record = host.records.get(plugin_id)
    version = record.version if record else ""
    if version == "pedalboard":
        import pedalboard

        version = f"pedalboard {pedalboard.__version__}"
    return version


def input_record(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "sha256": sha256_file(path)}


class Manifest:
    """Job entries by key, in the batch's job order, persisted at ``path`` (plus its journal while running)."""

    def __init__(self, path: Path, command: str, settings: dict[str, Any]) -> None:
        self.path, self.command, self.settings = path, command, settings
        self.journal = path.with_name(f".{path.name}.journal")
        self.entries: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.saved_at = 0.0

    def load_previous(self) -> dict[str, dict[str, Any]]:
        """Entries of an earlier run at this path (for ``--resume``), its journal's newer ones winning; an
        unreadable manifest counts as none, and a journal line cut short by a kill is ignored."""
        previous: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text())
            previous = {e["job"]: e for e in data.get("jobs", []) if isinstance(e, dict) and "job" in e}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass
        try:
            lines = self.journal.read_text().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "job" in entry:
                previous[entry["job"]] = entry
        return previous

    def verified(self, entry: dict[str, Any]) -> bool:
        """Did this entry finish, and does every output it lists still exist with the same hash?"""
        if entry.get("status") != "done" or not entry.get("outputs"):
            return False
        for out in entry["outputs"]:
            p = self.path.parent / out["path"]
            try:
                if sha256_file(p) != out["sha256"]:
                    return False
            except OSError:
                return False
        return True

    def set_order(self, keys: list[str]) -> None:
        self.order = list(keys)

    def start(self) -> None:
        """Write what is known before any job runs (entries kept by ``--resume``) and begin a fresh journal."""
        self.save(indent=None)
        self.journal.unlink(missing_ok=True)

    def record(self, key: str, entry: dict[str, Any]) -> None:
        self.entries[key] = {"job": key, **entry}
        line = json.dumps(self.entries[key], default=str) + "\n"
        try:
            with open(self.journal, "a") as f:
                f.write(line)
        except OSError as exc:
            raise OutputError(f"{self.journal}: cannot write manifest journal: {exc.strerror or exc}") from None
        if time.monotonic() - self.saved_at >= SAVE_EVERY:
            self.save(indent=None)  # compact while the batch runs; the final save is indented

    def to_dict(self) -> dict[str, Any]:
        jobs = [self.entries[k] for k in self.order if k in self.entries]
        return {"synth_host_version": __version__, "command": self.command, "settings": self.settings, "jobs": jobs}

    def save(self, indent: int | None = 2) -> None:
        text = json.dumps(self.to_dict(), indent=indent, default=str) + "\n"
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write manifest: {exc.strerror or exc}") from None
        self.saved_at = time.monotonic()

    def finish(self) -> None:
        """The final, indented manifest; the journal is no longer needed."""
        self.save()
        self.journal.unlink(missing_ok=True)

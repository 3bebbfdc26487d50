"""Chain descriptions: inline ``"A x=1 | B y=2"`` strings or TOML files of ``[[step]]`` tables."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from plugin_specs import ChainError


@dataclass(frozen=True)
class StepSpec:
    """One step as written: a plugin reference and its raw parameters."""

    ref: str
    params: dict[str, Any] = field(default_factory=dict)
    where: str = ""


def parse_chain(text: str) -> list[StepSpec]:
    """Parse ``text`` as a TOML file path if it names one, else as an inline chain."""
    stripped = text.strip()
    if stripped.lower().endswith(".toml"):
        path = Path(stripped)
        if not path.is_file():
            raise ChainError(f"chain file {stripped}: not found")
        return parse_chain_file(path)
    return parse_inline(stripped)


def parse_inline(text: str) -> list[StepSpec]:
    if not text:
        raise ChainError("chain is empty: give steps like \"Gain gain_db=-3 | Reverb room_size=0.3\"")
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError as exc:
        raise ChainError(f"chain {text!r}: {exc}") from None
    steps: list[list[str]] = [[]]
    for token in tokens:
        if set(token) == {"|"}:
            steps.extend([] for _ in token)
        else:
            steps[-1].append(token)
    out = []
    for number, words in enumerate(steps, 1):
        where = f"chain step {number}"
        if not words:
            raise ChainError(f"{where}: empty step (check the '|' separators)")
        out.append(StepSpec(words[0], parse_params(words[1:], f"{where} ({words[0]})"), where))
    return out


def parse_params(words: Sequence[str], where: str) -> dict[str, str]:
    """``name=value`` words to a dict; values stay strings for the plugin's declarations to parse."""
    params: dict[str, str] = {}
    for word in words:
        name, eq, value = word.partition("=")
        if not eq or not name:
            raise ChainError(f"{where}: expected name=value, got {word!r}")
        if name in params:
            raise ChainError(f"{where}: parameter {name!r} given twice")
        params[name] = value
    return params


def parse_chain_file(path: Path) -> list[StepSpec]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ChainError(f"chain file {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ChainError(f"chain file {path}: invalid TOML: {exc}") from None
    steps = data.get("step")
    if not isinstance(steps, list) or not steps:
        raise ChainError(f"chain file {path}: no [[step]] tables")
    unknown = sorted(set(data) - {"step"})
    if unknown:
        raise ChainError(f"chain file {path}: unknown top-level key {unknown[0]!r}")
    out = []
    for number, table in enumerate(steps, 1):
        where = f"chain file {path}, step {number}"
        params = dict(table)
        ref = params.pop("plugin", None)
        if not isinstance(ref, str) or not ref:
            raise ChainError(f"{where}: missing plugin = \"ID\"")
        out.append(StepSpec(ref, params, where))
    return out

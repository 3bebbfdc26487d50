"""Parameter declarations, checked before any audio is touched."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .errors import ParameterError

_TYPES = {"float": float, "int": int, "bool": bool, "str": str}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: what the host validates and what ``info`` prints.

    ``type`` is one of ``"float"``, ``"int"``, ``"bool"``, ``"str"``.
    ``minimum``/``maximum`` bound numbers (inclusive); ``choices`` restricts any type.
    A ``default`` of ``None`` means "unset"; ``required`` parameters must then be given.
    ``automatable=False`` marks settings fixed once audio flows (a lookahead that sets latency).
    """

    name: str
    type: str = "float"
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: Sequence[Any] | None = None
    unit: str = ""
    description: str = ""
    required: bool = False
    automatable: bool = True

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"parameter {self.name!r}: unknown type {self.type!r}")

    def coerce(self, value: Any, owner: str = "") -> Any:
        """Return ``value`` converted to this parameter's type, or raise ParameterError.

        Strings (from the command line) are parsed; other values must already
        have the right type, so a TOML ``"80"`` for a float is refused.
        """
        where = f"{owner}: parameter {self.name!r}" if owner else f"parameter {self.name!r}"
        value = self._convert(value, where)
        if self.type in ("float", "int"):
            if isinstance(value, float) and not math.isfinite(value):
                raise ParameterError(f"{where}: value {value} is not finite")
            if self.minimum is not None and value < self.minimum:
                raise ParameterError(f"{where}: value {value} is below the minimum {self.minimum}{self._unit()}")
            if self.maximum is not None and value > self.maximum:
                raise ParameterError(f"{where}: value {value} is above the maximum {self.maximum}{self._unit()}")
        if self.choices is not None and value not in self.choices:
            options = ", ".join(str(c) for c in self.choices)
            raise ParameterError(f"{where}: value {value!r} is not one of {options}")
        return value

    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""

    def _convert(self, value: Any, where: str) -> Any:
        kind = self.type
        if isinstance(value, str) and kind != "str":
            text = value.strip()
            try:
                if kind == "bool":
                    if text.lower() in _TRUE:
                        return True
                    if text.lower() in _FALSE:
                        return False
                    raise ValueError
                if kind == "int":
                    return int(text)
                return float(text)
            except ValueError:
                raise ParameterError(f"{where}: expected {kind}, got {value!r}") from None
        if kind == "bool":
            if isinstance(value, bool):
                return value
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        elif kind == "float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        elif isinstance(value, str):
            return value
        raise ParameterError(f"{where}: expected {kind}, got {type(value).__name__} {value!r}")

    def describe(self) -> dict[str, Any]:
        """A JSON-ready dict for ``synth-host info``."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices is not None:
            out["choices"] = list(self.choices)
        out["unit"] = self.unit
        out["description"] = self.description
        if self.required:
            out["required"] = True
        if not self.automatable:
            out["automatable"] = False
        return out


def validate_params(
    declared: Sequence[Parameter], given: Mapping[str, Any], owner: str = ""
) -> dict[str, Any]:
    """Check ``given`` against ``declared``; return every parameter's value, defaults filled in."""
    by_name = {p.name: p for p in declared}
    unknown = [name for name in given if name not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        prefix = f"{owner}: " if owner else ""
        raise ParameterError(f"{prefix}unknown parameter {unknown[0]!r} (known: {known})")
    values = {p.name: p.default for p in declared}
    for name, value in given.items():
        values[name] = by_name[name].coerce(value, owner)
    for p in declared:
        if p.required and values[p.name] is None:
            prefix = f"{owner}: " if owner else ""
            raise ParameterError(f"{prefix}parameter {p.name!r} is required")
    return values

"""Check registration, results and the report; checks live in the ``*_checks`` modules."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .subject import Subject

PASS, FAIL, SKIP = "pass", "fail", "skip"
ALL_KINDS = ("effect", "generator", "watermark", "classifier")


class CheckFailed(Exception):
    """Raised inside a check: the message becomes the one-line reason."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class CheckSkipped(Exception):
    pass


@dataclass
class CheckResult:
    name: str
    status: str
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "message": self.message,
                "details": self.details, "seconds": round(self.seconds, 4)}


@dataclass
class Report:
    plugin: str
    kind: str
    strictness: int
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.status != FAIL for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == FAIL]

    def to_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "kind": self.kind, "strictness": self.strictness,
                "passed": self.passed, "results": [r.to_dict() for r in self.results]}


class Context:
    """Shared by every check of one run: the subject, the level, a seeded RNG and a cache."""

    def __init__(self, subject: Subject, strictness: int, seed: int = 0) -> None:
        self.subject = subject
        self.strictness = strictness
        self.seed = seed
        self.cache: dict[str, Any] = {}

    def rng(self, salt: str) -> random.Random:
        """A generator per check, so one check's draws never shift another's."""
        return random.Random(f"{self.seed}:{salt}")

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


CheckFn = Callable[[Context], "str | dict[str, Any] | None"]


@dataclass(frozen=True)
class Check:
    name: str
    level: int
    kinds: tuple[str, ...]
    fn: CheckFn
    doc: str

    def applies(self, kind: str, strictness: int) -> bool:
        return kind in self.kinds and strictness >= self.level

    def run(self, ctx: Context) -> CheckResult:
        start = time.perf_counter()
        try:
            out = self.fn(ctx)
            message, details = (out, {}) if isinstance(out, str) or out is None else (out.pop("message", ""), out)
            result = CheckResult(self.name, PASS, message or "", details)
        except CheckFailed as exc:
            result = CheckResult(self.name, FAIL, str(exc), exc.details)
        except CheckSkipped as exc:
            result = CheckResult(self.name, SKIP, str(exc))
        except Exception as exc:  # a plugin raising where it must not is itself a failure
            result = CheckResult(self.name, FAIL, f"raised {type(exc).__name__}: {exc}")
        result.seconds = time.perf_counter() - start
        return result


CHECKS: dict[str, Check] = {}


def check(name: str, level: int, kinds: tuple[str, ...] = ALL_KINDS) -> Callable[[CheckFn], CheckFn]:
    """Register a check that runs at ``strictness >= level`` for ``kinds``."""

    def wrap(fn: CheckFn) -> CheckFn:
        CHECKS[name] = Check(name, level, kinds, fn, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return wrap

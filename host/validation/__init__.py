"""``synth-host validate``: checks a plugin against the contract in the manner of pluginval.

Strictness 1 is a smoke test; 5 adds latency, tails, automation and format sweeps;
7 and up sweep every block size from 32 to 65536 at several sample rates.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from . import common_checks, effect_checks, kind_checks  # noqa: F401  (registers checks)
from .registry import CHECKS, FAIL, PASS, SKIP, Check, CheckResult, Context, Report
from .signals import SIGNALS, make_signal
from .subject import Subject

__all__ = ["CHECKS", "FAIL", "PASS", "SKIP", "CheckResult", "Report", "SIGNALS", "Subject",
           "checks_for", "make_signal", "validate"]


def checks_for(kind: str, strictness: int) -> list[Check]:
    return [c for c in CHECKS.values() if c.applies(kind, strictness)]


def validate(subject: Subject, strictness: int = 5, only: Iterable[str] | None = None, seed: int = 0,
             on_result: Callable[[CheckResult], Any] | None = None) -> Report:
    """Run every check that applies to ``subject`` at ``strictness`` (or just ``only``)."""
    if not 1 <= strictness <= 10:
        raise ValueError(f"strictness {strictness} is not in 1..10")
    ctx = Context(subject, strictness, seed)
    wanted = set(only) if only is not None else None
    report = Report(subject.id, subject.kind, strictness)
    for c in checks_for(subject.kind, strictness):
        if wanted is not None and c.name not in wanted:
            continue
        result = c.run(ctx)
        report.results.append(result)
        if on_result:
            on_result(result)
    return report

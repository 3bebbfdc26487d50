"""A progress bar on a terminal, silence elsewhere; errors always reach stderr as one line."""

from __future__ import annotations

import sys
from typing import Any, Callable


class Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeRemainingColumn

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                            TimeRemainingColumn(), transient=False)
            self._bar.start()
        return self

    def __exit__(self, *_: Any) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, name: str, frames: float) -> Callable[[int], None] | None:
        if self._bar is None:
            return None
        task = self._bar.add_task(name, total=max(frames, 1))
        return lambda n: self._bar.advance(task, n)

    def error(self, message: str) -> None:
        line = f"synth-host: error: {message}"
        if self._bar is not None:
            self._bar.console.print(line, style="red", markup=False, highlight=False)
        else:
            print(line, file=sys.stderr)

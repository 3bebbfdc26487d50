"""Run tiny recurrent models on one thread.

A recurrence of a few dozen units per sample cannot use more than one core, and OpenMP's extra threads
only wait on each other; when other processes share the cores (a batch render, a training run) that
waiting turns a capture that runs many times faster than real time into one slower than real time.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def one_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)

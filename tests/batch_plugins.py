"""Plugins that misbehave on purpose, loaded in batch workers through SYNTH_HOST_PLUGIN_MODULES."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np

from plugin_specs import Effect, Parameter, PluginInfo, hookimpl


class Fault(Effect):
    """Passes audio through, unless the block is loud (peak above ``loud``): then it does ``mode``."""

    info = PluginInfo(id="test-fault", name="Test fault", version="1.0")
    parameters = (
        Parameter("mode", "str", "raise", choices=("raise", "crash", "hang", "slow")),
        Parameter("loud", "float", 0.9, 0.0, 10.0),
        Parameter("once", "str", "", description="a marker file: misbehave only while it does not exist"),
    )

    def process(self, audio: np.ndarray) -> np.ndarray:
        mode = self.params["mode"]
        if mode == "slow":
            time.sleep(0.05)
            return audio
        if audio.size and float(np.abs(audio).max()) > self.params["loud"]:
            marker = self.params["once"]
            if marker:
                if Path(marker).exists():
                    return audio
                Path(marker).touch()
            if mode == "raise":
                raise RuntimeError("test-fault: loud block")
            if mode == "crash":
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "hang":
                time.sleep(120)
        return audio


@hookimpl
def register_effects(register):
    register(Fault)

"""A plugin module that does heavy work at import time, which every host start would pay for."""

import time

import numpy as np

from plugin_specs import Effect, PluginInfo

time.sleep(0.8)  # stands in for loading a model at import


class SlowToImport(Effect):
    info = PluginInfo(id="slow-to-import", name="Slow", version="1.0.0", description="Sleeps on import.",
                      authors=("tests",), license="MIT")

    def process(self, audio):
        return np.asarray(audio)

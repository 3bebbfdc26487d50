"""A plugin module that imports torch at top level instead of inside prepare()."""

import torch  # noqa: F401

from plugin_specs import Effect, PluginInfo


class ImportsTorch(Effect):
    info = PluginInfo(id="imports-torch", name="Eager", version="1.0.0", description="Imports torch early.",
                      authors=("tests",), license="MIT")

    def process(self, audio):
        return audio

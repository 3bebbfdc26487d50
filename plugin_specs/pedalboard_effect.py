"""Effects backed by one pedalboard plugin; the host fuses consecutive ones into one Pedalboard.

pedalboard is imported only when a plugin is built, never when this module loads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Effect


class PedalboardEffect(Effect):
    """Subclass and implement :meth:`build`; parameters map to same-named plugin attributes.

    pedalboard already compensates the latency its plugins report, so ``process``
    may return fewer samples than it was given early in a stream; the host drains
    the rest with silence at the end.
    """

    #: False for plugins whose ``reset=False`` streaming is broken in pedalboard:
    #: the host then renders them in fixed, overlapping windows instead.
    streams: ClassVar[bool] = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._plugin: Any = None

    def build(self) -> Any:
        """Return a new ``pedalboard.Plugin`` configured from ``self.params``."""
        raise NotImplementedError

    def pedalboard_plugin(self) -> Any:
        """The underlying pedalboard plugin, built on first use."""
        if self._plugin is None:
            self._plugin = self.build()
        return self._plugin

    def apply_parameter(self, plugin: Any, name: str, value: Any) -> None:
        """Push one validated parameter into the live pedalboard plugin."""
        setattr(plugin, name, value)

    def set_parameter(self, name: str, value: Any) -> None:
        super().set_parameter(name, value)
        if self._plugin is not None:
            self.apply_parameter(self._plugin, name, self.params[name])

    def process(self, audio: Any) -> Any:
        if self.sample_rate is None:
            raise RuntimeError(f"{self.info.id}: prepare() must be called before process()")
        return self.pedalboard_plugin().process(audio, self.sample_rate, reset=False)

    def reset(self) -> None:
        if self._plugin is not None:
            self._plugin.reset()

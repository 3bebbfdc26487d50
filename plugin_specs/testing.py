"""The conformance suite for plugin authors' own test suites.

Subclass :class:`PluginConformance` in a test module and pytest (with synth-host
installed) runs one test per validator check that applies to your plugin's kind::

    from plugin_specs.testing import PluginConformance
    from my_plugin import Saturator

    class TestSaturator(PluginConformance):
        plugin = Saturator
        strictness = 7
"""

from __future__ import annotations

from typing import Any, ClassVar


class PluginConformance:
    """Set ``plugin`` to a Plugin subclass, or to a registered id or ``scheme:REF`` string."""

    plugin: ClassVar[Any] = None
    params: ClassVar[dict[str, Any]] = {}
    strictness: ClassVar[int] = 7
    seed: ClassVar[int] = 0

    def test_conformance(self, conformance_check: str, conformance_context: Any) -> None:
        import pytest

        from host.validation import CHECKS

        result = CHECKS[conformance_check].run(conformance_context)
        if result.status == "skip":
            pytest.skip(result.message)
        assert result.status == "pass", f"{conformance_check}: {result.message}"

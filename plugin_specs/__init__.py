"""synth-host's stable plugin API: import this, nothing heavier.

A plugin package exposes a module under the ``synth_host`` entry-point group
and implements hooks from :mod:`plugin_specs.hookspecs` with ``@hookimpl``.
"""

from .base import Classifier, Effect, Generator, Plugin, Watermarker
from .errors import (
    AudioInputError,
    ChainError,
    OutputError,
    ParameterError,
    PluginError,
    SynthHostError,
    WeightsError,
)
from .hookspecs import PROJECT, hookimpl, hookspec
from .info import KINDS, PluginInfo
from .params import Parameter, validate_params
from .results import ClassificationResult, Note, Segment, WatermarkDetection

API_VERSION = "1.0"

__all__ = [
    "API_VERSION",
    "AudioInputError",
    "ChainError",
    "ClassificationResult",
    "Classifier",
    "Effect",
    "Generator",
    "KINDS",
    "OutputError",
    "PROJECT",
    "Note",
    "Parameter",
    "ParameterError",
    "Plugin",
    "PluginError",
    "PluginInfo",
    "Segment",
    "SynthHostError",
    "Watermarker",
    "WatermarkDetection",
    "WeightsError",
    "hookimpl",
    "hookspec",
    "validate_params",
]

"""The one exception family users see; the CLI prints these as one line."""

from __future__ import annotations


class SynthHostError(Exception):
    """Base of every user-facing error: the CLI prints ``str(err)`` and exits non-zero."""


class PluginError(SynthHostError):
    """A plugin could not be found, loaded or instantiated."""


class ParameterError(SynthHostError):
    """A parameter name, type or value does not match its declaration."""


class AudioInputError(SynthHostError):
    """An input file is missing, unreadable, empty or holds non-finite samples."""


class OutputError(SynthHostError):
    """An output path cannot be written, or exists without ``--overwrite``."""


class ChainError(SynthHostError):
    """A chain description is malformed."""


class WeightsError(SynthHostError):
    """A model weights file is missing, corrupt or does not match its model."""

"""Base classes for the four plugin kinds.

Audio crosses this API as float32 ``(channels, samples)`` numpy arrays, or, for
effects whose ``backend`` is ``"torch"``, as ``(batch, channels, samples)``
tensors already on ``self.device``. Nothing here imports numpy or torch, so a
plugin package can be discovered without paying for either.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from .info import PluginInfo
from .params import Parameter, validate_params
from .results import ClassificationResult, WatermarkDetection


class Plugin:
    """Common life cycle: construct with parameters, ``prepare``, process, ``reset``."""

    kind: ClassVar[str] = ""
    info: ClassVar[PluginInfo]
    parameters: ClassVar[Sequence[Parameter]] = ()

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = validate_params(self.parameters, params, owner=self.info.id)
        self.sample_rate: int | None = None
        self.channels: int | None = None
        self.block_size: int | None = None
        self.device: str = "cpu"

    @classmethod
    def example_params(cls, workdir: str) -> dict[str, Any]:
        """Parameters that make a working instance, for the validator, tests and docs.

        Override when a parameter has no usable default (a file path, say); fixture
        files may be written into ``workdir``.
        """
        return {}

    def set_parameter(self, name: str, value: Any) -> None:
        """Change one parameter between blocks; validated like construction."""
        declared = [p for p in self.parameters if p.name == name]
        if not declared:
            validate_params(self.parameters, {name: value}, owner=self.info.id)  # raises "unknown parameter"
        self.params[name] = declared[0].coerce(value, self.info.id)

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        """Called once before audio flows; load models and size buffers here, not in ``__init__``."""
        self.sample_rate = sample_rate
        self.channels = channels
        self.block_size = block_size
        self.device = device

    def reset(self) -> None:
        """Forget all state carried between blocks, as if freshly prepared."""

    def latency_samples(self) -> int:
        """Delay the plugin adds, in samples at its processing rate; the host compensates it."""
        return self.info.latency_samples

    def tail_seconds(self) -> float:
        """How long output keeps ringing after input stops (reverb, delay)."""
        return self.info.tail_seconds

    def output_channels(self, input_channels: int) -> int:
        """Channel count produced for a given input channel count."""
        return input_channels

    def state(self) -> dict[str, Any]:
        """Everything needed to restore this instance: by default its parameters."""
        return {"params": dict(self.params)}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state`` returned."""
        for name, value in state.get("params", {}).items():
            self.set_parameter(name, value)


class Effect(Plugin):
    """Audio in, audio out; may carry state across blocks.

    ``process`` receives consecutive blocks of one stream and must return as many
    samples as it was given (report delay through ``latency_samples`` instead).
    """

    kind = "effect"
    #: ``"numpy"``: blocks are (channels, samples) float32 arrays.
    #: ``"torch"``: blocks are (batch, channels, samples) float32 tensors on ``self.device``.
    backend: ClassVar[str] = "numpy"

    def process(self, audio: Any) -> Any:
        raise NotImplementedError


class Generator(Plugin):
    """Makes audio from parameters, a seed, a duration and optionally notes."""

    kind = "generator"

    def generate(
        self, duration: float, sample_rate: int, seed: int = 0, notes: Sequence[Any] | None = None
    ) -> Any:
        """Return float32 ``(channels, samples)`` audio of ``round(duration * sample_rate)`` samples.

        ``notes`` is a sequence of :class:`~plugin_specs.results.Note` (or equal tuples); without
        notes a generator plays its default material.
        """
        raise NotImplementedError


class Watermarker(Plugin):
    """Embeds a message inaudibly and later detects it."""

    kind = "watermark"
    message_bits: ClassVar[int] = 16

    def embed(self, audio: Any, message: str) -> Any:
        """Return ``audio`` carrying ``message`` (hex), same shape."""
        raise NotImplementedError

    def detect(self, audio: Any) -> WatermarkDetection:
        """Say whether, where and with which message ``audio`` is marked."""
        raise NotImplementedError

    def embedder(self, message: str, channels: int | None = None) -> Any:
        """Optional streaming embed, so a chain can mark a long file in bounded memory.

        Return an object whose ``process(block)`` takes ``(channels, samples)`` float32 and returns the
        marked audio aligned with the input, possibly fewer samples than given; the rest comes out as
        more input or silence arrives, within ``latency_bound`` samples. With the default ``None`` a
        chain calls :meth:`embed` on consecutive 30 s windows.
        """
        return None


class Classifier(Plugin):
    """Clip-level scores plus a per-frame timeline."""

    kind = "classifier"
    labels: ClassVar[Sequence[str]] = ()

    def classify(self, audio: Any) -> ClassificationResult:
        raise NotImplementedError


KIND_CLASSES: dict[str, type[Plugin]] = {
    "generator": Generator,
    "effect": Effect,
    "watermark": Watermarker,
    "classifier": Classifier,
}

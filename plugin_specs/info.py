"""Plugin metadata: what a plugin promises the host about itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("generator", "effect", "watermark", "classifier")


@dataclass(frozen=True)
class PluginInfo:
    """Static metadata; per-instance figures (latency, tail) may be refined by methods.

    ``sample_rates`` and ``channels`` of ``None`` mean "any". ``block_size``, when set,
    is the multiple every processed block must be. ``receptive_field`` is how many
    samples of past input a stateless plugin needs to produce one output sample.
    """

    id: str
    name: str = ""
    version: str = "0.0.0"
    authors: tuple[str, ...] = ()
    description: str = ""
    tags: tuple[str, ...] = ()
    license: str = ""
    citation: str = ""
    sample_rates: tuple[int, ...] | None = None
    channels: tuple[int, ...] | None = None
    latency_samples: int = 0
    tail_seconds: float = 0.0
    block_size: int | None = None
    receptive_field: int = 1
    stateful: bool = False
    batchable: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id or self.id != self.id.strip():
            raise ValueError(f"plugin id {self.id!r} is empty or padded")
        if self.latency_samples < 0 or self.tail_seconds < 0 or self.receptive_field < 1:
            raise ValueError(f"plugin {self.id}: latency, tail and receptive field must be non-negative")
        if self.block_size is not None and self.block_size < 1:
            raise ValueError(f"plugin {self.id}: block_size must be positive")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        for key in ("authors", "tags", "sample_rates", "channels"):
            if out[key] is not None:
                out[key] = list(out[key])
        return out

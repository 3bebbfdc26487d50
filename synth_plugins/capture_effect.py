"""Captures as chain effects: ``capture:PATH`` for any capture file, and the bundled captures by id.

A capture is a mono model, so each channel runs as one batch row with its own state; the model runs
at the rate it was captured at and the chain resamples around it. A network's answer to silence is
rarely exactly zero, so the plugin starts from the state silence settles it into and subtracts the
constant it then outputs: silence in, silence out, with no start-up thump.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plugin_specs import Effect, Parameter, PluginError, PluginInfo, SynthHostError, hookimpl

from .block_ramp import ramp
from .torch_threads import one_thread
from .weights import WEIGHTS_DIR

CAPTURE_DIR = WEIGHTS_DIR / "captures"
CAPTURE_RATE = 48000
SETTLE_SECONDS = 1.0
PARAMETERS = (
    Parameter("mix", "float", 1.0, 0.0, 1.0, description="Share of the captured sound; the rest is the dry input"),
    Parameter("output_db", "float", 0.0, -24.0, 24.0, unit="dB", description="Gain after the capture"),
)


class CaptureEffect(Effect):
    """Runs one capture file; subclasses name the file in ``capture_path``."""

    backend = "torch"
    parameters = PARAMETERS
    capture_path: str = ""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.net: Any = None
        self.state_: Any = None
        self._net_device: str | None = None
        self._applied: tuple[float, float] | None = None

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        if self.net is None or self._net_device != device:
            import torch

            from .capture_file import load_capture

            capture = load_capture(self.capture_path)
            self.net = capture.build(device)
            with torch.inference_mode():
                silence = torch.zeros(1, int(SETTLE_SECONDS * capture.sample_rate), device=device)
                out, self._rest_state = self.net.stream(silence, None)
            self._rest_output = float(out[0, -1])
            self._net_device = device
        self.reset()

    def reset(self) -> None:
        self.state_ = None
        self._applied = None

    def _targets(self) -> tuple[float, float]:
        return float(self.params["mix"]), 10.0 ** (self.params["output_db"] / 20.0)

    def process(self, audio: Any) -> Any:
        batch, channels, n = audio.shape
        rows = audio.reshape(batch * channels, n)
        if self.state_ is None:
            self.state_ = self.net.repeat_state(self._rest_state, rows.shape[0])
        with one_thread():
            wet, self.state_ = self.net.stream(rows, self.state_)
        wet = wet - self._rest_output
        target = self._targets()
        start = self._applied or target
        self._applied = target
        mix, gain = ramp(start[0], target[0], n, audio), ramp(start[1], target[1], n, audio)
        return ((mix * wet + (1.0 - mix) * rows) * gain).reshape(batch, channels, n)


def _info(plugin_id: str, name: str, description: str, rate: int, tags: tuple[str, ...],
          extra: dict[str, Any]) -> PluginInfo:
    return PluginInfo(id=plugin_id, name=name, version="1.0.0", authors=("synth-host developers",),
                      description=description, tags=("capture", "neural", *tags), license="GPL-3.0-or-later",
                      sample_rates=(rate,), stateful=True, batchable=True, extra=extra)


def load_capture_step(ref: str, params: dict[str, Any]) -> CaptureEffect:
    """Factory for the ``capture`` scheme: ``capture:PATH``."""
    from .capture_file import load_capture

    if not ref:
        raise PluginError("capture:: expected capture:PATH to a .safetensors capture file")
    try:
        capture = load_capture(Path(ref))
    except SynthHostError as exc:  # its message starts with the path, which the step id already gives
        reason = str(exc).removeprefix(str(Path(ref))).lstrip(": ")
        raise PluginError(f"capture:{ref}: {reason}") from None
    meta = capture.metadata
    info = _info(f"capture:{ref}", str(meta.get("name", Path(ref).stem)),
                 f"Neural capture ({capture.arch}) of {meta.get('captured', 'an effect chain')}",
                 capture.sample_rate, (capture.arch,), {"metrics": capture.metrics})
    cls = type("CaptureFile", (CaptureEffect,), {"info": info, "capture_path": str(ref)})
    return cls(**params)


def _bundled(plugin_id: str, name: str, description: str) -> type[CaptureEffect]:
    info = _info(plugin_id, name, description, CAPTURE_RATE, (),
                 {"weights": f"synth_plugins/weights/captures/{plugin_id}.safetensors"})
    return type(name.replace(" ", ""), (CaptureEffect,),
                {"info": info, "capture_path": str(CAPTURE_DIR / f"{plugin_id}.safetensors"), "__doc__": description})


BUNDLED = (
    _bundled("capture-overdrive", "Captured overdrive",
             "A neural capture of a drive pedal: tone-shaping filters around a hard Distortion stage."),
    _bundled("capture-bus-glue", "Captured bus glue",
             "A neural capture of a mix-bus chain: a 4:1 Compressor into gentle saturation."),
    _bundled("capture-lofi", "Captured lo-fi",
             "A neural capture of a telephone-band lo-fi chain: band-limiting, drive and a 12-bit crush."),
)


@hookimpl
def register_effects(register):
    for cls in BUNDLED:
        register(cls)


@hookimpl
def register_step_schemes(register):
    register("capture", load_capture_step)

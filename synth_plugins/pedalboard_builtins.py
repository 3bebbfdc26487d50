"""Every pedalboard built-in effect, exposed under its class name with declared parameters.

Declarations are plain data so listing plugins never imports pedalboard.
"""

from __future__ import annotations

import math
from typing import Any

from plugin_specs import Parameter, PluginInfo, hookimpl
from plugin_specs.pedalboard_effect import PedalboardEffect

P = Parameter
_QUALITIES = ("ZeroOrderHold", "Linear", "CatmullRom", "Lagrange", "WindowedSinc", "WindowedSinc256",
              "WindowedSinc128", "WindowedSinc64", "WindowedSinc32", "WindowedSinc16", "WindowedSinc8")
_LADDER_MODES = ("LPF12", "HPF12", "BPF12", "LPF24", "HPF24", "BPF24")
#: Filter frequencies above Nyquist make JUCE's filters unstable, so they are clamped per rate.
_NYQUIST_LIMITED = {"cutoff_frequency_hz", "cutoff_hz", "centre_frequency_hz"}
_NYQUIST_FRACTION = 0.45
_ENUMS = {"quality": ("Resample", "Quality"), "mode": ("LadderFilter", "Mode")}


def _freq(name: str, default: float, text: str) -> Parameter:
    return P(name, "float", default, 1.0, 96000.0, unit="Hz", description=text)


def _q(default: float = 0.7071067690849304) -> Parameter:
    return P("q", "float", default, 0.01, 100.0, description="Filter quality factor")


def _gain(default: float = 0.0, lo: float = -96.0, hi: float = 48.0) -> Parameter:
    return P("gain_db", "float", default, lo, hi, unit="dB", description="Gain")


def _delay_tail(p: dict[str, Any]) -> float:
    """Seconds until a feedback delay has decayed by 60 dB."""
    fb = abs(p["feedback"])
    if fb <= 0.0:
        return p["delay_seconds"]
    if fb >= 1.0:
        return math.inf
    return p["delay_seconds"] * (1 + math.log(1e-3) / math.log(fb))


def _filter_tail(order: float = 1.0, freq: str = "cutoff_frequency_hz"):
    """-60 dB decay of a filter's impulse response: 6.9 time constants, stretched by Q."""

    def tail(p: dict[str, Any]) -> float:
        q = max(float(p.get("q", 0.5)), 0.5)
        if "resonance" in p:
            q = 0.5 / max(1e-3, 1.0 - float(p["resonance"]))
        return order * 6.9 * 2 * q / (2 * math.pi * max(float(p[freq]), 1e-3))

    return tail


def _reverb_tail(p: dict[str, Any]) -> float:
    """Freeverb's decay grows steeply with room size; freeze never decays."""
    if p["freeze_mode"] >= 0.5:
        return math.inf
    return 0.5 + 8.0 * p["room_size"] ** 2


def _file_tail(p: dict[str, Any]) -> float:
    """A convolution rings for exactly as long as its impulse response."""
    import soundfile

    try:
        return float(soundfile.info(p["impulse_response_filename"]).duration)
    except Exception:  # unreadable files are reported when pedalboard loads them
        return 0.0


def _example_impulse_response(workdir: str) -> dict[str, Any]:
    """A 0.3 s exponentially decaying noise burst: a small, plausible room."""
    import numpy as np
    import soundfile

    rng = np.random.default_rng(0)
    n = int(0.3 * 48000)
    ir = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.05 * 48000)) * 0.3
    ir[0] = 1.0
    path = f"{workdir}/example-ir.wav"
    soundfile.write(path, ir.astype(np.float32), 48000, subtype="FLOAT")
    return {"impulse_response_filename": path}


# id: (description, parameters, tags, tail function or constant, latency note)
BUILTINS: dict[str, dict[str, Any]] = {
    "Bitcrush": dict(desc="Reduce bit depth for a lo-fi, quantised sound.", tags=("distortion", "lo-fi"),
                     params=[P("bit_depth", "float", 8.0, 1.0, 32.0, unit="bits", description="Quantisation depth")]),
    "Chorus": dict(desc="Modulated delay chorus.", tags=("modulation",), tail=0.05,
                   params=[P("rate_hz", "float", 1.0, 0.0, 100.0, unit="Hz", description="LFO rate"),
                           P("depth", "float", 0.25, 0.0, 1.0, description="Modulation depth"),
                           P("centre_delay_ms", "float", 7.0, 0.0, 100.0, unit="ms", description="Centre delay"),
                           P("feedback", "float", 0.0, -0.95, 0.95, description="Feedback amount"),
                           P("mix", "float", 0.5, 0.0, 1.0, description="Wet/dry mix")]),
    "Clipping": dict(desc="Hard clip at a threshold.", tags=("distortion",),
                     params=[P("threshold_db", "float", -6.0, -96.0, 24.0, unit="dB", description="Clip level")]),
    "Compressor": dict(desc="Dynamic range compressor.", tags=("dynamics",),
                       tail=lambda p: p["release_ms"] / 1000.0,
                       params=[P("threshold_db", "float", 0.0, -96.0, 24.0, unit="dB", description="Threshold"),
                               P("ratio", "float", 1.0, 1.0, 100.0, description="Compression ratio"),
                               P("attack_ms", "float", 1.0, 0.0, 1000.0, unit="ms", description="Attack time"),
                               P("release_ms", "float", 100.0, 0.0, 10000.0, unit="ms", description="Release time")]),
    "Convolution": dict(desc="Convolve with an impulse response file.", tags=("reverb",), tail=_file_tail,
                        examples=_example_impulse_response,
                        params=[P("impulse_response_filename", "str", None, required=True,
                                  description="Path of the impulse response audio file"),
                                P("mix", "float", 1.0, 0.0, 1.0, description="Wet/dry mix")]),
    "Delay": dict(desc="Feedback delay line.", tags=("delay",), tail=_delay_tail,
                  params=[P("delay_seconds", "float", 0.5, 0.0, 30.0, unit="s", description="Delay time"),
                          P("feedback", "float", 0.0, 0.0, 1.0, description="Feedback amount"),
                          P("mix", "float", 0.5, 0.0, 1.0, description="Wet/dry mix")]),
    "Distortion": dict(desc="tanh waveshaping distortion.", tags=("distortion",),
                       params=[P("drive_db", "float", 25.0, -96.0, 96.0, unit="dB", description="Drive")]),
    "GSMFullRateCompressor": dict(desc="GSM full-rate codec round trip (8 kHz telephone sound).", tags=("codec", "lo-fi"),
                                  tail=0.4,
                                  params=[P("quality", "str", "WindowedSinc8", choices=_QUALITIES, description="Resampler quality")]),
    "Gain": dict(desc="Change level by a fixed number of decibels.", tags=("utility",), params=[_gain(1.0)]),
    "HighShelfFilter": dict(desc="High shelf equaliser.", tags=("filter", "eq"), tail=_filter_tail(2),
                            params=[_freq("cutoff_frequency_hz", 440.0, "Shelf frequency"), _gain(), _q()]),
    "HighpassFilter": dict(desc="First-order high-pass filter.", tags=("filter",), tail=_filter_tail(1),
                           params=[_freq("cutoff_frequency_hz", 50.0, "Cutoff frequency")]),
    "Invert": dict(desc="Flip polarity.", tags=("utility",), params=[]),
    "LadderFilter": dict(desc="Moog-style ladder filter.", tags=("filter",), tail=_filter_tail(4, "cutoff_hz"),
                         params=[P("mode", "str", "LPF12", choices=_LADDER_MODES, description="Filter mode"),
                                 _freq("cutoff_hz", 200.0, "Cutoff frequency"),
                                 P("resonance", "float", 0.0, 0.0, 1.0, description="Resonance"),
                                 P("drive", "float", 1.0, 1.0, 100.0, description="Input drive")]),
    "Limiter": dict(desc="Simple brick-wall style limiter.", tags=("dynamics",),
                    tail=lambda p: p["release_ms"] / 1000.0,
                    params=[P("threshold_db", "float", -10.0, -96.0, 24.0, unit="dB", description="Threshold"),
                            P("release_ms", "float", 100.0, 0.0, 10000.0, unit="ms", description="Release time")]),
    "LowShelfFilter": dict(desc="Low shelf equaliser.", tags=("filter", "eq"), tail=_filter_tail(2),
                           params=[_freq("cutoff_frequency_hz", 440.0, "Shelf frequency"), _gain(), _q()]),
    "LowpassFilter": dict(desc="First-order low-pass filter.", tags=("filter",), tail=_filter_tail(1),
                          params=[_freq("cutoff_frequency_hz", 50.0, "Cutoff frequency")]),
    "MP3Compressor": dict(desc="LAME MP3 encode/decode round trip.", tags=("codec", "lo-fi"),
                          rates=(32000, 44100, 48000),
                          params=[P("vbr_quality", "float", 2.0, 0.0, 10.0, description="LAME VBR quality, 0 best, 10 worst")]),
    "NoiseGate": dict(desc="Downward expander / noise gate.", tags=("dynamics",),
                      tail=lambda p: p["release_ms"] / 1000.0,
                      params=[P("threshold_db", "float", -100.0, -120.0, 24.0, unit="dB", description="Threshold"),
                              P("ratio", "float", 10.0, 1.0, 100.0, description="Expansion ratio"),
                              P("attack_ms", "float", 1.0, 0.0, 1000.0, unit="ms", description="Attack time"),
                              P("release_ms", "float", 100.0, 0.0, 10000.0, unit="ms", description="Release time")]),
    "PeakFilter": dict(desc="Peaking equaliser band.", tags=("filter", "eq"), tail=_filter_tail(2),
                       params=[_freq("cutoff_frequency_hz", 440.0, "Centre frequency"), _gain(), _q()]),
    "Phaser": dict(desc="Phaser.", tags=("modulation",), tail=0.05,
                   params=[P("rate_hz", "float", 1.0, 0.0, 100.0, unit="Hz", description="LFO rate"),
                           P("depth", "float", 0.5, 0.0, 1.0, description="Modulation depth"),
                           _freq("centre_frequency_hz", 1300.0, "Centre frequency"),
                           P("feedback", "float", 0.0, -0.95, 0.95, description="Feedback amount"),
                           P("mix", "float", 0.5, 0.0, 1.0, description="Wet/dry mix")]),
    "PitchShift": dict(desc="Rubber Band pitch shifter; length is preserved.", tags=("pitch",), streams=False,
                       params=[P("semitones", "float", 0.0, -72.0, 72.0, unit="semitones", description="Pitch shift")]),
    "Resample": dict(desc="Downsample then upsample, for aliasing and bandwidth loss.", tags=("lo-fi",),
                     params=[P("target_sample_rate", "float", 8000.0, 100.0, 384000.0, unit="Hz", description="Intermediate rate"),
                             P("quality", "str", "WindowedSinc32", choices=_QUALITIES, description="Resampler quality")]),
    "Reverb": dict(desc="Freeverb-style algorithmic reverb.", tags=("reverb",), tail=_reverb_tail,
                   params=[P("room_size", "float", 0.5, 0.0, 1.0, description="Room size"),
                           P("damping", "float", 0.5, 0.0, 1.0, description="High-frequency damping"),
                           P("wet_level", "float", 0.33, 0.0, 1.0, description="Wet level"),
                           P("dry_level", "float", 0.4, 0.0, 1.0, description="Dry level"),
                           P("width", "float", 1.0, 0.0, 1.0, description="Stereo width"),
                           P("freeze_mode", "float", 0.0, 0.0, 1.0, description="Freeze (>= 0.5 holds the tail forever)")]),
}


class BuiltinEffect(PedalboardEffect):
    """A pedalboard built-in; the class name in ``pedalboard`` equals the plugin id."""

    _tail: Any = 0.0
    _examples: Any = None

    def build(self) -> Any:
        import pedalboard

        kwargs = {name: self._native(pedalboard, name, value) for name, value in self.params.items()}
        return getattr(pedalboard, self.info.id)(**kwargs)

    def apply_parameter(self, plugin: Any, name: str, value: Any) -> None:
        import pedalboard

        setattr(plugin, name, self._native(pedalboard, name, value))

    def prepare(self, sample_rate: int, channels: int, block_size: int, device: str = "cpu") -> None:
        super().prepare(sample_rate, channels, block_size, device)
        self._plugin = None  # rebuilt on first use, so frequencies are clamped for this rate

    def _native(self, pedalboard: Any, name: str, value: Any) -> Any:
        if name in _NYQUIST_LIMITED and self.sample_rate:
            return min(float(value), _NYQUIST_FRACTION * self.sample_rate)
        if name in _ENUMS and isinstance(value, str):
            owner, enum = _ENUMS[name]
            return getattr(getattr(getattr(pedalboard, owner), enum), value)
        return value

    @classmethod
    def example_params(cls, workdir: str) -> dict[str, Any]:
        return cls._examples(workdir) if cls._examples else {}

    def tail_seconds(self) -> float:
        tail = self._tail
        return float(tail(self.params)) if callable(tail) else float(tail)


def _make(plugin_id: str, spec: dict[str, Any]) -> type[BuiltinEffect]:
    info = PluginInfo(
        id=plugin_id,
        name=plugin_id,
        version="pedalboard",
        authors=("Spotify (pedalboard)",),
        description=spec["desc"],
        tags=("pedalboard",) + spec["tags"],
        license="GPL-3.0",
        sample_rates=spec.get("rates"),
    )
    attrs = {
        "info": info,
        "parameters": tuple(spec["params"]),
        "_tail": staticmethod(spec["tail"]) if callable(spec.get("tail")) else spec.get("tail", 0.0),
        "streams": spec.get("streams", True),
        "_examples": staticmethod(spec["examples"]) if "examples" in spec else None,
        "__doc__": spec["desc"],
    }
    return type(plugin_id, (BuiltinEffect,), attrs)


EFFECTS = [_make(name, spec) for name, spec in BUILTINS.items()]


@hookimpl
def register_effects(register):
    for cls in EFFECTS:
        register(cls)

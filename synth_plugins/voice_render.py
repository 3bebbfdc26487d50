"""Notes -> audio with a DDSP decoder and envelope: one voice per note, voices summed (polyphony).

Voices are rendered in batches of similar length; each runs for its held duration plus a release tail
that ends where the envelope falls below -70 dB (at most ``MAX_TAIL_S``), so short notes stay cheap.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from plugin_specs import Note, ParameterError

from .models.ddsp_nets import HOP, RATE

MAX_TAIL_S = 1.5
SILENT_DB = -70.0
RELATIVE_DB = 50.0
BATCH = 32
FADE = 64  # samples of fade at a voice's cut, so a trimmed tail never clicks
KNEE_DB = 10.0  # a release fades to nothing over its last 10 dB before the cut


def as_notes(notes: Sequence[Any], owner: str) -> list[Note]:
    """Validate and normalise a note list; every fault names the note."""
    out = []
    for i, raw in enumerate(notes):
        try:
            note = raw if isinstance(raw, Note) else Note(*raw)
            start, duration, pitch, velocity = float(note.start), float(note.duration), float(note.pitch), int(note.velocity)
        except (TypeError, ValueError):
            raise ParameterError(f"{owner}: note {i} {raw!r} is not (start, duration, pitch[, velocity])") from None
        if not (math.isfinite(start) and start >= 0):
            raise ParameterError(f"{owner}: note {i} starts at {start}; times must be >= 0 seconds")
        if not (math.isfinite(duration) and duration > 0):
            raise ParameterError(f"{owner}: note {i} lasts {duration} s; durations must be > 0")
        if not (0 <= pitch <= 127):
            raise ParameterError(f"{owner}: note {i} has pitch {pitch}; MIDI pitch must be 0-127")
        if not (1 <= velocity <= 127):
            raise ParameterError(f"{owner}: note {i} has velocity {velocity}; velocity must be 1-127")
        out.append(Note(start, duration, pitch, velocity))
    return out


def render_notes(model: Any, timbre: Any, notes: Sequence[Note], samples: int, seed: int) -> np.ndarray:
    """Mono float32 audio of ``samples`` at the model rate; ``timbre`` is a (D,) tensor for every voice."""
    import torch

    from .models.ddsp_nets import filtered_noise, midi_to_hz, note_events, steady_harmonic_bank

    out = np.zeros(samples + HOP, np.float32)
    live = [n for n in notes if int(round(n.start * RATE)) < samples]
    order = sorted(range(len(live)), key=lambda i: (live[i].pitch, live[i].duration, live[i].start))
    device = timbre.device
    generator = torch.Generator(device=device).manual_seed(int(seed))
    tail = int(MAX_TAIL_S * RATE / HOP)
    with torch.inference_mode():
        for at in range(0, len(order), BATCH):
            group = [live[i] for i in order[at : at + BATCH]]
            start = np.array([int(round(n.start * RATE)) for n in group])
            hold = torch.tensor([max(1, round(n.duration * RATE / HOP)) for n in group], device=device)
            room = torch.from_numpy((samples - start + HOP - 1) // HOP).to(device)  # frames left before the output ends
            frames = torch.minimum(hold + tail, room.clamp_min(1))
            t = int(frames.max())
            pitch = torch.tensor([n.pitch for n in group], dtype=torch.float32, device=device)
            velocity = torch.tensor([n.velocity for n in group], device=device)
            voice_timbre = timbre[None].expand(len(group), -1)
            loud = model.envelope(note_events(t, hold, velocity, pitch), voice_timbre)
            frames = torch.minimum(frames, _audible_frames(loud, hold))
            t = int(frames.max())
            hz = midi_to_hz(pitch)
            harmonics, noise, _ = model.decoder.controls(hz[:, None].expand(-1, t), loud[:, :t], voice_timbre)
            audio = steady_harmonic_bank(hz, harmonics[..., : _harmonics_below_nyquist(hz, harmonics.shape[-1])])
            audio = (audio + filtered_noise(noise, generator)) * _tail_gain(loud[:, :t], hold)
            audio = audio.cpu().numpy()
            for row, (s, f) in enumerate(zip(start, frames.tolist())):
                n = min(f * HOP, samples - s)
                voice = audio[row, :n].copy()
                fade = min(FADE, n)
                voice[n - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
                out[s : s + n] += voice
        if getattr(model, "ensemble", None) is not None:  # linear, so once on the sum serves every voice
            out = model.ensemble(torch.from_numpy(out[None]).to(device), timbre[None])[0].cpu().numpy()
    return out[:samples]


def _harmonics_below_nyquist(hz: Any, k: int) -> int:
    """How many harmonics the lowest voice of a batch can use; the rest are silent for every voice."""
    return max(1, min(k, int(RATE / 2 / float(hz.min()))))


def _floor(loud: Any) -> Any:
    return (loud.max(dim=1, keepdim=True).values - RELATIVE_DB).clamp_min(SILENT_DB)


def _tail_gain(loud: Any, hold: Any) -> Any:
    """Per-sample gain that fades a release over its last ``KNEE_DB`` above the floor where it is cut.

    The cut itself falls on a frame, so without this a tiny change of timbre or velocity could move it by a
    frame and add or drop a whole frame of tail; with it, what is cut was already faded to nothing.
    """
    import torch

    index = torch.arange(loud.shape[1], device=loud.device)[None, :]
    gain = ((loud - _floor(loud)) / KNEE_DB).clamp(0.0, 1.0)
    gain = torch.where(index < hold[:, None], torch.ones_like(gain), gain)
    after = torch.cat([gain[:, 1:], torch.zeros_like(gain[:, :1])], dim=1)  # each frame ramps to the next one's
    ramp = torch.arange(HOP, device=loud.device, dtype=gain.dtype) / HOP
    return (gain[..., None] + (after - gain)[..., None] * ramp).reshape(gain.shape[0], -1)


def _audible_frames(loud: Any, hold: Any) -> Any:
    """Frames each voice needs: through its hold, then until the envelope is 50 dB under its peak or below
    SILENT_DB, whichever comes first."""
    import torch

    t = loud.shape[1]
    index = torch.arange(t, device=loud.device)[None, :]
    floor = _floor(loud)
    loud_after = (loud > floor) & (index >= hold[:, None])
    last = torch.where(loud_after, index, torch.zeros_like(index)).max(dim=1).values
    return torch.maximum(hold, last + 1).clamp(max=t)

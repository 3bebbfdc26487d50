"""Reading and writing audio files: validation up front, blocks in, atomic writes out."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import soundfile as sf

from plugin_specs import AudioInputError, OutputError

from .arrays import interleave

READ_EXTENSIONS = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc"}
# output format name -> (libsndfile major format, allowed subtypes, default subtype, file extension)
WRITE_FORMATS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "wav": ("WAV", ("PCM_16", "PCM_24", "PCM_32", "FLOAT"), "PCM_24", ".wav"),
    "flac": ("FLAC", ("PCM_16", "PCM_24"), "PCM_24", ".flac"),
    "ogg": ("OGG", ("VORBIS", "OPUS"), "VORBIS", ".ogg"),
    "opus": ("OGG", ("OPUS",), "OPUS", ".opus"),
    "mp3": ("MP3", ("MPEG_LAYER_III",), "MPEG_LAYER_III", ".mp3"),
    "aiff": ("AIFF", ("PCM_16", "PCM_24", "PCM_32", "FLOAT"), "PCM_24", ".aiff"),
}
SUBTYPE_ALIASES = {"16": "PCM_16", "24": "PCM_24", "32": "PCM_32", "float": "FLOAT", "f32": "FLOAT",
                   "vorbis": "VORBIS", "opus": "OPUS"}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# formats pedalboard's AudioFile writes: libsndfile format -> subtype -> bit_depth
_PEDALBOARD_WRITES = {
    "WAV": {"PCM_16": 16, "PCM_24": 24, "FLOAT": 32},
    "FLAC": {"PCM_16": 16, "PCM_24": 24},
    "AIFF": {"PCM_16": 16, "PCM_24": 24},
}


@dataclass(frozen=True)
class InputInfo:
    path: Path
    frames: int
    sample_rate: int
    channels: int
    format: str
    subtype: str


def _ogg_complete(path: Path) -> bool:
    """An Ogg stream that ends properly closes with a page flagged end-of-stream."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    at = tail.rfind(b"OggS")
    if at < 0 or at + 27 > len(tail):
        return False
    header_type = tail[at + 5]
    segments = tail[at + 26]
    if at + 27 + segments > len(tail):
        return False
    body = sum(tail[at + 27 : at + 27 + segments])
    return bool(header_type & 0x04) and at + 27 + segments + body == len(tail)


def probe(path: str | os.PathLike[str]) -> InputInfo:
    """Check that ``path`` is a complete, non-empty audio file and describe it."""
    p = Path(path)
    if not p.exists():
        raise AudioInputError(f"{p}: no such file")
    if p.is_dir():
        raise AudioInputError(f"{p}: is a directory, expected an audio file")
    if not os.access(p, os.R_OK):
        raise AudioInputError(f"{p}: permission denied")
    try:
        with sf.SoundFile(p) as f:
            info = InputInfo(p, f.frames, f.samplerate, f.channels, f.format, f.subtype)
            log = f.extra_info
    except sf.LibsndfileError as exc:
        reason = (exc.error_string or str(exc)).strip().rstrip(".")
        raise AudioInputError(f"{p}: not a readable audio file ({reason[:1].lower() + reason[1:]})") from None
    except (RuntimeError, OSError) as exc:
        raise AudioInputError(f"{p}: cannot read: {exc}") from None
    if "should be" in log:
        raise AudioInputError(f"{p}: truncated file (the header promises more data than the file holds)")
    if info.format == "OGG" and not _ogg_complete(p):
        raise AudioInputError(f"{p}: truncated file (the Ogg stream has no end-of-stream page)")
    if info.frames <= 0:
        raise AudioInputError(f"{p}: has zero audio frames")
    if info.sample_rate <= 0 or info.channels <= 0:
        raise AudioInputError(f"{p}: invalid header (rate {info.sample_rate}, channels {info.channels})")
    return info


def _check_finite(block: np.ndarray, info: InputInfo, done: int, sanitize: bool) -> np.ndarray:
    if np.isfinite(block).all():
        return block
    if not sanitize:
        bad = done + int(np.argwhere(~np.isfinite(block))[0][-1])
        raise AudioInputError(f"{info.path}: NaN or Inf sample at {bad / info.sample_rate:.3f} s "
                              "(use --sanitize to replace them with silence)")
    return np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)


def _pedalboard_reader(info: InputInfo) -> Any:
    """pedalboard decodes WAV/AIFF/Vorbis/MP3 faster and channels-first; FLAC stays on libsndfile,
    which notices truncated streams."""
    if info.format not in ("WAV", "WAVEX", "AIFF", "MP3") and info.subtype != "VORBIS":
        return None
    try:
        from pedalboard.io import AudioFile

        return AudioFile(str(info.path))
    except Exception:
        return None


def read_blocks(info: InputInfo, block_size: int, sanitize: bool = False) -> Iterator[np.ndarray]:
    """Yield float32 ``(channels, samples)`` blocks; non-finite samples are an error unless sanitized."""
    done = 0
    reader = _pedalboard_reader(info)
    try:
        if reader is not None:
            with reader:
                while True:
                    block = reader.read(block_size)
                    if block.shape[-1] == 0:
                        break
                    block = _check_finite(block, info, done, sanitize)
                    done += block.shape[-1]
                    yield block
        else:
            with sf.SoundFile(info.path) as f:
                for frames in f.blocks(blocksize=block_size, dtype="float32", always_2d=True):
                    block = _check_finite(np.ascontiguousarray(frames.T), info, done, sanitize)
                    done += block.shape[-1]
                    yield block
    except (sf.LibsndfileError, RuntimeError) as exc:
        reason = getattr(exc, "error_string", "") or str(exc)
        raise AudioInputError(f"{info.path}: truncated or corrupt after {done / info.sample_rate:.3f} s "
                              f"({reason})") from None
    if done < info.frames:
        raise AudioInputError(f"{info.path}: truncated file ({done} of {info.frames} frames readable)")


def resampled(blocks: Iterator[np.ndarray], source: int, target: int, channels: int) -> Iterator[np.ndarray]:
    """Stream ``blocks`` through libsoxr (very high quality) in constant memory.

    soxr's stream is aligned with its input and chunk-invariant (streamed output equals whole-buffer output),
    and it runs about 20x faster than pedalboard's StreamResampler, which sessions with sources at other
    rates would otherwise spend most of their time in.
    """
    if source == target:
        yield from blocks
        return
    import soxr

    resampler = soxr.ResampleStream(source, target, channels, dtype="float32", quality="VHQ")
    for block in blocks:
        out = resampler.resample_chunk(interleave(block).reshape(-1, channels))
        if out.shape[0]:
            yield np.ascontiguousarray(out.T)
    rest = resampler.resample_chunk(np.zeros((0, channels), np.float32), last=True)
    if rest.shape[0]:
        yield np.ascontiguousarray(rest.T)


def output_format(path: Path, fmt: str | None, subtype: str | None, source: InputInfo | None) -> tuple[str, str, str]:
    """Resolve (format key, libsndfile format, subtype) from flags, the output name and the input."""
    key = (fmt or path.suffix.lstrip(".")).lower()
    key = {"wave": "wav", "aif": "aiff", "oga": "ogg"}.get(key, key)
    if key not in WRITE_FORMATS:
        raise OutputError(f"{path}: cannot write format {key or '(none)'!r} (choose from {', '.join(WRITE_FORMATS)})")
    major, allowed, default, _ = WRITE_FORMATS[key]
    if subtype:
        chosen = SUBTYPE_ALIASES.get(subtype.lower(), subtype.upper())
        if chosen not in allowed:
            raise OutputError(f"{path}: subtype {subtype!r} is not valid for {key} (choose from {', '.join(allowed)})")
    elif source is not None and source.subtype in allowed:
        chosen = source.subtype
    elif source is not None and source.subtype in ("PCM_S8", "PCM_U8", "PCM_16") and "PCM_16" in allowed:
        chosen = "PCM_16"
    else:
        chosen = default
    return key, major, chosen


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once: changing the umask to read it is not thread-safe


class AtomicWriter:
    """Writes to a hidden temporary file beside the target and renames it into place on success."""

    def __init__(self, path: Path, sample_rate: int, channels: int, major: str, subtype: str) -> None:
        self.path = path
        self.tmp_path: Path | None = None
        self.file: Any = None
        self.handle: Any = None
        if major == "OGG" and subtype == "OPUS" and sample_rate not in OPUS_RATES:
            raise OutputError(f"{path}: Opus needs a sample rate of {', '.join(map(str, OPUS_RATES))} Hz, "
                              f"got {sample_rate} (use --sample-rate 48000)")
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise OutputError(f"{path}: output folder {folder} does not exist")
        ext = WRITE_FORMATS[next(k for k, v in WRITE_FORMATS.items() if v[0] == major)][3]
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{ext}", dir=folder)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        self.tmp_path = Path(tmp)
        self.channels_first = major in _PEDALBOARD_WRITES and subtype in _PEDALBOARD_WRITES[major]
        # pedalboard gets a Python file object, not the path: given a path, JUCE fsyncs the new file as it
        # opens it, a disk flush per output that kill-safety does not need (the rename gives that)
        self.handle = os.fdopen(fd, "wb") if self.channels_first else None
        if self.handle is None:
            os.close(fd)
        try:
            if self.channels_first:  # pedalboard writes (channels, samples) directly, and faster
                from pedalboard.io import AudioFile

                self.file = AudioFile(self.handle, "w", sample_rate, channels,
                                      bit_depth=_PEDALBOARD_WRITES[major][subtype], format=ext[1:])
            else:
                self.file = sf.SoundFile(self.tmp_path, "w", samplerate=sample_rate, channels=channels,
                                         format=major, subtype=subtype)
        except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
            self.abort()
            raise OutputError(f"{path}: cannot write {major}/{subtype} at {sample_rate} Hz, "
                              f"{channels} ch: {exc}") from None

    def write(self, block: np.ndarray) -> None:
        if block.shape[-1]:
            self.file.write(block if self.channels_first else block.T)

    def commit(self) -> None:
        self.file.close()
        if self.handle is not None:
            self.handle.close()
        os.chmod(self.tmp_path, 0o666 & ~_UMASK)  # mkstemp made it private; outputs get the usual mode
        os.replace(self.tmp_path, self.path)
        self.tmp_path = None

    def abort(self) -> None:
        if self.file is not None and not self.file.closed:
            self.file.close()
        if self.handle is not None:
            self.handle.close()
        if self.tmp_path is not None:
            self.tmp_path.unlink(missing_ok=True)
            self.tmp_path = None

    def __enter__(self) -> "AtomicWriter":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

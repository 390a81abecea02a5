"""Turns synthesized speech into the clips locks play: trimmed, 16 kHz mono, peak-normalized."""

import hashlib
import io
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.silence import detect_leading_silence

from service.audio.ffmpeg import FFMPEG

FORMATS = ("mp3", "wav")
SAMPLE_RATE = 16_000
MP3_BITRATE = "32k"
PEAK_DBFS = -1.0
MARGIN_MS = 50
# Relative to the clip's peak, so quiet and loud engines trim alike.
_SILENCE_BELOW_PEAK_DB = 40.0
# Anything quieter than this is noise: normalizing it would only amplify hiss.
_SILENT_PEAK_DBFS = -60.0
_MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}


class AudioError(Exception):
    """Audio could not be rendered or decoded."""


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    format: str
    media_type: str
    duration_ms: int
    sha256: str


def render(segment: AudioSegment, formats: Iterable[str] = FORMATS) -> dict[str, EncodedAudio]:
    formats = tuple(formats)
    if unsupported := set(formats) - set(FORMATS):
        raise ValueError(f"unsupported audio formats: {sorted(unsupported)}")
    prepared = _prepare(segment)
    duration_ms = len(prepared)
    encoded = {}
    for fmt in formats:
        if fmt == "wav":
            data = prepared.export(io.BytesIO(), format="wav").getvalue()
        else:
            data = _encode_mp3(prepared)
        encoded[fmt] = EncodedAudio(
            data=data,
            format=fmt,
            media_type=_MEDIA_TYPES[fmt],
            duration_ms=duration_ms,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return encoded


def decode(data: bytes, format: str) -> AudioSegment:
    try:
        # No ffprobe: without an explicit codec pydub would try to probe the stream and fail.
        codec = "mp3" if format == "mp3" else None
        return AudioSegment.from_file(io.BytesIO(data), format=format, codec=codec)
    except (CouldntDecodeError, OSError, EOFError) as exc:
        raise AudioError(f"cannot decode {format}: {_last_line(exc)}") from exc


def trim_silence(segment: AudioSegment) -> AudioSegment:
    """Cut leading and trailing silence (edge-tts adds almost a second), keeping a short margin."""
    if len(segment) == 0 or segment.max_dBFS < _SILENT_PEAK_DBFS:
        raise AudioError("audio is empty or silent")
    threshold = segment.max_dBFS - _SILENCE_BELOW_PEAK_DB
    start = max(0, detect_leading_silence(segment, silence_threshold=threshold) - MARGIN_MS)
    end = min(len(segment), len(segment) - detect_leading_silence(segment.reverse(), threshold) + MARGIN_MS)
    return segment[start:end]


def _prepare(segment: AudioSegment) -> AudioSegment:
    trimmed = trim_silence(segment).set_channels(1).set_frame_rate(SAMPLE_RATE).set_sample_width(2)
    if len(trimmed) == 0 or trimmed.max_dBFS < _SILENT_PEAK_DBFS:
        raise AudioError("audio is empty or silent")
    return trimmed.apply_gain(PEAK_DBFS - trimmed.max_dBFS)


def _encode_mp3(segment: AudioSegment) -> bytes:
    # ffmpeg writes the LAME/Info header (encoder delay, padding, length) only into a seekable output,
    # and without it decoders add ~100 ms of silence: hence a file rather than a pipe.
    with tempfile.TemporaryDirectory(prefix="ebike-voice-") as tmp:
        output = Path(tmp) / "clip.mp3"
        command = [
            FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin",
            "-f", "s16le", "-ar", str(segment.frame_rate), "-ac", "1", "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", MP3_BITRATE,
            # No ID3 tag and no version strings: the bytes depend only on the audio.
            "-id3v2_version", "0", "-map_metadata", "-1", "-fflags", "+bitexact",
            "-f", "mp3", str(output),
        ]  # fmt: skip
        try:
            result = subprocess.run(command, input=segment.raw_data, capture_output=True, timeout=60)
            data = output.read_bytes() if result.returncode == 0 else b""
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AudioError(f"ffmpeg failed: {exc}") from exc
    if not data:
        reason = _last_line(result.stderr.decode(errors="replace"))
        raise AudioError(f"ffmpeg failed ({result.returncode}): {reason}")
    return data


def _last_line(message: object) -> str:
    # ffmpeg and pydub put the actual reason last, after banners and command lines.
    lines = str(message).strip().splitlines()
    return lines[-1] if lines else "no details"

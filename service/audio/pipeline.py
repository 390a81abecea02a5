"""Turns synthesized speech into the clips locks play: trimmed, resampled to each device profile, brought to
one loudness without clipping, encoded."""

import functools
import hashlib
import io
import math
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.silence import detect_leading_silence

from service.audio.ffmpeg import FFMPEG
from service.audio.loudness import integrated_loudness, normalize_loudness
from service.audio.profiles import ALWAYS_RENDERED, PROFILES, Profile

# Part of every synthesis cache key: bump it whenever a change here changes the bytes of a clip.
PIPELINE_VERSION = "3"
LOUDNESS_LUFS = -18.0  # what every clip is brought to (integrated loudness, EBU R128)
PEAK_DBFS = -2.0  # sample peaks stay below this: room for MP3 decoders' overshoot (up to ~0.9 dB seen)
MARGIN_MS = 50
# Relative to the clip's peak, so quiet and loud engines trim alike.
_SILENCE_BELOW_PEAK_DB = 40.0
# Anything quieter than this is noise: normalizing it would only amplify hiss.
_SILENT_PEAK_DBFS = -60.0
# The delivered rendition (decoded) is brought this close to the target; the quality gate allows 0.5 LU.
_DELIVERED_WITHIN_LU = 0.1
# MP3 at 32 kbps loses highs (about 0.4 LU) and its decoders overshoot the peaks (by up to ~0.7 dB here, more
# the harder the limiter works): MP3 starts with this much headroom under the ceiling, and each round measures
# the decoded MP3 and aims the gain and the limiter's ceiling again. Speech has needed at most four rounds.
_MP3_HEADROOM_DB = 0.5
_MP3_LOSS_LU = 0.4  # aimed above the target from the first round, so most MP3s need only one
_DELIVERY_ROUNDS = 5
_CEILING_MARGIN_DB = 0.1


class AudioError(Exception):
    """Audio could not be rendered or decoded."""


@dataclass(frozen=True)
class Level:
    """What a listener gets: integrated loudness (LUFS) and sample peak (dBFS) of the decoded audio."""

    loudness_lufs: float
    peak_dbfs: float


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    profile: str
    format: str
    duration_ms: int
    sha256: str


def render(
    segment: AudioSegment, profiles: Iterable[str] = ALWAYS_RENDERED, loudness_lufs: float = LOUDNESS_LUFS
) -> dict[str, EncodedAudio]:
    """One clip per profile, keyed by profile name. Each sample rate is resampled once; each profile's
    loudness and peak are measured on its own decoded rendition and corrected until they hold there."""
    profiles = tuple(profiles)
    if unknown := set(profiles) - set(PROFILES):
        raise ValueError(f"unknown profiles: {sorted(unknown)}")
    trimmed = _trim_checked(segment)
    source = _floats(trimmed)
    resampled: dict[int, np.ndarray] = {}
    normalized: dict[tuple[int, float, float], AudioSegment] = {}
    encoded = {}
    for name in profiles:
        profile = PROFILES[name]
        rate = profile.sample_rate
        if rate not in resampled:
            resampled[rate] = resample(source, trimmed.frame_rate, rate)
        encoded[name] = _deliver(trimmed, resampled[rate], profile, loudness_lufs, normalized)
    return encoded


def _deliver(
    like: AudioSegment,
    samples: np.ndarray,
    profile: Profile,
    loudness_lufs: float,
    normalized: dict[tuple[int, float, float], AudioSegment],
) -> EncodedAudio:
    """Encode, decode, measure; aim again until the decoded rendition is at the target and under the peak
    ceiling. `normalized` keeps each (rate, aim, ceiling) made, so profiles of one rate share them."""
    mp3 = profile.format == "mp3"
    rate, aim = profile.sample_rate, loudness_lufs + (_MP3_LOSS_LU if mp3 else 0.0)
    ceiling_db = PEAK_DBFS - (_MP3_HEADROOM_DB if mp3 else 0.0)
    for _ in range(_DELIVERY_ROUNDS):
        key = (rate, aim, ceiling_db)
        if key not in normalized:
            normalized[key] = _normalized(like, samples, rate, aim, ceiling_db)
        audio = encode(normalized[key], profile)
        level = delivered_level(audio)
        on_target = abs(level.loudness_lufs - loudness_lufs) <= _DELIVERED_WITHIN_LU
        if on_target and level.peak_dbfs <= PEAK_DBFS:
            break
        if math.isfinite(level.loudness_lufs):
            aim += loudness_lufs - level.loudness_lufs
        if level.peak_dbfs > PEAK_DBFS:
            ceiling_db -= level.peak_dbfs - PEAK_DBFS + _CEILING_MARGIN_DB
    return audio


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling (libsoxr, high quality): what lies above the new Nyquist frequency is
    filtered out first instead of folding down as hiss, as plain sample-rate conversion lets it."""
    if from_rate == to_rate:
        return samples
    resampled: np.ndarray = soxr.resample(samples, from_rate, to_rate, quality="HQ")
    return resampled


def delivered_level(audio: EncodedAudio) -> Level:
    """Loudness and peak of the rendition as it decodes: what a lock actually plays."""
    return level_of(decode_delivered(audio))


def decode_delivered(audio: EncodedAudio) -> AudioSegment:
    """The rendition decoded from its bytes, shared by the delivery rounds and the quality gate (one
    ffmpeg run per MP3 instead of two)."""
    return _decode_recent(audio.data, audio.format)


@functools.lru_cache(maxsize=8)
def _decode_recent(data: bytes, format: str) -> AudioSegment:
    return decode(data, format)


def level_of(segment: AudioSegment) -> Level:
    samples = _floats(segment)
    peak = float(np.abs(samples).max()) if len(samples) else 0.0
    return Level(
        loudness_lufs=integrated_loudness(samples, segment.frame_rate),
        peak_dbfs=20 * math.log10(peak) if peak > 0 else -math.inf,
    )


def encode(prepared: AudioSegment, profile: Profile) -> EncodedAudio:
    if profile.format == "wav":
        data = prepared.export(io.BytesIO(), format="wav").getvalue()
    else:
        assert profile.bitrate is not None
        data = _encode_mp3(prepared, profile.bitrate)
    return EncodedAudio(
        data=data,
        profile=profile.name,
        format=profile.format,
        duration_ms=len(prepared),
        sha256=hashlib.sha256(data).hexdigest(),
    )


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


def _trim_checked(segment: AudioSegment) -> AudioSegment:
    trimmed = trim_silence(segment).set_channels(1).set_sample_width(2)
    if len(trimmed) == 0 or trimmed.max_dBFS < _SILENT_PEAK_DBFS:
        raise AudioError("audio is empty or silent")
    return trimmed


def _floats(segment: AudioSegment) -> np.ndarray:
    return np.frombuffer(segment.raw_data, dtype="<i2") / 32768.0


def _normalized(
    like: AudioSegment, samples: np.ndarray, rate: int, loudness_lufs: float, ceiling_db: float
) -> AudioSegment:
    normalized = normalize_loudness(samples, rate, loudness_lufs, 10 ** (ceiling_db / 20))
    pcm = np.round(normalized * 32768.0).clip(-32768, 32767).astype("<i2")
    return like._spawn(pcm.tobytes(), overrides={"frame_rate": rate})


def _encode_mp3(segment: AudioSegment, bitrate: str) -> bytes:
    # ffmpeg writes the LAME/Info header (encoder delay, padding, length) only into a seekable output,
    # and without it decoders add ~100 ms of silence: hence a file rather than a pipe.
    with tempfile.TemporaryDirectory(prefix="ebike-voice-") as tmp:
        output = Path(tmp) / "clip.mp3"
        command = [
            FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin",
            "-f", "s16le", "-ar", str(segment.frame_rate), "-ac", "1", "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", bitrate,
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

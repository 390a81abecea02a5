"""The quality gate: a clip is served only if it decodes, matches its profile, is not silent, plays at the
loudness target with its peaks under the ceiling (measured on the decoded rendition, as a lock plays it),
fits the profile's maximum duration and lasts about as long as its text takes to say. The reasons are shown to
police on their slogan, hence in Chinese."""

import re

from service.audio.pipeline import (
    LOUDNESS_LUFS,
    PEAK_DBFS,
    AudioError,
    EncodedAudio,
    decode_delivered,
    level_of,
)
from service.audio.profiles import PROFILES

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# Per spoken unit (a hanzi, or about three letters of an alphabetic script): faster than anyone speaks, and
# slower than even eSpeak at its slowest. Outside means cut off, spelled out letter by letter, or stuck.
_MIN_MS_PER_UNIT = 60
_MAX_MS_PER_UNIT = 700
_PAUSES_MS = 3_000
_SILENT_DBFS = -45.0
_LOUDNESS_WITHIN_LU = 0.5
# MPEG-2 layer III (what 16 kHz and 8 kHz MP3 are): bitrate index -> kbps, sample-rate index -> Hz.
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG2_RATES = (22_050, 24_000, 16_000)


class QualityError(Exception):
    """A rendered clip failed the gate; the message says why, in Chinese."""


def spoken_units(text: str) -> float:
    cjk = len(_CJK.findall(text))
    letters = len(_LETTER.findall(text)) - cjk
    return cjk + letters / 3


def plausible_range_ms(text: str) -> tuple[int, int]:
    units = spoken_units(text)
    return int(units * _MIN_MS_PER_UNIT), int(units * _MAX_MS_PER_UNIT + _PAUSES_MS)


def check_clip(audio: EncodedAudio, spoken_text: str, loudness_lufs: float = LOUDNESS_LUFS) -> None:
    profile = PROFILES[audio.profile]
    try:
        segment = decode_delivered(audio)
    except AudioError as exc:
        raise QualityError(f"音频无法解码（{exc}）") from exc
    found = (segment.frame_rate, segment.channels, segment.sample_width * 8)
    if found != (profile.sample_rate, 1, 16):
        raise QualityError(f"音频格式与 {profile.name} 不符：{found[0]} Hz、{found[1]} 声道、{found[2]} 位")
    if profile.format == "mp3":
        _check_mp3_header(audio.data, profile.sample_rate, profile.bitrate)
    if len(segment) == 0 or segment.dBFS < _SILENT_DBFS:
        raise QualityError("音频几乎无声")
    level = level_of(segment)  # the decoded rendition, as a lock plays it
    if not abs(level.loudness_lufs - loudness_lufs) <= _LOUDNESS_WITHIN_LU:
        raise QualityError(
            f"响度 {level.loudness_lufs:.1f} LUFS，"
            f"与目标 {loudness_lufs:g} LUFS 相差超过 {_LOUDNESS_WITHIN_LU} LU"
        )
    if level.peak_dbfs > PEAK_DBFS:
        raise QualityError(f"峰值 {level.peak_dbfs:.1f} dBFS，超过上限 {PEAK_DBFS:g} dBFS，播放时可能失真")
    seconds = len(segment) / 1000
    if len(segment) > profile.max_duration_ms:
        raise QualityError(
            f"时长 {seconds:.1f} 秒，超过 {profile.name} 的上限 "
            f"{profile.max_duration_ms / 1000:g} 秒，请缩短标语"
        )
    low, high = plausible_range_ms(spoken_text)
    if not low <= len(segment) <= high:
        raise QualityError(
            f"时长 {seconds:.1f} 秒与文字长度不符（应在 {low / 1000:.1f}–{high / 1000:.1f} 秒之间），"
            "可能被截断或读错"
        )


def _check_mp3_header(data: bytes, sample_rate: int, bitrate: str | None) -> None:
    """Reads the first audio frame's header (after LAME's Info frame, whose bitrate is whatever fits it)."""
    offset = 0
    for _ in range(2):
        header = int.from_bytes(data[offset : offset + 4], "big")
        version, layer = (header >> 19) & 0b11, (header >> 17) & 0b11
        bitrate_index, rate_index = (header >> 12) & 0xF, (header >> 10) & 0b11
        if (
            header >> 21 != 0x7FF
            or (version, layer) != (0b10, 0b01)
            or bitrate_index in (0, 15)
            or rate_index == 3
        ):
            raise QualityError("不是 16/8 kHz 的 MP3 音频")
        kbps, rate = _MPEG2_L3_KBPS[bitrate_index], _MPEG2_RATES[rate_index]
        frame_bytes = 72_000 * kbps // rate + ((header >> 9) & 1)
        if data[offset + 4 : offset + frame_bytes].find(b"Info") < 0:
            break
        offset += frame_bytes
    mono = (header >> 6) & 0b11 == 0b11
    if (rate, f"{kbps}k", mono) != (sample_rate, bitrate, True):
        raise QualityError(f"MP3 参数不符：{rate} Hz、{kbps} kbps、{'单' if mono else '多'}声道")

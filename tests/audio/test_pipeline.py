import io
import wave

import numpy as np
import pytest
from pydub import AudioSegment

from service.audio.loudness import integrated_loudness
from service.audio.pipeline import LOUDNESS_LUFS, AudioError, decode, render
from service.audio.profiles import PROFILES
from service.tts.espeak import EspeakEngine

SLOGAN = "开锁成功！宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。"


@pytest.fixture(scope="module")
def speech() -> AudioSegment:
    return EspeakEngine().synthesize(SLOGAN, "zh-CN").segment


@pytest.fixture(scope="module")
def padded(speech) -> AudioSegment:
    # Engines leave silence around speech (edge-tts ~0.9 s at the end); espeak leaves almost none.
    return AudioSegment.silent(600, speech.frame_rate) + speech + AudioSegment.silent(900, speech.frame_rate)


def test_renders_both_formats_trimmed_and_normalized(speech, padded):
    clips = render(padded)

    assert set(clips) == {"mp3-16k", "wav-16k"}
    for profile, clip in clips.items():
        audio = decode(clip.data, clip.format)
        assert clip.format == profile[:3]
        assert (audio.frame_rate, audio.channels, audio.sample_width) == (16000, 1, 2)
        assert abs(len(audio) - clip.duration_ms) < 100
        # The padding is gone, bar the 50 ms margins.
        assert abs(clip.duration_ms - len(speech)) < 150
        assert -2.8 < audio.max_dBFS < -1.0  # limited to -2 dBFS: no clipping
        assert audio.dBFS > -30


def test_wav_is_16_bit_pcm(padded):
    clip = render(padded, ("wav-16k",))["wav-16k"]

    with wave.open(io.BytesIO(clip.data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
    assert clip.media_type == "audio/wav"


def test_mp3_is_32_kbps(padded):
    clip = render(padded, ("mp3-16k",))["mp3-16k"]

    assert clip.media_type == "audio/mpeg"
    assert clip.data[:2] == b"\xff\xf3"  # an MPEG-2 layer III frame first: no ID3 tag to skip
    bytes_per_second = len(clip.data) / (clip.duration_ms / 1000)
    assert 3_600 < bytes_per_second < 4_600


def test_hash_identifies_the_bytes(padded):
    first, second = render(padded), render(padded)

    assert [clip.sha256 for clip in first.values()] == [clip.sha256 for clip in second.values()]
    assert first["wav-16k"].sha256 != first["mp3-16k"].sha256
    assert len(first["wav-16k"].sha256) == 64


def test_quiet_stereo_input_is_converted_and_raised(speech):
    quiet_stereo = AudioSegment.from_mono_audiosegments(speech - 20, speech - 20).set_frame_rate(44100)

    audio = decode(render(quiet_stereo, ("wav-16k",))["wav-16k"].data, "wav")

    assert (audio.frame_rate, audio.channels) == (16000, 1)
    assert integrated_loudness(_floats(audio), 16000) == pytest.approx(LOUDNESS_LUFS, abs=0.3)


@pytest.mark.parametrize(
    "segment", [AudioSegment.silent(2000, 22050), AudioSegment.empty()], ids=["silent", "empty"]
)
def test_silent_or_empty_input_raises_audio_error(segment):
    with pytest.raises(AudioError, match="silent"):
        render(segment)


def test_near_silence_is_not_amplified_into_a_clip(speech):
    with pytest.raises(AudioError, match="silent"):
        render(speech - 70)


def test_unknown_profile_is_rejected(speech):
    with pytest.raises(ValueError, match="ogg"):
        render(speech, ("ogg",))


def test_undecodable_data_raises_audio_error():
    with pytest.raises(AudioError, match="cannot decode mp3"):
        decode(b"not an mp3 at all" * 100, "mp3")


def _floats(segment: AudioSegment) -> np.ndarray:
    return np.frombuffer(segment.raw_data, dtype="<i2") / 32768.0


def test_wav_8k_profile(padded):
    clip = render(padded, ("wav-8k",))["wav-8k"]

    with wave.open(io.BytesIO(clip.data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
    assert clip.format == "wav"


@pytest.mark.parametrize("gain_db", [-20, 0, 6])
def test_every_profile_reaches_the_loudness_target_without_clipping(speech, gain_db):
    # Quiet, as-is and overdriven input all come out at the target, limited rather than clipped.
    for profile, clip in render(speech + gain_db, PROFILES).items():
        audio = decode(clip.data, clip.format)
        loudness = integrated_loudness(_floats(audio), audio.frame_rate)
        assert loudness == pytest.approx(LOUDNESS_LUFS, abs=0.5), profile
        assert audio.max_dBFS < -0.5, profile

import io
import wave

import numpy as np
import pytest
from pydub import AudioSegment

from service.audio.loudness import integrated_loudness
from service.audio.pipeline import (
    LOUDNESS_LUFS,
    PEAK_DBFS,
    AudioError,
    decode,
    delivered_level,
    encode,
    render,
)
from service.audio.profiles import PROFILES
from service.audio.quality import QualityError, check_clip
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
    assert clip.format == "wav"


def test_mp3_is_32_kbps(padded):
    clip = render(padded, ("mp3-16k",))["mp3-16k"]

    assert clip.format == "mp3"
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
        assert audio.max_dBFS <= PEAK_DBFS, profile


def test_each_rendition_meets_loudness_and_peak_as_it_decodes(speech):
    # Measured on the decoded bytes each profile delivers: MP3 at 32 kbps loses highs and overshoots peaks,
    # which the WAV it was made from does not show.
    clips = render(speech + 6, PROFILES)
    for profile, clip in clips.items():
        level = delivered_level(clip)
        assert level.loudness_lufs == pytest.approx(LOUDNESS_LUFS, abs=0.2), profile
        assert level.peak_dbfs <= PEAK_DBFS, profile
        check_clip(clip, SLOGAN)


def test_the_gate_refuses_a_rendition_off_the_loudness_target_or_over_the_peak_ceiling(speech):
    clip = render(speech, ("wav-16k",))["wav-16k"]
    with pytest.raises(QualityError, match="响度"):
        check_clip(clip, SLOGAN, loudness_lufs=-14)

    audio = decode(clip.data, "wav")
    samples = np.frombuffer(audio.raw_data, dtype="<i2").copy()
    samples[len(samples) // 2] = 32000  # one click at -0.2 dBFS: loudness unchanged, the peak not
    spiked = encode(audio._spawn(samples.tobytes()), PROFILES["wav-16k"])
    with pytest.raises(QualityError, match="峰值"):
        check_clip(spiked, SLOGAN)


def _power_at(audio: AudioSegment, frequency: float) -> float:
    samples = _floats(audio) * np.hanning(len(audio.get_array_of_samples()))
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / audio.frame_rate)
    band = (freqs > frequency - 50) & (freqs < frequency + 50)
    return float(spectrum[band].sum())


def test_8k_renditions_filter_out_what_would_fold_down():
    # A 1 kHz tone (kept) and a 5.5 kHz one (above 8 kHz's Nyquist frequency: it must go, not fold down to
    # 8000 - 5500 = 2500 Hz as hiss does without an anti-alias filter).
    rate, seconds = 22050, 2.0
    t = np.arange(int(rate * seconds)) / rate
    tones = 0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 5500 * t)
    source = AudioSegment(
        (tones * 32767).astype("<i2").tobytes(), frame_rate=rate, sample_width=2, channels=1
    )
    assert _power_at(source, 5500) > 0.5 * _power_at(source, 1000)

    audio = decode(render(source, ("wav-8k",))["wav-8k"].data, "wav")

    assert audio.frame_rate == 8000
    folded = 10 * np.log10(_power_at(audio, 2500) / _power_at(audio, 1000))
    assert folded < -60
    # What plain sample-rate conversion (no low-pass first) leaves there, for comparison.
    naive = source.set_frame_rate(8000)
    assert 10 * np.log10(_power_at(naive, 2500) / _power_at(naive, 1000)) > -30

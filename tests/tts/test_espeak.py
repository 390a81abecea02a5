from concurrent.futures import ThreadPoolExecutor

import pytest

from service.tts.base import TTSError
from service.tts.espeak import EspeakEngine, phonemes

SLOGAN = "开锁成功！宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。"
UYGHUR = "ئالدامچىلىقتىن ساقلىنىڭ"
KAZAKH_CYRILLIC = "Алаяқтардан сақ болыңыз"
KAZAKH_ARABIC = "الاياقتاردان ساق بولىڭىز"


def test_mandarin_slogan_is_spoken_in_full():
    speech = EspeakEngine().synthesize(SLOGAN, "zh-CN")

    assert (speech.engine, speech.voice) == ("espeak", "cmn")
    segment = speech.segment
    assert (segment.frame_rate, segment.channels, segment.sample_width) == (22050, 1, 2)
    # 31 characters at a normal pace: ~8.3 s, nowhere near a letter-by-letter spelling or a cut-off.
    assert 6_000 < len(segment) < 12_000
    assert segment.dBFS > -30
    assert segment.max_dBFS > -6


@pytest.mark.parametrize(
    ("text", "language", "voice"),
    [(UYGHUR, "ug", "ug"), (KAZAKH_CYRILLIC, "kk", "kk"), (KAZAKH_ARABIC, "kk", "ug")],
)
def test_minority_languages_get_their_voice(text, language, voice):
    speech = EspeakEngine().synthesize(text, language)

    assert speech.voice == voice
    assert 700 < len(speech.segment) < 4_000
    assert speech.segment.dBFS > -30


def test_voice_for():
    engine = EspeakEngine()
    assert [engine.voice_for(lang) for lang in ("zh-CN", "ug", "kk")] == ["cmn", "ug", "kk"]
    assert engine.voice_for("kk", KAZAKH_CYRILLIC) == "kk"
    # The voice named for a text is the one that speaks it, and the one its clip records.
    assert engine.voice_for("kk", KAZAKH_ARABIC) == "ug"
    assert engine.voice_for("en") is None


def test_phonemes_are_what_the_voice_says():
    assert "X'ua35n" in phonemes("环车成功！", "zh-CN")
    assert "X'ai35" in phonemes("还车成功！", "zh-CN")
    # Arabic-script Kazakh goes to the Uyghur voice, which reads it (no spelling out in English).
    assert "(en)" not in phonemes(KAZAKH_ARABIC, "kk")
    assert "(en)" in phonemes("ع", "kk")
    with pytest.raises(TTSError, match="cannot speak"):
        phonemes("bonjour", "fr")


def test_unsupported_language_raises_tts_error():
    with pytest.raises(TTSError, match="cannot speak 'fr'"):
        EspeakEngine().synthesize("Attention aux arnaques", "fr")


def test_text_without_sound_raises_tts_error():
    with pytest.raises(TTSError, match="no audio"):
        EspeakEngine().synthesize("", "zh-CN")


def test_concurrent_calls_from_threads_each_get_their_own_audio():
    engine = EspeakEngine()
    expected = {text: len(engine.synthesize(text, lang).segment) for text, lang in _JOBS}

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: engine.synthesize(*job), _JOBS * 4))

    for (text, _), speech in zip(_JOBS * 4, results, strict=True):
        # Interleaved callbacks would mix samples from several texts into one clip.
        assert abs(len(speech.segment) - expected[text]) < 0.02 * expected[text]


_JOBS = [(SLOGAN, "zh-CN"), (UYGHUR, "ug"), (KAZAKH_CYRILLIC, "kk")]

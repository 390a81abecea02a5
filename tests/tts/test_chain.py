import logging
from pathlib import Path

import pytest

from service.clips.maker import ClipMaker, Speech
from service.config import Settings
from service.tts.base import TTSEngine, TTSError
from service.tts.chain import build_engines
from service.tts.edge import EdgeEngine
from service.tts.espeak import EspeakEngine
from tests.tts.edge_server import SPOKEN_TEXT


def _settings(url: str, engines: str = "edge,espeak") -> Settings:
    return Settings(
        tts_engines=engines,
        edge_wss_url=url,
        edge_connect_timeout_s=1.0,
        edge_deadline_s=2.0,
        edge_retry_backoff_s=0.01,
    )


def _speak(tmp_path: Path, engines: list[TTSEngine], text: str, language: str) -> Speech:
    """What the clip maker says with these engines, in order: the chain the service runs."""
    maker = ClipMaker(
        engines=engines, clips_dir=tmp_path / "clips", cache_dir=tmp_path / "cache", loudness_lufs=-18
    )
    return maker.speak(text, language)


def test_build_engines_follows_the_configured_order():
    engines = build_engines(_settings("ws://127.0.0.1:9/x?y", "espeak,edge"))

    assert [type(engine) for engine in engines] == [EspeakEngine, EdgeEngine]
    assert engines[1].voice_for("zh-CN") == "zh-CN-XiaoxiaoNeural"


def test_unknown_engine_is_rejected_at_startup():
    with pytest.raises(ValueError, match="'festival'"):
        build_engines(_settings("ws://127.0.0.1:9/x?y", "edge,festival"))


@pytest.mark.parametrize("mode", ["http403", "stall"])
def test_falls_back_to_espeak_when_edge_fails(tmp_path, edge_server, mode, caplog):
    edge_server.mode = mode

    with caplog.at_level(logging.WARNING, logger="service.clips.maker"):
        speech = _speak(tmp_path, build_engines(_settings(edge_server.url)), SPOKEN_TEXT, "zh-CN")

    assert (speech.engine, speech.voice) == ("espeak", "cmn")
    assert edge_server.requests >= 1
    assert "edge failed" in caplog.text


def test_falls_back_to_espeak_when_edge_is_unreachable(tmp_path, dead_url):
    speech = _speak(tmp_path, build_engines(_settings(dead_url)), SPOKEN_TEXT, "zh-CN")

    assert speech.engine == "espeak"


def test_uses_edge_when_it_works(tmp_path, edge_server):
    speech = _speak(tmp_path, build_engines(_settings(edge_server.url)), SPOKEN_TEXT, "zh-CN")

    assert (speech.engine, speech.voice) == ("edge", "zh-CN-XiaoxiaoNeural")


def test_uyghur_skips_edge(tmp_path, edge_server):
    speech = _speak(tmp_path, build_engines(_settings(edge_server.url)), "ئالدامچىلىقتىن ساقلىنىڭ", "ug")

    assert (speech.engine, speech.voice) == ("espeak", "ug")
    assert edge_server.requests == 0


def test_all_engines_failing_lists_every_reason(tmp_path, edge_server):
    edge_server.mode = "no_audio"
    engines = build_engines(_settings(edge_server.url))

    with pytest.raises(
        TTSError, match=r"edge: edge-tts returned no audio \(after 3 attempts\); espeak: .*no audio"
    ):
        _speak(tmp_path, engines, "。", "zh-CN")


def test_language_no_engine_speaks(tmp_path):
    with pytest.raises(TTSError, match="no TTS engine speaks 'fr'"):
        _speak(tmp_path, build_engines(_settings("ws://127.0.0.1:9/x?y")), "Attention", "fr")

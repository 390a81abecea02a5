import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from service.audio.pipeline import decode
from service.tts.base import TTSError
from service.tts.breaker import CircuitBreaker
from service.tts.edge import EdgeEngine
from tests.tts.edge_server import SPOKEN_TEXT, sample_mp3


def _engine(url: str, deadline_s: float = 5.0, **kwargs) -> EdgeEngine:
    kwargs.setdefault("retry_backoff_s", 0.01)
    return EdgeEngine("zh-CN-XiaoxiaoNeural", "kk-KZ-AigulNeural", url, 1.0, deadline_s, **kwargs)


def test_speaks_through_the_service(edge_server):
    speech = _engine(edge_server.url).synthesize(SPOKEN_TEXT, "zh-CN")

    assert (speech.engine, speech.voice) == ("edge", "zh-CN-XiaoxiaoNeural")
    assert (speech.segment.frame_rate, speech.segment.channels) == (24000, 1)
    assert abs(len(speech.segment) - len(decode(sample_mp3(), "mp3"))) < 50
    assert 6_000 < len(speech.segment) < 12_000
    assert speech.segment.dBFS > -30
    assert edge_server.requests == 1
    [ssml] = edge_server.ssml
    assert "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)" in ssml
    assert SPOKEN_TEXT in ssml


def test_kazakh_uses_the_kazakh_voice(edge_server):
    speech = _engine(edge_server.url).synthesize("Алаяқтардан сақ болыңыз", "kk")

    assert speech.voice == "kk-KZ-AigulNeural"
    assert "(kk-KZ, AigulNeural)" in edge_server.ssml[0]


def test_has_no_uyghur_voice(edge_server):
    engine = _engine(edge_server.url)

    assert engine.voice_for("ug") is None
    with pytest.raises(TTSError, match="no voice"):
        engine.synthesize("ئالدامچىلىقتىن ساقلىنىڭ", "ug")
    assert edge_server.requests == 0


def test_misspelled_voice_fails_at_construction():
    with pytest.raises(ValueError, match="voice"):
        EdgeEngine("Xiaoxiao", "kk-KZ-AigulNeural", None, 1.0, 5.0)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("http403", "refused the request: HTTP 403"),
        ("no_audio", "returned no audio"),
        ("drop", "ended early"),
        ("bad_audio", "undecodable audio"),
    ],
)
def test_service_failures_raise_tts_error_quickly(edge_server, mode, reason):
    edge_server.mode = mode
    started = time.monotonic()

    with pytest.raises(TTSError, match=reason):
        _engine(edge_server.url).synthesize(SPOKEN_TEXT, "zh-CN")

    assert time.monotonic() - started < 2
    # edge-tts retries once after a 403, having corrected its clock from the response's Date header; we
    # retry "no audio" twice more; a dropped stream or bad audio is not worth a retry.
    assert edge_server.requests == {"http403": 2, "no_audio": 3}.get(mode, 1)


def test_stalled_service_is_cut_off_at_the_deadline(edge_server):
    edge_server.mode = "stall"
    started = time.monotonic()

    with pytest.raises(TTSError, match="timed out after 1s"):
        _engine(edge_server.url, deadline_s=1.0).synthesize(SPOKEN_TEXT, "zh-CN")

    assert 0.9 < time.monotonic() - started < 2.5


def test_unreachable_service_raises_tts_error(dead_url):
    with pytest.raises(TTSError, match="unreachable"):
        _engine(dead_url).synthesize(SPOKEN_TEXT, "zh-CN")


def test_concurrent_calls_from_worker_threads(edge_server):
    engine = _engine(edge_server.url)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: engine.synthesize(SPOKEN_TEXT, "zh-CN"), range(3)))

    assert all(len(speech.segment) > 6_000 for speech in results)
    assert edge_server.requests == 3


def test_transient_failures_are_retried_until_the_service_answers(edge_server):
    edge_server.script = ["http503", "no_audio"]

    speech = _engine(edge_server.url).synthesize(SPOKEN_TEXT, "zh-CN")

    assert speech.engine == "edge"
    assert edge_server.requests == 3


def test_retries_are_bounded_and_back_off(edge_server):
    edge_server.mode = "http429"
    started = time.monotonic()

    with pytest.raises(TTSError, match=r"HTTP 429 \(after 3 attempts\)"):
        _engine(edge_server.url, retries=2, retry_backoff_s=0.1).synthesize(SPOKEN_TEXT, "zh-CN")

    assert edge_server.requests == 3
    # Waited 0.1 s, then 0.2 s.
    assert time.monotonic() - started >= 0.3


def test_retries_stop_at_the_overall_deadline(edge_server):
    edge_server.mode = "http503"

    with pytest.raises(TTSError, match=r"HTTP 503 \(after 1 attempts\)"):
        _engine(edge_server.url, deadline_s=1.0, retries=5, retry_backoff_s=2.0).synthesize(
            SPOKEN_TEXT, "zh-CN"
        )

    assert edge_server.requests == 1


def test_at_most_two_syntheses_at_once(edge_server):
    edge_server.delay_s = 0.3
    engine = _engine(edge_server.url)

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: engine.synthesize(SPOKEN_TEXT, "zh-CN"), range(5)))

    assert [speech.engine for speech in results] == ["edge"] * 5
    assert edge_server.max_active == 2


def test_breaker_opens_after_repeated_failures_and_stops_calling(edge_server, caplog):
    edge_server.mode = "bad_audio"
    breaker = CircuitBreaker("edge-tts", failure_threshold=2, cooldown_s=60)
    engine = _engine(edge_server.url, breaker=breaker)

    for _ in range(2):
        with pytest.raises(TTSError, match="undecodable"):
            engine.synthesize(SPOKEN_TEXT, "zh-CN")
    assert engine.status() == "open"
    assert "edge-tts circuit open after 2 consecutive failures" in caplog.text
    requests = edge_server.requests
    edge_server.mode = "ok"

    with pytest.raises(TTSError, match="circuit open"):
        engine.synthesize(SPOKEN_TEXT, "zh-CN")
    assert edge_server.requests == requests


def test_breaker_half_opens_after_the_cool_down_and_closes_on_success(edge_server, caplog):
    edge_server.mode = "http403"
    engine = _engine(edge_server.url, breaker=CircuitBreaker("edge-tts", failure_threshold=1, cooldown_s=0.3))
    with pytest.raises(TTSError):
        engine.synthesize(SPOKEN_TEXT, "zh-CN")
    assert engine.status() == "open"

    time.sleep(0.35)
    assert engine.status() == "half-open"
    # A failed trial opens the circuit again for a whole cool-down.
    with pytest.raises(TTSError, match="HTTP 403"):
        engine.synthesize(SPOKEN_TEXT, "zh-CN")
    assert engine.status() == "open"

    time.sleep(0.35)
    edge_server.mode = "ok"
    assert engine.synthesize(SPOKEN_TEXT, "zh-CN").engine == "edge"
    assert engine.status() == "closed"
    assert "edge-tts circuit closed" in caplog.text

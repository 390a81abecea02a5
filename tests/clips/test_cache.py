import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import service.clips.maker
from service.clips.maker import ClipMaker
from service.tts.base import SpeechAudio
from service.tts.espeak import EspeakEngine
from tests.helpers import approved_slogan

TEXT = "网络汇款需谨慎。"


class CountingEspeak(EspeakEngine):
    """The real offline engine, counting its syntheses (and slowed down, to make overlaps certain)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls = 0
        self._delay_s = delay_s
        self._lock = threading.Lock()

    def synthesize(self, text: str, language: str) -> SpeechAudio:
        with self._lock:
            self.calls += 1
        time.sleep(self._delay_s)
        return super().synthesize(text, language)


def _maker(tmp_path: Path, engine: EspeakEngine, lufs: float = -18) -> ClipMaker:
    return ClipMaker(
        engines=[engine],
        clips_dir=tmp_path / "clips",
        cache_dir=tmp_path / "cache",
        loudness_lufs=lufs,
    )


def _render(maker: ClipMaker, profile: str = "mp3-16k"):  # type: ignore[no-untyped-def]
    body = maker.speak(TEXT, "zh-CN")
    return maker.render(opening=None, body=body, spoken_text=TEXT, profiles=[profile])[profile]


def test_the_same_request_never_synthesizes_or_renders_twice(tmp_path, monkeypatch):
    engine = CountingEspeak()
    maker = _maker(tmp_path, engine)
    renders = []
    real_render = service.clips.maker.render
    monkeypatch.setattr(service.clips.maker, "render", lambda *a: renders.append(a) or real_render(*a))

    first = _render(maker)
    again = _render(maker)

    assert first == again and engine.calls == 1 and len(renders) == 1
    # Another profile reuses the speech; another text or loudness target does not hit the cache.
    _render(maker, "wav-8k")
    assert engine.calls == 1 and len(renders) == 2
    maker.speak("网络贷款需要验证码就是诈骗。", "zh-CN")
    assert engine.calls == 2
    _render(_maker(tmp_path, engine, lufs=-16))
    assert len(renders) == 3


def test_concurrent_identical_requests_share_one_synthesis(tmp_path):
    engine = CountingEspeak(delay_s=0.3)
    maker = _maker(tmp_path, engine)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _render(maker), range(4)))

    assert engine.calls == 1
    assert len({r.sha256 for r in results}) == 1


def test_preview_returns_a_playable_clip_and_is_cached(
    client: TestClient, police: dict[str, str], monkeypatch
) -> None:
    request = {"text": "陌生链接不要点。", "language": "zh-CN", "event": "unlock", "profile": "wav-8k"}
    response = client.post("/v1/preview", json=request, headers=police)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["spoken_text"] == "开锁成功！陌生链接不要点。"
    assert (body["profile"], body["format"], body["engine"]) == ("wav-8k", "wav", "espeak")
    audio = client.get(body["url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    monkeypatch.setattr(EspeakEngine, "synthesize", lambda *_: pytest.fail("synthesized again"))
    assert client.post("/v1/preview", json=request, headers=police).json() == body
    # Nothing was saved as a slogan.
    assert client.get("/v1/slogans", headers=police).json() == []


@pytest.mark.parametrize(
    "request_body",
    [
        {"text": "<speak>转账</speak>"},
        {"text": "网络\u200b汇款"},
        {"text": "网络汇款需谨慎。", "profile": "ogg"},
        {"text": "网络汇款需谨慎。", "language": "fr"},
        {"text": "网络汇款需谨慎。", "event": "park"},
    ],
)
def test_preview_refuses_bad_input(client: TestClient, police: dict[str, str], request_body) -> None:
    response = client.post("/v1/preview", json=request_body, headers=police)

    assert response.status_code == 422
    assert response.json()["detail"]


def test_preview_is_for_police_and_admins(client: TestClient, operator: dict[str, str]) -> None:
    assert client.post("/v1/preview", json={"text": TEXT}, headers=operator).status_code == 403


def test_a_clip_records_the_voice_that_spoke_it(tmp_path):
    engine = CountingEspeak()
    maker = _maker(tmp_path, engine)

    arabic = maker.speak("الاياقتاردان ساق بولىڭىز", "kk")
    cyrillic = maker.speak("Алаяқтардан сақ болыңыз", "kk")
    rendition = maker.render(
        opening=None, body=arabic, spoken_text="الاياقتاردان ساق بولىڭىز", profiles=["wav-16k"]
    )["wav-16k"]

    # Arabic-script Kazakh is spoken by the Uyghur voice, and recorded as such; Cyrillic by the Kazakh one.
    assert (arabic.voice, cyrillic.voice) == ("ug", "kk")
    assert rendition.voice == "ug"


def _cache_files(tmp_path: Path) -> dict[str, list[Path]]:
    return {
        "speech": sorted((tmp_path / "cache" / "speech").glob("*/*")),
        "index": sorted((tmp_path / "cache" / "renditions").glob("*/*")),
        "clips": sorted((tmp_path / "clips").glob("*/*")),
    }


def _age(paths: list[Path], seconds_ago: float) -> None:
    for path in paths:
        os.utime(path, (time.time() - seconds_ago, time.time() - seconds_ago))


def test_the_cache_stays_under_its_bound_dropping_the_least_recently_used_but_never_a_clip_in_use(tmp_path):
    in_use: set[str] = set()
    maker = ClipMaker(
        engines=[EspeakEngine()],
        clips_dir=tmp_path / "clips",
        cache_dir=tmp_path / "cache",
        loudness_lufs=-18,
        cache_max_bytes=10**9,
        in_use=lambda: set(in_use),
        cache_min_age_s=0,
    )

    def make(text: str):  # type: ignore[no-untyped-def]
        body = maker.speak(text, "zh-CN")
        return maker.render(opening=None, body=body, spoken_text=text, profiles=["wav-16k"])["wav-16k"]

    slogan = make("网络汇款需谨慎。")  # a slogan's clip, and the oldest entry of all
    in_use.add(slogan.sha256)
    _age([p for files in _cache_files(tmp_path).values() for p in files], 300)
    old = make("陌生链接不要点。")
    _age([p for files in _cache_files(tmp_path).values() for p in files if slogan.sha256 not in p.name], 200)
    recent = make("刷单就是诈骗。")
    _age(
        [
            p
            for files in _cache_files(tmp_path).values()
            for p in files
            if p.stat().st_mtime > time.time() - 5
        ],
        100,
    )
    make("陌生链接不要点。")  # a hit: `old` becomes the most recently used
    used = sum(p.stat().st_size for files in _cache_files(tmp_path).values() for p in files)
    slogan_file = tmp_path / "clips" / slogan.sha256[:2] / f"{slogan.sha256}.wav"

    # Room for about two entries besides the slogan's clip (which is never counted).
    assert maker.bound is not None
    maker.bound.max_bytes = used - slogan_file.stat().st_size - 1
    newest = make("网恋交友谈钱的都是骗子。")

    names = {p.name for files in _cache_files(tmp_path).values() for p in files}
    assert slogan_file.is_file()  # in use: kept, though older than anything
    assert f"{old.sha256}.wav" in names and f"{newest.sha256}.wav" in names
    assert f"{recent.sha256}.wav" not in names  # the least recently used entry went
    cached = [p for files in _cache_files(tmp_path).values() for p in files if p != slogan_file]
    assert sum(p.stat().st_size for p in cached) <= maker.bound.max_bytes
    # Evicted entries are made again on demand (eSpeak's output varies a little: not the same bytes).
    remade = make("刷单就是诈骗。")
    assert (tmp_path / "clips" / remade.sha256[:2] / f"{remade.sha256}.wav").is_file()


def test_the_bound_is_a_setting_and_keeps_the_clips_of_slogans(
    client: TestClient, police: dict[str, str], admin: dict[str, str], settings
) -> None:
    maker = client.app.state.synthesizer.maker  # type: ignore[attr-defined]
    assert maker.bound.max_bytes == settings.cache_max_bytes == 512 * 1024 * 1024
    slogan = approved_slogan(client, police, admin, "冒充公检法要求转账的都是诈骗。")
    made_for_slogan = [p for files in _cache_files(settings.data_dir).values() for p in files]
    _age(made_for_slogan, 120)
    maker.bound.max_bytes = 0

    response = client.post("/v1/preview", json={"text": "陌生链接不要点。"}, headers=police)

    # What the preview just made stays (a minute's grace: a synthesis may be about to read it); everything
    # older goes but the slogan's clips, which still play.
    assert response.status_code == 200, response.text
    assert client.get(response.json()["url"]).status_code == 200
    left = [p for p in made_for_slogan if p.exists()]
    assert left and all(p.parent.parent.name == "clips" for p in left)
    assert {p.stem for p in left} == {c["sha256"] for c in slogan["clips"]}
    for clip in slogan["clips"]:
        assert client.get(clip["url"]).status_code == 200

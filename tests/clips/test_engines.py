"""Clips made through the engine chain: the real edge-tts client against the local test server."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.helpers import approved_slogan

# The test server always speaks its one sample (8.3 s), whatever the text: right for this slogan.
SEED = "宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, edge_server) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        tts_engines=["edge", "espeak"],
        edge_wss_url=edge_server.url,
        edge_retry_backoff_s=0.01,
        edge_deadline_s=3,
    )


def _files(client: TestClient) -> list[Path]:
    clips_dir = client.app.state.settings.clips_dir  # type: ignore[attr-defined]
    return [p for p in clips_dir.rglob("*") if p.is_file()]


def test_clip_records_edge_when_edge_answers(client: TestClient, police, admin, edge_server) -> None:
    slogan = approved_slogan(client, police, admin, SEED)

    assert {(c["status"], c["engine"], c["voice"]) for c in slogan["clips"]} == {
        ("ready", "edge", "zh-CN-XiaoxiaoNeural")
    }
    assert edge_server.requests >= 2  # the opening and the slogan


def test_edge_refusing_falls_back_to_espeak_and_the_clip_says_so(
    client: TestClient, police, admin, edge_server
) -> None:
    edge_server.mode = "http403"

    slogan = approved_slogan(client, police, admin, SEED)

    assert {(c["status"], c["engine"], c["voice"]) for c in slogan["clips"]} == {("ready", "espeak", "cmn")}
    # Every stored file is whole: no 0-byte leftovers or temporary files from the failed attempts.
    files = _files(client)
    assert files and all(p.stat().st_size > 1000 and not p.name.startswith(".tmp") for p in files)


def test_audio_implausible_for_its_text_fails_the_gate_and_police_see_why(
    client: TestClient, police, admin
) -> None:
    # 8.3 s of speech (twice, with the opening) for 「开锁成功！网络汇款需谨慎。」 cannot be right.
    slogan = approved_slogan(client, police, admin, "网络汇款需谨慎。")

    seen = client.get(f"/v1/slogans/{slogan['id']}", headers=police).json()
    assert {c["status"] for c in seen["clips"]} == {"failed"}
    for clip in seen["clips"]:
        assert "与文字长度不符" in clip["error"] and clip["url"] is None


def test_resynthesize_remakes_fallback_clips_once_edge_answers(
    client: TestClient, police, admin, edge_server
) -> None:
    edge_server.mode = "http403"
    slogan = approved_slogan(client, police, admin, SEED)
    before = {c["id"]: c for c in slogan["clips"]}
    assert {c["engine"] for c in before.values()} == {"espeak"}
    synthesizer = client.app.state.synthesizer  # type: ignore[attr-defined]
    edge = synthesizer.maker.engines[0]

    # Still down: nothing changes, and the espeak clips keep serving.
    assert synthesizer.resynthesize(edge) == (0, 1)
    still = client.get(f"/v1/slogans/{slogan['id']}", headers=admin).json()["clips"]
    assert {(c["id"], c["status"], c["sha256"]) for c in still} == {
        (c["id"], "ready", c["sha256"]) for c in before.values()
    }

    edge_server.mode = "ok"
    assert synthesizer.resynthesize(edge) == (1, 0)
    after = client.get(f"/v1/slogans/{slogan['id']}", headers=admin).json()["clips"]
    assert {(c["status"], c["engine"]) for c in after} == {("ready", "edge")}
    assert all(c["sha256"] != before[c["id"]]["sha256"] for c in after)
    assert synthesizer.resynthesize(edge) == (0, 0)


def test_an_open_circuit_shows_in_readyz_and_metrics(
    client: TestClient, settings: Settings, police, admin, edge_server
) -> None:
    edge_server.mode = "http403"
    with TestClient(create_app(settings.model_copy(update={"edge_breaker_failures": 1}))) as strict:
        approved_slogan(strict, police, admin, SEED)
        assert strict.get("/readyz").json()["engines"] == {"edge": "open", "espeak": "ok"}
        text = strict.get("/metrics").text
    assert 'ebike_voice_engine_state{engine="edge",state="open"} 1.0' in text
    assert 'ebike_voice_syntheses_total{engine="edge",outcome="failed"}' in text
    assert client.get("/readyz").status_code == 200

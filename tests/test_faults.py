"""Parts failing: the database, the disk, the speech engine. The service says so and keeps going."""

import errno
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.migrate import upgrade
from tests.helpers import approved_slogan, collection, feature, square, wait_for_clips


def test_database_down_is_503_with_retry_after_and_recovers_without_restart(tmp_path: Path) -> None:
    missing = tmp_path / "not-yet"
    url = f"sqlite:///{missing / 'db.sqlite'}"
    settings = Settings(data_dir=tmp_path / "data", database_url=url, tts_engines=["espeak"])
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/zones", headers={"Authorization": "Bearer ebv_x"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "retry" in response.json()["detail"]
        assert client.get("/readyz").status_code == 503

        missing.mkdir()  # the database comes back
        upgrade(url)
        assert client.get("/readyz").status_code == 200
        assert client.get("/v1/zones", headers={"Authorization": "Bearer ebv_x"}).status_code == 401


def test_disk_full_fails_the_clip_and_events_keep_using_the_clips_they_have(
    client: TestClient,
    admin: dict[str, str],
    police: dict[str, str],
    operator: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    client.post("/v1/zones/import", json=collection(feature("z", square(89.18, 44.0))), headers=admin)

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("service.clips.maker.store_clip", disk_full)
    created = client.post("/v1/slogans", json={"text": "网恋交友谈钱的都是骗子。"}, headers=police).json()
    client.post(f"/v1/slogans/{created['id']}/approve", headers=admin)
    failed = wait_for_clips(client, created["id"], admin)
    assert {c["status"] for c in failed["clips"]} == {"failed"}
    assert all("No space left" in c["error"] and c["url"] is None for c in failed["clips"])
    assert not list(client.app.state.settings.clips_dir.rglob(".tmp-*"))  # type: ignore[attr-defined]

    client.post("/v1/campaigns", json={"name": "c", "slogan_ids": [good["id"], created["id"]]}, headers=admin)
    for n in range(5):
        body = {"event_id": f"e{n}", "bike_id": f"B{n}", "fleet_id": "beiting", "event": "unlock",
                "lat": 44.0, "lon": 89.18, "occurred_at": "2026-11-29T08:00:00+08:00"}  # fmt: skip
        answer = client.post("/v1/events", json=body, headers=operator).json()
        assert answer["slogan_id"] == good["id"]
        assert client.get(answer["clip"]["url"]).status_code == 200

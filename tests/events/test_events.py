from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.audio.pipeline import decode
from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0
NOW = datetime.now(UTC)


@pytest.fixture
def world(client: TestClient, admin: dict[str, str], police: dict[str, str], fleet: str) -> dict[str, Any]:
    zones = collection(
        feature("home", square(LON, LAT)), feature("station", square(LON + 0.01, LAT), kind="station")
    )
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    first = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    second = approved_slogan(client, police, admin, "网恋交友谈钱的都是骗子。")
    response = client.post(
        "/v1/campaigns",
        json={"name": "全域", "slogan_ids": [first["id"], second["id"]], "events": ["unlock", "lock"]},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return {"slogans": [first["id"], second["id"]], "fleet": fleet}


def event(
    n: int, *, bike: str = "B1", kind: str = "unlock", lon: float = LON, lat: float = LAT, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "bike_id": bike,
        "fleet_id": "beiting",
        "event": kind,
        "lat": lat,
        "lon": lon,
        "occurred_at": (NOW - timedelta(minutes=60 - n)).isoformat(),
        **extra,
    }


def test_unlock_in_a_zone_gets_a_playable_clip(
    client: TestClient, operator: dict[str, str], world: dict[str, Any]
) -> None:
    response = client.post("/v1/events", json=event(1), headers=operator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["event_id"] == "e1"
    assert body["zone_id"] == "home"
    assert body["slogan_id"] in world["slogans"]
    assert body["text"] in ("网络汇款需谨慎。", "网恋交友谈钱的都是骗子。")
    clip = body["clip"]
    assert clip["format"] == "mp3"
    audio = client.get(clip["url"])
    assert audio.status_code == 200
    assert audio.headers["etag"] == f'"{clip["sha256"]}"'
    assert "immutable" in audio.headers["cache-control"]
    assert abs(len(decode(audio.content, "mp3")) - clip["duration_ms"]) < 150


@pytest.mark.usefixtures("world")
def test_outside_every_zone_still_plays_an_everywhere_campaign(
    client: TestClient, operator: dict[str, str]
) -> None:
    body = client.post("/v1/events", json=event(1, lon=80.0, lat=40.0), headers=operator).json()
    assert body["zone_id"] is None
    assert body["clip"] is not None


@pytest.mark.usefixtures("world")
def test_same_event_id_gets_the_same_answer_and_counts_once(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    first = client.post("/v1/events", json=event(1), headers=operator).json()
    for _ in range(3):
        assert client.post("/v1/events", json=event(1), headers=operator).json() == first
    home = next(
        z for z in client.get("/v1/stats/coverage", headers=admin).json()["zones"] if z["zone_id"] == "home"
    )
    assert home["plays"] == 1


@pytest.mark.usefixtures("world")
def test_reused_event_id_for_another_event_is_409(client: TestClient, operator: dict[str, str]) -> None:
    client.post("/v1/events", json=event(1), headers=operator)
    assert client.post("/v1/events", json=event(1, bike="B2"), headers=operator).status_code == 409


@pytest.mark.usefixtures("world")
def test_a_bike_never_hears_the_same_slogan_twice_in_a_row(
    client: TestClient, operator: dict[str, str]
) -> None:
    heard = [
        client.post("/v1/events", json=event(n), headers=operator).json()["slogan_id"] for n in range(12)
    ]
    assert all(a != b for a, b in zip(heard, heard[1:], strict=False))


@pytest.mark.usefixtures("world")
def test_lock_clip_differs_from_unlock_clip(client: TestClient, operator: dict[str, str]) -> None:
    unlock = client.post("/v1/events", json=event(1, kind="unlock"), headers=operator).json()
    lock = client.post("/v1/events", json=event(2, kind="lock", bike="B9"), headers=operator).json()
    assert unlock["clip"]["id"] != lock["clip"]["id"]


@pytest.mark.parametrize(
    "change",
    [
        {"lat": 91},
        {"lon": -181},
        {"lat": "NaN"},
        {"lon": "Infinity"},
        {"event": "park"},
        {"event_id": ""},
        {"event_id": "../../etc"},
        {"occurred_at": "yesterday"},
    ],
)
@pytest.mark.usefixtures("world")
def test_bad_events_are_422_and_not_logged(
    client: TestClient,
    operator: dict[str, str],
    admin: dict[str, str],
    change: dict[str, Any],
) -> None:
    response = client.post("/v1/events", json={**event(1), **change}, headers=operator)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert client.get("/v1/stats/coverage", headers=admin).json()["zones_covered"] == 0


@pytest.mark.usefixtures("world")
def test_unknown_fleet_is_422_and_foreign_fleet_is_403(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    unknown = client.post("/v1/events", json=event(1, fleet_id="nope"), headers=operator)
    assert unknown.status_code == 422
    assert "unknown fleet" in unknown.json()["detail"]
    client.post("/v1/fleets", json={"id": "other", "name": "其他", "operator": "别家"}, headers=admin)
    assert client.post("/v1/events", json=event(2, fleet_id="other"), headers=operator).status_code == 403


@pytest.mark.usefixtures("fleet")
def test_pending_slogans_are_never_served(
    client: TestClient, operator: dict[str, str], admin: dict[str, str], police: dict[str, str]
) -> None:
    slogan_id = client.post("/v1/slogans", json={"text": "网络汇款需谨慎。"}, headers=police).json()["id"]
    created = client.post("/v1/campaigns", json={"name": "待审", "slogan_ids": [slogan_id]}, headers=admin)
    assert created.status_code == 201
    body = client.post("/v1/events", json=event(1), headers=operator).json()
    assert body["clip"] is None and body["slogan_id"] is None


def test_campaign_with_unknown_targets_is_422(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    for bad in (
        {"zone_ids": ["nowhere"]},
        {"fleet_ids": ["nofleet"]},
        {"slogan_ids": [999]},
        {"slogan_ids": []},
        {"weight": 0},
        {"zone_kinds": ["spaceport"]},
        {"regions": ["火星县"]},
        {"zone_kinds": ["station"], "exclude_zone_kinds": ["station"]},
        {"ends_at": "2020-01-01T00:00:00Z"},
    ):
        payload = {"name": "x", "slogan_ids": world["slogans"], **bad}
        response = client.post("/v1/campaigns", json=payload, headers=admin)
        assert response.status_code == 422, bad
    assert len(client.get("/v1/campaigns", headers=admin).json()) == 1


def test_audio_paths_are_checked(client: TestClient) -> None:
    for name in ("..%2F..%2Fetc%2Fpasswd", "abc.mp3", "0" * 64 + ".exe", "0" * 64 + ".mp3"):
        assert client.get(f"/v1/audio/{name}").status_code == 404


@pytest.mark.usefixtures("world")
def test_events_from_the_future_are_refused(client: TestClient, operator: dict[str, str]) -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = client.post("/v1/events", json=event(1, occurred_at=ahead), headers=operator)
    assert response.status_code == 422
    assert "1 h ahead of the server's clock" in response.text


@pytest.mark.usefixtures("world")
def test_an_ended_campaign_plays_no_more(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    campaign = client.get("/v1/campaigns", headers=admin).json()[0]
    assert client.post("/v1/events", json=event(1), headers=operator).json()["clip"] is not None
    ended = client.post(f"/v1/campaigns/{campaign['id']}/end", headers=admin)
    assert ended.status_code == 200 and ended.json()["ends_at"] is not None
    later = event(2, occurred_at=datetime.now(UTC).isoformat())
    assert client.post("/v1/events", json=later, headers=operator).json()["clip"] is None
    assert client.post(f"/v1/campaigns/{campaign['id']}/end", headers=admin).status_code == 409
    assert (
        client.get(f"/v1/campaigns/{campaign['id']}", headers=admin).json()["ends_at"]
        == ended.json()["ends_at"]
    )


def test_withdrawn_slogans_cannot_be_scheduled_and_approving_twice_changes_nothing(
    client: TestClient, admin: dict[str, str], police: dict[str, str], world: dict[str, Any]
) -> None:
    first, second = world["slogans"]
    before = client.get(f"/v1/slogans/{second}", headers=admin).json()
    again = client.post(f"/v1/slogans/{second}/approve", headers=admin).json()
    assert again["reviewed_at"] == before["reviewed_at"]
    client.post(f"/v1/slogans/{first}/withdraw", headers=police)
    response = client.post("/v1/campaigns", json={"name": "x", "slogan_ids": [first]}, headers=admin)
    assert response.status_code == 422 and "withdrawn" in response.json()["detail"]


def test_clip_downloads_answer_conditional_and_head_requests(
    client: TestClient, operator: dict[str, str], world: dict[str, Any]
) -> None:
    assert world["slogans"]
    clip = client.post("/v1/events", json=event(1), headers=operator).json()["clip"]
    full = client.get(clip["url"])
    cached = client.get(clip["url"], headers={"If-None-Match": full.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    head = client.head(clip["url"])
    assert head.status_code == 200 and head.headers["content-length"] == str(len(full.content))

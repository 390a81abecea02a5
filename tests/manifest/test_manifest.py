"""GET /v1/fleets/{fleet_id}/manifest and byte ranges of the clips it lists."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0


def _world(client: TestClient, admin: dict[str, str], police: dict[str, str]) -> dict[str, int]:
    zones = collection(
        feature("home", square(LON, LAT)), feature("st", square(LON + 0.01, LAT), kind="station")
    )
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    ids = {
        name: approved_slogan(client, police, admin, text)["id"]
        for name, text in (("all", "网络汇款需谨慎。"), ("station", "网恋交友谈钱的都是骗子。"))
    }
    now = datetime.now(UTC)
    campaigns = [
        {"name": "全域", "slogan_ids": [ids["all"]], "events": ["unlock"]},
        {"name": "车站", "slogan_ids": [ids["station"]], "zone_kinds": ["station"]},
        {"name": "下周", "slogan_ids": [ids["station"]], "zone_ids": ["home"],
         "starts_at": (now + timedelta(days=3)).isoformat(),
         "ends_at": (now + timedelta(days=4)).isoformat()},
    ]  # fmt: skip
    for campaign in campaigns:
        assert client.post("/v1/campaigns", json=campaign, headers=admin).status_code == 201
    return ids


def _clips(manifest: dict[str, Any]) -> set[tuple[int, str]]:
    return {(c["slogan_id"], c["event"]) for c in manifest["clips"]}


def test_manifest_lists_what_may_play_with_an_etag(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    ids = _world(client, admin, police)
    station = client.get("/v1/fleets/beiting/manifest", params={"zone_id": "st"}, headers=operator)
    assert station.status_code == 200, station.text
    body = station.json()
    assert _clips(body) == {(ids["all"], "unlock"), (ids["station"], "unlock"), (ids["station"], "lock")}
    for clip in body["clips"]:
        audio = client.get(clip["url"])
        assert audio.status_code == 200
        assert len(audio.content) == clip["size_bytes"] and clip["format"] == "mp3"
        assert clip["duration_ms"] > 500
    home = client.get("/v1/fleets/beiting/manifest", params={"zone_id": "home"}, headers=operator).json()
    assert _clips(home) == {(ids["all"], "unlock")}  # the expired campaign is not there

    etag = station.headers["etag"]
    again = client.get(
        "/v1/fleets/beiting/manifest", params={"zone_id": "st"}, headers={**operator, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.headers["etag"] == etag
    client.post("/v1/campaigns", json={"name": "新", "slogan_ids": [ids["station"]]}, headers=admin)
    changed = client.get(
        "/v1/fleets/beiting/manifest", params={"zone_id": "home"}, headers={**operator, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_manifest_is_for_the_operators_own_fleets(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    _world(client, admin, police)
    client.post("/v1/fleets", json={"id": "other", "name": "其他", "operator": "别家"}, headers=admin)
    assert client.get("/v1/fleets/other/manifest", headers=operator).status_code == 403
    assert client.get("/v1/fleets/nope/manifest", headers=operator).status_code == 404
    assert (
        client.get("/v1/fleets/beiting/manifest", params={"zone_id": "x"}, headers=operator).status_code
        == 404
    )
    assert client.get("/v1/fleets/beiting/manifest", headers=admin).status_code == 403
    assert client.get("/v1/fleets/beiting/manifest").status_code == 401


def test_clip_downloads_answer_byte_ranges(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    _world(client, admin, police)
    clip = client.get("/v1/fleets/beiting/manifest", headers=operator).json()["clips"][0]
    whole = client.get(clip["url"]).content
    part = client.get(clip["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    tail = client.get(clip["url"], headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole[-50:]
    beyond = client.get(clip["url"], headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416

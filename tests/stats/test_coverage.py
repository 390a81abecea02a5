from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0


def test_coverage_shows_every_zone_and_the_silent_ones(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    zones = collection(
        feature("a", square(LON, LAT)),
        feature("b", square(LON + 0.01, LAT)),
        feature("c", square(LON + 0.02, LAT)),
    )
    client.post("/v1/zones/import", json=zones, headers=admin)
    s1 = approved_slogan(client, police, admin, "网络汇款需谨慎。")["id"]
    s2 = approved_slogan(client, police, admin, "网恋交友谈钱的都是骗子。")["id"]
    client.post(
        "/v1/campaigns",
        json={"name": "only a and b", "slogan_ids": [s1, s2], "zone_ids": ["a", "b"]},
        headers=admin,
    )
    now = datetime.now(UTC)

    def post(n: int, bike: str, lon: float, minutes_ago: float) -> None:
        body = {
            "event_id": f"e{n}", "bike_id": bike, "fleet_id": "beiting", "event": "unlock",
            "lat": LAT, "lon": lon, "occurred_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
        }  # fmt: skip
        assert client.post("/v1/events", json=body, headers=operator).status_code == 200

    post(1, "B1", LON, 30)
    post(2, "B1", LON, 20)
    post(3, "B2", LON, 10)
    post(4, "B3", LON + 0.01, 5)
    post(5, "B4", LON + 0.02, 5)  # zone c: no campaign there, so no play
    post(6, "B5", LON, 60 * 24 * 40)  # outside the default 30-day window

    report = client.get("/v1/stats/coverage", headers=admin).json()
    assert report["zones_total"] == 3
    assert report["zones_covered"] == 2
    assert report["coverage_ratio"] == round(2 / 3, 4)
    assert report["silent_zone_ids"] == ["c"]
    zones_by_id = {z["zone_id"]: z for z in report["zones"]}
    a = zones_by_id["a"]
    assert (a["plays"], a["unique_bikes"], a["slogans"]) == (3, 2, 2)
    assert datetime.fromisoformat(a["last_play_at"]) > now - timedelta(minutes=11)
    assert zones_by_id["b"]["plays"] == 1
    silent = zones_by_id["c"]
    assert (silent["name"], silent["kind"]) == ("区域c", "residential")
    assert (silent["plays"], silent["unique_bikes"], silent["slogans"], silent["last_play_at"]) == (
        0,
        0,
        0,
        None,
    )

    since = (now - timedelta(minutes=15)).isoformat()
    narrow = client.get("/v1/stats/coverage", params={"since": since}, headers=admin).json()
    assert {z["zone_id"]: z["plays"] for z in narrow["zones"]} == {"a": 1, "b": 1, "c": 0}


def test_coverage_rejects_an_empty_period(client: TestClient, admin: dict[str, str]) -> None:
    params = {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    assert client.get("/v1/stats/coverage", params=params, headers=admin).status_code == 422
    assert client.get("/v1/stats/coverage", params={"since": "garbage"}, headers=admin).status_code == 422

"""Targeting through the API: campaign fields, daily caps that hold across restarts and workers, volume,
regions from fleets, and the explain endpoint."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import Role
from service.auth.service import create_key
from service.config import Settings
from service.main import create_app
from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0
# A Sunday one to two weeks ago, 08:00 in Shanghai (00:00 UTC): in the past, as lock events must be.
_TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
MORNING = _TODAY - timedelta(days=(_TODAY.weekday() + 1) % 7 + 7)


def post_event(
    client: TestClient, headers: dict[str, str], n: int, at: datetime, **extra: Any
) -> dict[str, Any]:
    body = {
        "event_id": f"e{n}",
        "bike_id": "B1",
        "fleet_id": "beiting",
        "event": "unlock",
        "lat": LAT,
        "lon": LON,
        "occurred_at": at.isoformat(),
        **extra,
    }
    response = client.post("/v1/events", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def three_slogans(client: TestClient, admin: dict[str, str], police: dict[str, str]) -> list[int]:
    zones = collection(
        feature(
            "home",
            square(LON, LAT),
            region="吉木萨尔县",
            quiet_hours={"start": "21:00", "end": "09:00", "volume": 1},
        ),
        feature("far", square(LON + 1, LAT), kind="village", region="奇台县", languages=["ug"]),
    )
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    texts = ("网络汇款需谨慎。", "网恋交友谈钱的都是骗子。", "陌生来电要警惕。")
    return [approved_slogan(client, police, admin, text)["id"] for text in texts]


def test_campaign_targeting_fields_round_trip_and_bad_ones_are_422(
    client: TestClient, admin: dict[str, str], three_slogans: list[int], fleet: str
) -> None:
    payload = {
        "name": "夜间提醒",
        "slogan_ids": three_slogans[:1],
        "regions": ["吉木萨尔县"],
        "exclude_zone_ids": ["far"],
        "exclude_zone_kinds": ["school"],
        "exclude_regions": ["奇台县"],
        "exclude_fleet_ids": [fleet],
        "dayparts": [
            {"days": ["fri", "sat"], "start": "22:00", "end": "2:00"},
            {"start": "07:00", "end": "09:30"},
        ],
        "max_plays_per_bike_per_day": 2,
    }
    created = client.post("/v1/campaigns", json=payload, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["dayparts"] == [
        {"days": ["fri", "sat"], "start": "22:00", "end": "02:00"},
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "07:00", "end": "09:30"},
    ]
    assert body["max_plays_per_bike_per_day"] == 2 and body["exclude_regions"] == ["奇台县"]
    for bad in (
        {"dayparts": [{"days": ["someday"], "start": "22:00", "end": "02:00"}]},
        {"dayparts": [{"start": "25:00", "end": "02:00"}]},
        {"dayparts": [{"start": "08:00", "end": "08:00"}]},
        {"dayparts": ["evenings"]},
        {"exclude_zone_ids": ["nowhere"]},
        {"exclude_fleet_ids": ["nofleet"]},
        {"max_plays_per_bike_per_day": 0},
    ):
        response = client.post("/v1/campaigns", json={**payload, **bad}, headers=admin)
        assert response.status_code == 422, bad
        assert response.json()["detail"]
    assert len(client.get("/v1/campaigns", headers=admin).json()) == 1


def test_daily_cap_holds_across_restarts_and_worker_processes(
    client: TestClient,
    settings: Settings,
    admin: dict[str, str],
    operator: dict[str, str],
    three_slogans: list[int],
) -> None:
    capped, fallback = three_slogans[:2], three_slogans[2]
    for campaign in (
        {"name": "限次", "slogan_ids": capped, "max_plays_per_bike_per_day": 1},
        {"name": "兜底", "slogan_ids": [fallback], "priority": "fallback"},
    ):
        assert client.post("/v1/campaigns", json=campaign, headers=admin).status_code == 201
    # A second app on the same database: another worker process, or the service after a restart.
    with TestClient(create_app(settings)) as other:
        apps = [client, other]
        heard = [
            post_event(apps[n % 2], operator, n, MORNING + timedelta(hours=n))["slogan_id"] for n in range(4)
        ]
        assert sorted(heard[:2]) == sorted(capped)
        assert heard[2:] == [fallback, fallback]
        # The next local day (Shanghai midnight is 16:00 UTC) the cap starts again.
        next_day = post_event(other, operator, 9, MORNING + timedelta(hours=17))
        assert next_day["slogan_id"] in capped


def test_volume_follows_quiet_hours_of_the_zone_and_the_deployment(
    client: TestClient, admin: dict[str, str], operator: dict[str, str], three_slogans: list[int]
) -> None:
    assert (
        client.post(
            "/v1/campaigns", json={"name": "全域", "slogan_ids": three_slogans}, headers=admin
        ).status_code
        == 201
    )
    noon = MORNING + timedelta(hours=4)  # 12:00 local
    assert post_event(client, operator, 1, noon)["volume"] == 6
    assert post_event(client, operator, 2, MORNING)["volume"] == 1  # 08:00: the zone's quiet hours
    outside = post_event(client, operator, 3, MORNING + timedelta(hours=15), lon=LON + 3)  # 23:00 local
    assert outside["zone_id"] is None and outside["volume"] == 3
    replay = post_event(client, operator, 2, MORNING)
    assert replay["volume"] == 1


def test_region_campaigns_reach_the_fleet_region_outside_zones(
    client: TestClient, admin: dict[str, str], three_slogans: list[int]
) -> None:
    created = client.post(
        "/v1/fleets",
        json={"id": "qitai", "name": "奇台出行", "operator": "奇台公司", "region": "奇台县"},
        headers=admin,
    )
    assert created.status_code == 201 and created.json()["region"] == "奇台县"
    client.post(
        "/v1/campaigns",
        json={"name": "奇台", "slogan_ids": three_slogans[:1], "regions": ["奇台县"]},
        headers=admin,
    )
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        _, plain = create_key(session=session, role=Role.operator, name="qitai", fleet_ids=["qitai"])
    qitai = {"Authorization": f"Bearer {plain}"}
    body = {"bike_id": "Q1", "fleet_id": "qitai", "event": "unlock", "occurred_at": MORNING.isoformat()}
    outside = client.post(
        "/v1/events", json={**body, "event_id": "q1", "lat": 40.0, "lon": 80.0}, headers=qitai
    )
    assert outside.json()["slogan_id"] == three_slogans[0]
    in_home = client.post(
        "/v1/events", json={**body, "event_id": "q2", "lat": LAT, "lon": LON}, headers=qitai
    )
    assert (
        in_home.json()["zone_id"] == "home" and in_home.json()["slogan_id"] is None
    )  # home is in 吉木萨尔县


def test_explain_says_why_and_logs_nothing(
    client: TestClient, admin: dict[str, str], operator: dict[str, str], three_slogans: list[int], fleet: str
) -> None:
    for campaign in (
        {"name": "全域", "slogan_ids": three_slogans[:2], "weight": 3},
        {"name": "只在还车", "slogan_ids": three_slogans[2:], "events": ["lock"]},
        {"name": "别的车队", "slogan_ids": three_slogans[2:], "exclude_fleet_ids": [fleet]},
    ):
        assert client.post("/v1/campaigns", json=campaign, headers=admin).status_code == 201
    params = {
        "fleet_id": fleet,
        "bike_id": "B1",
        "lat": LAT,
        "lon": LON,
        "event": "unlock",
        "at": MORNING.isoformat(),
    }
    response = client.get("/v1/decisions/explain", params=params, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"]["slogan_id"] in three_slogans[:2]
    assert body["answer"]["volume"] == 1
    assert body["zone"]["id"] == "home" and body["region"] == "吉木萨尔县"
    assert body["local_time"] == f"{MORNING:%Y-%m-%d} 08:00" and body["timezone"] == "Asia/Shanghai"
    verdicts = {v["name"]: v for v in body["campaigns"]}
    assert verdicts["全域"]["plays"] and verdicts["全域"]["probability"] == pytest.approx(1.0)
    assert {s["probability"] for s in verdicts["全域"]["slogans"]} == {0.5}
    assert verdicts["只在还车"]["reason"] == "event" and verdicts["只在还车"]["reason_text"]
    assert (
        verdicts["别的车队"]["reason"] == "fleet_excluded"
        and verdicts["别的车队"]["reason_text"] == "该车队被排除"
    )
    # Nothing was logged, no bike registered.
    assert client.get("/v1/stats/coverage", headers=admin).json()["zones_covered"] == 0
    assert client.get(f"/v1/fleets/{fleet}/bikes", headers=admin).json() == []
    # After a real event the explanation knows the bike's last slogan.
    played = post_event(client, operator, 1, MORNING)["slogan_id"]
    again = client.get("/v1/decisions/explain", params=params, headers=admin).json()
    assert again["last_slogan_id"] == played and again["plays_today"] == {str(played): 1}
    assert again["answer"]["slogan_id"] != played
    assert client.get("/v1/decisions/explain", params=params, headers=operator).status_code == 403
    bad = client.get("/v1/decisions/explain", params={**params, "fleet_id": "nope"}, headers=admin)
    assert bad.status_code == 422 and "unknown fleet" in bad.json()["detail"]
    assert client.get("/v1/decisions/explain", params={**params, "lat": 91}, headers=admin).status_code == 422
    bad_bike = client.get("/v1/decisions/explain", params={**params, "bike_id": "bad id"}, headers=admin)
    assert bad_bike.status_code == 422  # the same ids as lock events take

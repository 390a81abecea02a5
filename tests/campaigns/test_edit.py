"""PATCH and DELETE for zones, fleets and campaigns: checked like creation, audited, followed by the next
lock events, and a zone or fleet in use refused unless forced, its past plays kept in the stats."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import approved_slogan, collection, feature, operator_key, square
from tests.targeting.test_targeting_api import LAT, LON, post_event

NOW = datetime.now(UTC)


@pytest.fixture
def world(client: TestClient, admin: dict[str, str], police: dict[str, str], fleet: str) -> dict[str, Any]:
    zones = collection(
        feature("home", square(LON, LAT)), feature("far", square(LON + 1, LAT), kind="village")
    )
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    slogan = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    campaign = client.post(
        "/v1/campaigns",
        json={"name": "汇款提醒", "slogan_ids": [slogan["id"]], "zone_ids": ["home"]},
        headers=admin,
    )
    assert campaign.status_code == 201, campaign.text
    return {
        "slogan": slogan["id"],
        "campaign": campaign.json()["id"],
        "operator": operator_key(client, [fleet]),
    }


def test_campaign_patch_is_checked_audited_and_followed_by_the_next_event(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    url = f"/v1/campaigns/{world['campaign']}"
    assert (
        post_event(client, world["operator"], 1, NOW - timedelta(minutes=5))["slogan_id"] == world["slogan"]
    )

    patched = client.patch(url, json={"weight": 3.5, "zone_ids": ["far"]}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["weight"] == 3.5 and patched.json()["zone_ids"] == ["far"]
    assert patched.json()["name"] == "汇款提醒"  # what was not sent stays
    # The bike in "home" no longer hears it, at once.
    assert post_event(client, world["operator"], 2, NOW - timedelta(minutes=4))["slogan_id"] is None

    audit = client.get(
        "/v1/audit", params={"entity": "campaign", "entity_id": world["campaign"]}, headers=admin
    )
    update = next(e for e in audit.json() if e["action"] == "update")
    assert update["before"]["weight"] == 1.0 and update["after"]["weight"] == 3.5
    assert update["before"]["zone_ids"] == ["home"] and update["after"]["zone_ids"] == ["far"]

    past = (NOW - timedelta(days=1)).isoformat()
    bad_edits = [{"weight": 0}, {"zone_ids": ["nowhere"]}, {"slogan_ids": []}, {"name": None}]
    for bad in [*bad_edits, {"colour": "red"}, {"ends_at": past}]:
        response = client.patch(url, json=bad, headers=admin)
        assert response.status_code == 422, (bad, response.text)
    assert client.get(url, headers=admin).json()["weight"] == 3.5  # nothing half-written
    assert client.patch("/v1/campaigns/999", json={"weight": 2}, headers=admin).status_code == 404


def test_campaign_delete_keeps_its_plays_in_the_stats(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    post_event(client, world["operator"], 1, NOW - timedelta(minutes=5))
    assert client.delete(f"/v1/campaigns/{world['campaign']}", headers=admin).status_code == 204
    assert client.get(f"/v1/campaigns/{world['campaign']}", headers=admin).status_code == 404
    assert post_event(client, world["operator"], 2, NOW - timedelta(minutes=4))["slogan_id"] is None
    stats = client.get("/v1/stats/slogans", headers=admin).json()["slogans"]
    assert [s["plays"] for s in stats if s["slogan_id"] == world["slogan"]] == [1]


def test_zone_patch_validates_like_an_import(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    del world
    patched = client.patch(
        "/v1/zones/far", json={"name": "北庭村", "region": "吉木萨尔县", "volume": 2}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["name"], body["kind"], body["region"], body["volume"]) == (
        "北庭村",
        "village",
        "吉木萨尔县",
        2,
    )
    for bad in ({"volume": 9}, {"name": ""}, {"kind": None}, {"languages": ["fr"]}, {"geometry": {}}):
        assert client.patch("/v1/zones/far", json=bad, headers=admin).status_code == 422, bad
    assert client.patch("/v1/zones/none", json={"name": "x"}, headers=admin).status_code == 404
    assert client.get("/v1/zones/far", headers=admin).json()["volume"] == 2


def test_zone_in_use_is_409_unless_forced_and_its_plays_stay(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    post_event(client, world["operator"], 1, NOW - timedelta(minutes=5))
    refused = client.delete("/v1/zones/home", headers=admin)
    assert refused.status_code == 409
    assert (
        f"campaigns {world['campaign']}" in refused.json()["detail"] and "1 plays" in refused.json()["detail"]
    )
    assert client.get("/v1/zones/home", headers=admin).status_code == 200

    forced = client.delete("/v1/zones/home", params={"force": "true"}, headers=admin)
    assert forced.status_code == 200, forced.text
    # The campaign named only this zone: it is ended rather than left to play everywhere.
    assert forced.json() == {"id": "home", "campaigns_changed": [world["campaign"]],
                             "campaigns_ended": [world["campaign"]]}  # fmt: skip
    campaign = client.get(f"/v1/campaigns/{world['campaign']}", headers=admin).json()
    assert campaign["zone_ids"] == [] and campaign["ends_at"] is not None
    assert client.get("/v1/zones/home", headers=admin).status_code == 404
    assert post_event(client, world["operator"], 2, datetime.now(UTC))["slogan_id"] is None
    stats = client.get("/v1/stats/slogans", headers=admin).json()["slogans"]
    assert [s["plays"] for s in stats if s["slogan_id"] == world["slogan"]] == [1]
    # A zone nothing names goes without force.
    assert client.delete("/v1/zones/far", headers=admin).status_code == 200


def test_fleet_patch_and_delete(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], fleet: str
) -> None:
    patched = client.patch(
        f"/v1/fleets/{fleet}", json={"name": "北庭出行二期", "region": "吉木萨尔县"}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "北庭出行二期" and patched.json()["operator"] == "北庭出行公司"
    for bad in ({"profile": "ogg"}, {"name": None}, {"id": "other"}):
        assert client.patch(f"/v1/fleets/{fleet}", json=bad, headers=admin).status_code == 422, bad
    post_event(client, world["operator"], 1, NOW - timedelta(minutes=5))
    refused = client.delete(f"/v1/fleets/{fleet}", headers=admin)
    assert refused.status_code == 409 and "plays were logged" in refused.json()["detail"]
    forced = client.delete(f"/v1/fleets/{fleet}", params={"force": True}, headers=admin)
    assert forced.status_code == 200 and forced.json()["bikes_deleted"] == 1
    assert client.get("/v1/fleets", headers=admin).json() == []
    stats = client.get("/v1/stats/slogans", headers=admin).json()["slogans"]
    assert [s["plays"] for s in stats if s["slogan_id"] == world["slogan"]] == [1]

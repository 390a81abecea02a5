"""POST /v1/decisions/explain: what a draft campaign would do at a point, by the decision's own rules,
before it is saved (and without saving it)."""

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0


def _explain(client: TestClient, headers: dict[str, str], lon: float, **body: Any) -> Any:
    query = {"fleet_id": "beiting", "bike_id": "console", "lat": LAT, "lon": lon, **body}
    return client.post("/v1/decisions/explain", json=query, headers=headers)


def _verdicts(body: dict[str, Any]) -> dict[int, str]:
    return {v["campaign_id"]: v["reason"] for v in body["campaigns"]}


def test_a_draft_is_explained_as_if_saved_and_nothing_is_saved(
    client: TestClient, admin: dict[str, str], police: dict[str, str], fleet: str
) -> None:
    zones = collection(
        feature("home", square(LON, LAT)), feature("far", square(LON + 1, LAT), kind="village")
    )
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    slogan = approved_slogan(client, police, admin, "陌生来电要警惕。")["id"]
    saved = client.post("/v1/campaigns", json={"name": "全域", "slogan_ids": [slogan]}, headers=admin).json()
    draft = {"name": "草稿", "slogan_ids": [slogan], "zone_ids": ["home"], "priority": "urgent"}

    # A new draft (id 0): it reaches home and outranks the saved campaign there, not far.
    home = _explain(client, admin, LON, campaign=draft)
    assert home.status_code == 200, home.text
    assert home.json()["answer"]["campaign_id"] == 0
    assert _verdicts(home.json()) == {0: "eligible", saved["id"]: "outranked"}
    far = _explain(client, admin, LON + 1, campaign=draft).json()
    assert far["answer"]["campaign_id"] == saved["id"] and far["zone"]["id"] == "far"
    assert _verdicts(far) == {0: "not_targeted_here", saved["id"]: "eligible"}
    verdict = next(v for v in far["campaigns"] if v["campaign_id"] == 0)
    assert verdict["name"] == "草稿" and verdict["reason_text"] == "车辆所在位置不在活动投放范围内"

    # An edit of the saved campaign replaces it: here, excluding home.
    edit = {"name": "全域", "slogan_ids": [slogan], "exclude_zone_ids": ["home"]}
    edited = _explain(client, admin, LON, campaign=edit, campaign_id=saved["id"]).json()
    assert _verdicts(edited) == {saved["id"]: "zone_excluded"} and edited["answer"]["campaign_id"] is None

    # Nothing was saved: the campaigns and the plain explain are as before.
    assert client.get("/v1/campaigns", headers=admin).json() == [saved]
    params = {"fleet_id": fleet, "bike_id": "console", "lat": LAT, "lon": LON}
    plain = client.get("/v1/decisions/explain", params=params, headers=admin).json()
    assert _verdicts(plain) == {saved["id"]: "eligible"}

    # The draft is checked as a new campaign is; bad input is a clear 4xx.
    unknown = _explain(client, admin, LON, campaign={**draft, "zone_ids": ["nowhere"]})
    assert unknown.status_code == 422 and "unknown zones: nowhere" in unknown.json()["detail"]
    assert _explain(client, admin, LON, campaign={**draft, "slogan_ids": []}).status_code == 422
    assert _explain(client, admin, LON, campaign={**draft, "colour": "red"}).status_code == 422
    assert _explain(client, admin, LON, campaign=draft, campaign_id=999).status_code == 404
    assert _explain(client, police, LON, campaign=draft).status_code == 403

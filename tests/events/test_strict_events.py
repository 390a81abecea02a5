"""The lock-event path's input is strict too (the lean path hands a body it does not take to the FastAPI
route, which names the field), and an event time read far ahead says how it was read."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.events.test_events import event, world  # noqa: F401  (world: a fixture)


def _unknown(response: Any, *loc: Any) -> None:
    assert response.status_code == 422, response.text
    assert {
        "type": "extra_forbidden",
        "loc": list(loc),
        "msg": f"unknown field {loc[-1]!r}",
    } in response.json()["detail"]


@pytest.mark.usefixtures("world")
def test_unknown_fields_in_events_proofs_and_explain_are_named(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    _unknown(client.post("/v1/events", json={**event(1), "zone": "home"}, headers=operator), "body", "zone")
    assert client.post("/v1/events", json=event(1), headers=operator).status_code == 200
    played = {"played_at": datetime.now().astimezone().isoformat(), "status": "played", "sentat": "x"}
    _unknown(client.post("/v1/events/e1/played", json=played, headers=operator), "body", "sentat")
    batch = {"events": [event(2)], "device": "x"}
    _unknown(client.post("/v1/events/batch", json=batch, headers=operator), "body", "device")
    params = {"fleet_id": "beiting", "bike_id": "B1", "lat": 44.0, "lng": 89.18, "lon": 89.18}
    _unknown(client.get("/v1/decisions/explain", params=params, headers=admin), "query", "lng")


@pytest.mark.usefixtures("world")
def test_a_batch_item_with_an_unknown_field_gets_its_own_422(
    client: TestClient, operator: dict[str, str]
) -> None:
    items = [event(1), {**event(2, bike="B2"), "occured_at": "2026-11-29T08:00:00"}, event(3, bike="B3")]
    results = client.post("/v1/events/batch", json={"events": items}, headers=operator).json()["results"]
    assert [r.get("error", {}).get("status") for r in results] == [None, 422, None]
    (error,) = results[1]["error"]["detail"]
    assert (results[1]["event_id"], error["type"], error["loc"]) == ("e2", "extra_forbidden", ["occured_at"])


@pytest.mark.usefixtures("world")
def test_a_naive_event_time_far_ahead_says_how_it_was_read(
    client: TestClient, operator: dict[str, str]
) -> None:
    local = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=7)).replace(microsecond=0, tzinfo=None)
    response = client.post(
        "/v1/events", json={**event(1), "occurred_at": local.isoformat()}, headers=operator
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "occurred_at"]
    assert error["msg"].startswith(
        f"occurred_at read as {local.isoformat()}+08:00 (no offset given: read on the local clock), "
        "7 h ahead of the server's clock"
    )
    just_ahead = local - timedelta(hours=7) + timedelta(minutes=10)
    assert (
        client.post(
            "/v1/events", json={**event(2), "occurred_at": just_ahead.isoformat()}, headers=operator
        ).status_code
        == 200
    )


def test_every_json_request_body_refuses_unknown_fields() -> None:
    """Every body model in the API's schema: additionalProperties false (GeoJSON and GBFS bodies are
    free-form, as RFC 7946 allows foreign members; their features are checked by hand)."""
    schema = create_app().openapi()
    bodies = [
        (path, op["requestBody"]["content"]["application/json"]["schema"])
        for path, item in schema["paths"].items()
        for op in item.values()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    refs = {path: body["$ref"].rsplit("/", 1)[-1] for path, body in bodies if "$ref" in body}
    free = {path for path, body in bodies if "$ref" not in body}
    assert free == {"/v1/zones/import", "/v1/zones/import/gbfs"}
    components = schema["components"]["schemas"]
    assert len(refs) >= 9
    assert {
        path: name for path, name in refs.items() if components[name].get("additionalProperties") is not False
    } == {}

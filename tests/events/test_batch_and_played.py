"""POST /v1/events/batch and proof of play."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.events.test_events import NOW, event, world  # noqa: F401  (world: a fixture)


def _zone(client: TestClient, admin: dict[str, str], zone_id: str = "home") -> dict[str, Any]:
    zones = client.get("/v1/stats/coverage", headers=admin).json()["zones"]
    return next(z for z in zones if z["zone_id"] == zone_id)


@pytest.mark.usefixtures("world")
def test_batch_answers_each_item_and_a_bad_one_sinks_nothing(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    client.post("/v1/events", json=event(1), headers=operator)
    items = [
        event(1),  # logged before: the first answer again
        event(2, bike="B2"),
        {**event(3), "lat": 91},  # invalid
        {"bike_id": "B3"},  # no event id at all
        event(4, fleet_id="nope"),  # unknown fleet
        event(5, bike="B5"),
        event(5, bike="B5"),  # the same event twice in one batch
        event(1, bike="B9"),  # event id reused for another event
    ]
    response = client.post("/v1/events/batch", json={"events": items}, headers=operator)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(items)
    assert [r["event_id"] for r in results] == ["e1", "e2", "e3", None, "e4", "e5", "e5", "e1"]
    assert [r.get("error", {}).get("status") for r in results] == [None, None, 422, 422, 422, None, None, 409]
    assert results[0]["slogan_id"] is not None and results[1]["clip"]["url"].startswith("/v1/audio/")
    assert results[5] == results[6]
    assert _zone(client, admin)["plays"] == 3  # e1, e2, e5


@pytest.mark.usefixtures("world")
def test_a_batch_item_with_non_finite_numbers_is_its_own_422(
    client: TestClient, operator: dict[str, str]
) -> None:
    """JSON as Python reads it may carry NaN and Infinity: the item's error must still be valid JSON."""
    good = json.dumps(event(1))
    raw = f'{{"events": [{good}, {{"event_id": "e2", "lat": NaN, "lon": Infinity}}]}}'
    response = client.post(
        "/v1/events/batch", content=raw, headers={**operator, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    first, second = json.loads(
        response.text, parse_constant=lambda name: pytest.fail(f"{name} in the answer")
    )["results"]
    assert first["event_id"] == "e1" and first["zone_id"] == "home"
    assert second["event_id"] == "e2" and second["error"]["status"] == 422


@pytest.mark.usefixtures("world")
def test_batch_over_the_limit_is_413(client: TestClient, operator: dict[str, str]) -> None:
    items = [event(n, bike=f"B{n}") for n in range(1001)]
    assert client.post("/v1/events/batch", json={"events": items}, headers=operator).status_code == 413
    assert client.post("/v1/events/batch", json={"events": "x"}, headers=operator).status_code == 422


@pytest.mark.usefixtures("world")
def test_proof_of_play_keeps_three_clocks_apart_and_counts_once(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    answer = client.post("/v1/events", json=event(1), headers=operator).json()
    played_at = datetime.now().astimezone() + timedelta(seconds=3)
    body = {"played_at": played_at.isoformat(), "status": "played"}
    first = client.post("/v1/events/e1/played", json=body, headers=operator)
    assert first.status_code == 200, first.text
    proof = first.json()
    assert proof["event_id"] == answer["event_id"]
    assert datetime.fromisoformat(proof["occurred_at"]) == NOW - timedelta(minutes=59)
    received = datetime.fromisoformat(proof["received_at"])
    assert abs((received - datetime.now().astimezone()).total_seconds()) < 60
    assert datetime.fromisoformat(proof["played_at"]) == played_at
    assert proof["clock_skew_s"] is None
    assert client.post("/v1/events/e1/played", json=body, headers=operator).json() == proof  # a retry
    changed = {**body, "status": "failed"}
    assert client.post("/v1/events/e1/played", json=changed, headers=operator).status_code == 409
    zone = _zone(client, admin)
    assert (zone["plays"], zone["confirmed_plays"]) == (1, 1)


@pytest.mark.usefixtures("world")
def test_a_device_clock_far_off_is_flagged_and_failures_do_not_confirm(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    client.post("/v1/events", json=event(1), headers=operator)
    client.post("/v1/events", json=event(2, bike="B2"), headers=operator)
    skewed = (datetime.now().astimezone() - timedelta(hours=2)).isoformat()
    proof = client.post(
        "/v1/events/e1/played",
        json={"played_at": skewed, "sent_at": skewed, "status": "played"},
        headers=operator,
    )
    assert -7300 < proof.json()["clock_skew_s"] < -7100
    now = datetime.now().astimezone().isoformat()
    failed = client.post(
        "/v1/events/e2/played", json={"played_at": now, "status": "failed"}, headers=operator
    )
    assert failed.json()["status"] == "failed"
    assert _zone(client, admin)["confirmed_plays"] == 1


@pytest.mark.usefixtures("world")
def test_proof_of_play_for_unknown_or_foreign_events_is_rejected(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    now = datetime.now().astimezone().isoformat()
    body = {"played_at": now, "status": "played"}
    assert client.post("/v1/events/nope/played", json=body, headers=operator).status_code == 404
    client.post("/v1/events", json=event(1), headers=operator)
    assert (
        client.post("/v1/events/e1/played", json={**body, "status": "loud"}, headers=operator).status_code
        == 422
    )
    assert client.post("/v1/events/e1/played", json=body, headers=admin).status_code == 403
    assert _zone(client, admin)["confirmed_plays"] == 0


@pytest.mark.usefixtures("world")
def test_an_offline_backlog_played_hours_ago_is_not_clock_skew(
    client: TestClient, operator: dict[str, str]
) -> None:
    """A lock offline for hours plays from its manifest, then uploads the events and their proofs: the
    reports arrive hours after the plays, from a device whose clock is right."""
    hours_ago = datetime.now().astimezone() - timedelta(hours=3)
    items = [{**event(n, bike=f"B{n}"), "occurred_at": hours_ago.isoformat()} for n in (1, 2, 3)]
    assert client.post("/v1/events/batch", json={"events": items}, headers=operator).status_code == 200
    now = datetime.now().astimezone()
    played = {"played_at": hours_ago.isoformat(), "status": "played"}
    late = client.post("/v1/events/e1/played", json={**played, "sent_at": now.isoformat()}, headers=operator)
    assert late.status_code == 200 and late.json()["clock_skew_s"] is None
    # Without sent_at a late report cannot tell its clock: nothing is flagged ...
    assert client.post("/v1/events/e2/played", json=played, headers=operator).json()["clock_skew_s"] is None
    # ... but a play stamped after its report arrived can only be a clock running ahead.
    ahead = {"played_at": (now + timedelta(hours=1)).isoformat(), "status": "played"}
    assert (
        3500 < client.post("/v1/events/e3/played", json=ahead, headers=operator).json()["clock_skew_s"] < 3700
    )

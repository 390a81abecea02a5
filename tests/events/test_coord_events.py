"""Lock events, batches and explain in GCJ-02 or BD-09: by the event's coord_system, else its fleet's; the
log holds WGS-84."""

from typing import Any

import eviltransform
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import Role
from service.events.models import LockEventLog
from tests.conftest import make_key
from tests.events.test_events import LAT, LON, event, world  # noqa: F401  (world: a fixture)

GCJ_LAT, GCJ_LON = eviltransform.wgs2gcj(LAT, LON)
BD_LAT, BD_LON = eviltransform.gcj2bd(GCJ_LAT, GCJ_LON)


@pytest.fixture
def amap(client: TestClient, admin: dict[str, str], world: Any) -> dict[str, str]:  # noqa: F811, ARG001
    """A fleet whose backend reports GCJ-02, and its operator's key."""
    fleet = {"id": "amap", "name": "高德车队", "operator": "某出行公司", "coord_system": "gcj02"}
    assert client.post("/v1/fleets", json=fleet, headers=admin).status_code == 201
    return make_key(client, Role.operator, fleet_ids=["amap"])


def test_events_in_the_fleets_coord_system_land_in_their_zone(
    client: TestClient, amap: dict[str, str], engine: Any
) -> None:
    gcj = {"fleet_id": "amap", "lat": GCJ_LAT, "lon": GCJ_LON}
    assert client.post("/v1/events", json={**event(1), **gcj}, headers=amap).json()["zone_id"] == "home"
    # The same numbers said to be WGS-84 lie ~300 m away, outside the zone.
    as_wgs = {**event(2), **gcj, "coord_system": "wgs84"}
    assert client.post("/v1/events", json=as_wgs, headers=amap).json()["zone_id"] is None
    bd = {**event(3), "fleet_id": "amap", "lat": BD_LAT, "lon": BD_LON, "coord_system": "bd09"}
    assert client.post("/v1/events", json=bd, headers=amap).json()["zone_id"] == "home"
    with Session(engine) as session:
        logged = session.exec(select(LockEventLog).where(LockEventLog.event_id == "e1")).one()
    assert abs(logged.lat - LAT) < 1e-5 and abs(logged.lon - LON) < 1e-5


@pytest.mark.usefixtures("world")
def test_a_batch_and_explain_take_coord_system(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    bd = {"lat": BD_LAT, "lon": BD_LON}
    items = [
        {**event(1), **bd},
        {**event(2, bike="B2"), "lat": GCJ_LAT, "lon": GCJ_LON, "coord_system": "gcj02"},
    ]
    batch = {"events": items, "coord_system": "bd09"}
    results = client.post("/v1/events/batch", json=batch, headers=operator).json()["results"]
    assert [r["zone_id"] for r in results] == ["home", "home"]
    unconverted = client.post("/v1/events/batch", json={"events": [{**event(3), **bd}]}, headers=operator)
    assert unconverted.json()["results"][0]["zone_id"] is None  # beiting reports WGS-84
    params = {"fleet_id": "beiting", "bike_id": "B9", "lat": GCJ_LAT, "lon": GCJ_LON}
    explained = client.get("/v1/decisions/explain", params={**params, "coord_system": "gcj02"}, headers=admin)
    assert explained.json()["zone"]["id"] == "home"
    assert client.get("/v1/decisions/explain", params=params, headers=admin).json()["zone"] is None

"""Bikes: registered in bulk from CSV or on their first event; listed with where and when last seen."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import Role
from service.auth.service import create_key
from tests.helpers import collection, feature, square

LON, LAT = 89.18, 44.0
CSV = {"Content-Type": "text/csv"}


def test_bikes_from_csv_and_first_events_are_listed_with_last_zone_and_time(
    client: TestClient, admin: dict[str, str], operator: dict[str, str], fleet: str
) -> None:
    data = b"bike_id,model\r\nBE00001,V2\r\nBE00002,V2\r\n"
    response = client.post(f"/v1/fleets/{fleet}/bikes/import", content=data, headers={**admin, **CSV})
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 2, "existing": 0}
    again = "\ufeffbike_id\nBE00002\nBE00003\n".encode()  # with a BOM, as spreadsheets save it
    assert client.post(
        f"/v1/fleets/{fleet}/bikes/import", content=again, headers={**operator, **CSV}
    ).json() == {
        "created": 1,
        "existing": 1,
    }
    client.post("/v1/zones/import", json=collection(feature("home", square(LON, LAT))), headers=admin)
    event = {
        "event_id": "e1",
        "bike_id": "BE00002",
        "fleet_id": fleet,
        "event": "lock",
        "lat": LAT,
        "lon": LON,
        "occurred_at": "2026-11-29T08:00:00+08:00",
    }
    assert client.post("/v1/events", json=event, headers=operator).status_code == 200
    event |= {"event_id": "e2", "bike_id": "NEW9"}
    assert client.post("/v1/events", json=event, headers=operator).status_code == 200
    bikes = client.get(f"/v1/fleets/{fleet}/bikes", headers=operator).json()
    assert [b["bike_id"] for b in bikes] == ["BE00001", "BE00002", "BE00003", "NEW9"]
    seen = {b["bike_id"]: (b["last_zone_id"], b["last_seen_at"]) for b in bikes}
    assert seen["BE00001"] == (None, None)
    assert seen["BE00002"] == ("home", "2026-11-29T08:00:00+08:00")
    page = client.get(f"/v1/fleets/{fleet}/bikes", params={"limit": 2, "offset": 1}, headers=admin).json()
    assert [b["bike_id"] for b in page] == ["BE00002", "BE00003"]


def test_bad_csv_is_422_naming_the_line_and_registers_nothing(
    client: TestClient, admin: dict[str, str], fleet: str
) -> None:
    for data, fault in (
        (b"id\nBE1\n", "bike_id column"),
        (b"", "bike_id column"),
        (b"bike_id\n", "no bikes"),
        (b"bike_id\nBE1\nBE 2\n", "line 3"),
        (b"bike_id\nBE1\nBE1\n", "line 3: bike_id 'BE1' repeats line 2"),
        (b"bike_id\n\xff\xfe\n", "UTF-8"),
    ):
        response = client.post(f"/v1/fleets/{fleet}/bikes/import", content=data, headers={**admin, **CSV})
        assert response.status_code == 422, data
        assert fault in response.json()["detail"]
    assert client.get(f"/v1/fleets/{fleet}/bikes", headers=admin).json() == []


def test_only_the_fleets_own_operator_or_an_admin_sees_its_bikes(
    client: TestClient, admin: dict[str, str], fleet: str
) -> None:
    client.post("/v1/fleets", json={"id": "other", "name": "其他", "operator": "别家"}, headers=admin)
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        _, plain = create_key(session=session, role=Role.operator, name="other", fleet_ids=["other"])
    stranger = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/v1/fleets/{fleet}/bikes", headers=stranger).status_code == 403
    response = client.post(
        f"/v1/fleets/{fleet}/bikes/import", content=b"bike_id\nX1\n", headers={**stranger, **CSV}
    )
    assert response.status_code == 403
    assert client.get("/v1/fleets/nope/bikes", headers=admin).status_code == 404
    assert client.get(f"/v1/fleets/{fleet}/bikes", headers=admin).json() == []


def test_bike_positions_in_the_fleets_coord_system_place_new_bikes_in_zones(
    client: TestClient, admin: dict[str, str]
) -> None:
    import eviltransform

    fleet = {"id": "amap", "name": "高德车队", "operator": "某出行公司", "coord_system": "gcj02"}
    created = client.post("/v1/fleets", json=fleet, headers=admin)
    assert created.status_code == 201 and created.json()["coord_system"] == "gcj02"
    client.post("/v1/zones/import", json=collection(feature("home", square(LON, LAT))), headers=admin)
    gcj_lat, gcj_lon = eviltransform.wgs2gcj(LAT, LON)
    data = f"bike_id,lat,lon\nG1,{gcj_lat},{gcj_lon}\nG2,,\n".encode()
    url = "/v1/fleets/amap/bikes/import"
    assert client.post(url, content=data, headers={**admin, **CSV}).json() == {"created": 2, "existing": 0}
    # The same numbers read as WGS-84 lie ~300 m away, outside the zone.
    data = f"bike_id,lat,lon\nW1,{gcj_lat},{gcj_lon}\n".encode()
    assert (
        client.post(url, content=data, params={"coord_system": "wgs84"}, headers={**admin, **CSV}).status_code
        == 200
    )
    zones = {
        b["bike_id"]: b["last_zone_id"] for b in client.get("/v1/fleets/amap/bikes", headers=admin).json()
    }
    assert zones == {"G1": "home", "G2": None, "W1": None}
    bad = client.post(url, content=b"bike_id,lat,lon\nX,44,east\n", headers={**admin, **CSV})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("line 2: lat and lon must be degrees")

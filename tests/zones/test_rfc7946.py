"""GeoJSON per RFC 7946, strict zone properties, nested zones, GCJ-02/BD-09 input, the GeoJSON export."""

import eviltransform
from fastapi.testclient import TestClient

from tests.helpers import collection, feature, square

LON, LAT = 89.18, 44.0


def _import(client: TestClient, admin: dict[str, str], payload: dict, **params: str):  # type: ignore[no-untyped-def,type-arg]
    return client.post("/v1/zones/import", json=payload, params=params, headers=admin)


def test_an_unclosed_ring_is_a_422_naming_the_feature(client: TestClient, admin: dict[str, str]) -> None:
    ring = square(LON, LAT)["coordinates"][0][:-1]  # shapely would close it silently
    payload = collection(
        feature("ok", square(LON + 0.1, LAT)), feature("open", {"type": "Polygon", "coordinates": [ring]})
    )
    response = _import(client, admin, payload)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("feature 1 (id 'open'): ring 0 is not closed")
    assert client.get("/v1/zones", headers=admin).json() == []  # nothing written


def test_a_polygon_wider_than_180_degrees_is_a_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    ring = [[-170.0, 10.0], [170.0, 10.0], [170.0, 20.0], [-170.0, 20.0], [-170.0, 10.0]]
    multi = {"type": "MultiPolygon", "coordinates": [square(LON, LAT)["coordinates"], [ring]]}
    response = _import(client, admin, collection(feature("wide", multi)))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("feature 0 (id 'wide'): polygon 1 spans 340.0° of longitude")


def test_an_unknown_zone_property_is_a_422_naming_it(client: TestClient, admin: dict[str, str]) -> None:
    response = _import(client, admin, collection(feature("v", square(LON, LAT), languges=["ug"])))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("feature 0 (id 'v'): unknown property 'languges'")
    response = client.post("/v1/zones/import", params={"coord_sytem": "gcj02"}, json={}, headers=admin)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "coord_sytem"]


def test_a_zone_inside_another_is_warned_of(client: TestClient, admin: dict[str, str]) -> None:
    assert (
        _import(client, admin, collection(feature("town", square(LON, LAT, 0.01)))).json()["warnings"] == []
    )
    answer = _import(
        client, admin, collection(feature("yard", square(LON, LAT)), feature("far", square(LON + 1, LAT)))
    )
    assert answer.status_code == 200
    (warning,) = answer.json()["warnings"]
    assert (warning["zone_id"], warning["inside_zone_id"]) == ("yard", "town")
    assert "位于区域「区域town」(town) 之内" in warning["message"]
    # A new outer zone around an existing one is the same pair the other way round.
    answer = _import(client, admin, collection(feature("county", square(LON + 1, LAT, 0.5))))
    assert [(w["zone_id"], w["inside_zone_id"]) for w in answer.json()["warnings"]] == [("far", "county")]


def _gcj(lon: float, lat: float) -> list[float]:
    gcj_lat, gcj_lon = eviltransform.wgs2gcj(lat, lon)
    return [gcj_lon, gcj_lat]


def test_gcj02_zones_are_stored_in_wgs84_and_exported_saying_so(
    client: TestClient, admin: dict[str, str]
) -> None:
    wgs = square(LON, LAT)["coordinates"][0]
    gcj = {"type": "Polygon", "coordinates": [[_gcj(*p) for p in wgs]]}
    assert _import(client, admin, collection(feature("g", gcj)), coord_system="gcj02").status_code == 200
    (zone,) = client.get("/v1/zones", headers=admin).json()
    stored = zone["geometry"]["coordinates"][0]
    assert all(abs(a - b) < 1e-5 for p, q in zip(stored, wgs, strict=True) for a, b in zip(p, q, strict=True))
    assert abs(gcj["coordinates"][0][0][0] - wgs[0][0]) > 1e-3  # GCJ-02 is ~300 m off here

    exported = client.get("/v1/zones", params={"format": "geojson"}, headers=admin)
    assert exported.headers["content-type"] == "application/geo+json"
    body = exported.json()
    assert body["type"] == "FeatureCollection" and body["coord_system"] == "wgs84"
    assert body["features"][0]["geometry"]["coordinates"][0] == stored
    # The export imports back as it is: its coord_system member is read, not converted twice.
    assert _import(client, admin, body).json()["updated"] == 1
    assert client.get("/v1/zones", headers=admin).json()[0]["geometry"]["coordinates"][0] == stored
    assert _import(client, admin, body, coord_system="bd09").status_code == 422


def test_gbfs_feeds_in_bd09_are_converted(client: TestClient, admin: dict[str, str]) -> None:
    gcj_lat, gcj_lon = eviltransform.wgs2gcj(LAT, LON)
    bd_lat, bd_lon = eviltransform.gcj2bd(gcj_lat, gcj_lon)
    feed = {"data": {"stations": [{"station_id": "s", "name": "北庭站", "lat": bd_lat, "lon": bd_lon}]}}
    params = {"coord_system": "bd09"}
    assert client.post("/v1/zones/import/gbfs", params=params, json=feed, headers=admin).status_code == 200
    (zone,) = client.get("/v1/zones", headers=admin).json()
    lon, lat = zone["geometry"]["coordinates"]
    assert abs(lon - LON) < 1e-5 and abs(lat - LAT) < 1e-5

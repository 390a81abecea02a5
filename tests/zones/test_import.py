from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import collection, feature, square

LON, LAT = 89.18, 44.0


def test_import_creates_then_updates(client: TestClient, admin: dict[str, str]) -> None:
    multi = {"type": "MultiPolygon", "coordinates": [square(LON + 0.01, LAT)["coordinates"]]}
    point = {"type": "Point", "coordinates": [LON + 0.02, LAT]}
    payload = collection(
        feature("z1", square(LON, LAT)),
        feature("z2", multi, kind="commercial"),
        feature("z3", point, kind="village", radius_m=150),
    )
    first = client.post("/v1/zones/import", json=payload, headers=admin)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "warnings": []}

    renamed = collection(feature("z1", square(LON, LAT), kind="station"))
    assert client.post("/v1/zones/import", json=renamed, headers=admin).json() == {
        "created": 0,
        "updated": 1,
        "warnings": [],
    }

    zones = {z["id"]: z for z in client.get("/v1/zones", headers=admin).json()}
    assert set(zones) == {"z1", "z2", "z3"}
    assert zones["z1"]["kind"] == "station"
    assert zones["z3"]["radius_m"] == 150


BAD: list[tuple[str, Any, str]] = [
    ("not a collection", {"type": "Feature"}, "FeatureCollection"),
    ("no features", collection(), "no features"),
    (
        "missing id",
        collection(
            {"type": "Feature", "properties": {"name": "a", "kind": "b"}, "geometry": square(LON, LAT)}
        ),
        "id",
    ),
    (
        "missing kind",
        collection({"type": "Feature", "properties": {"id": "a", "name": "a"}, "geometry": square(LON, LAT)}),
        "kind",
    ),
    ("duplicate id", collection(feature("a", square(LON, LAT)), feature("a", square(LON, LAT))), "duplicate"),
    (
        "swapped lat/lon",
        collection(feature("a", {"type": "Point", "coordinates": [LAT, 189.18]}, radius_m=50)),
        "range",
    ),
    (
        "swapped lat/lon in Xinjiang",
        collection(feature("a", square(LAT, LON))),
        "swapped",
    ),
    (
        "point without radius",
        collection(feature("a", {"type": "Point", "coordinates": [LON, LAT]})),
        "radius_m",
    ),
    (
        "self-intersecting",
        collection(
            feature("a", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})
        ),
        "invalid polygon",
    ),
    (
        "line string",
        collection(feature("a", {"type": "LineString", "coordinates": [[0, 0], [1, 1]]})),
        "type",
    ),
    ("garbage coordinates", collection(feature("a", {"type": "Polygon", "coordinates": "x"})), "malformed"),
]


@pytest.mark.parametrize(("payload", "fault"), [(p, f) for _, p, f in BAD], ids=[n for n, _, _ in BAD])
def test_bad_geojson_is_422_and_writes_nothing(
    client: TestClient, admin: dict[str, str], payload: Any, fault: str
) -> None:
    good = feature("good", square(LON, LAT))
    if payload.get("type") == "FeatureCollection" and payload["features"]:
        payload = collection(good, *payload["features"])
    response = client.post("/v1/zones/import", json=payload, headers=admin)
    assert response.status_code == 422
    assert fault in response.json()["detail"]
    assert client.get("/v1/zones", headers=admin).json() == []


def test_malformed_json_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/v1/zones/import", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422

"""GBFS station_information.json import, zone properties, and the GPS tolerance around point zones."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0


def station(
    station_id: Any, name: Any = "北庭站", lat: Any = LAT, lon: Any = LON, **extra: Any
) -> dict[str, Any]:
    return {"station_id": station_id, "name": name, "lat": lat, "lon": lon, "capacity": 12, **extra}


def feed(*stations: dict[str, Any], version: str = "2.3") -> dict[str, Any]:
    return {"last_updated": 1764374400, "ttl": 60, "version": version, "data": {"stations": list(stations)}}


AREA = {"type": "MultiPolygon", "coordinates": [square(LON + 0.01, LAT)["coordinates"]]}


def test_gbfs_v2_and_v3_stations_become_zones(client: TestClient, admin: dict[str, str]) -> None:
    v2 = feed(station("s1"), station(2, name="文化广场站", lon=LON + 0.01, station_area=AREA))
    params = {"kind": "parking", "region": "吉木萨尔县", "police_unit": "北庭派出所", "radius_m": 25}
    response = client.post("/v1/zones/import/gbfs", params=params, json=v2, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 2, "updated": 0, "warnings": []}
    v3 = feed(
        station(
            "s1", name=[{"text": "Beiting", "language": "en"}, {"text": "北庭新站", "language": "zh-Hans"}]
        ),
        station("s3", name=[{"text": "Bazaar", "language": "en"}], lat=LAT + 0.01),
        version="3.0",
    )
    response = client.post("/v1/zones/import/gbfs", params={"id_prefix": "op-"}, json=v3, headers=admin)
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 0)
    # The operator's 30 m circle holds the 25 m one of the first feed, around the same station.
    assert [(w["zone_id"], w["inside_zone_id"]) for w in body["warnings"]] == [("s1", "op-s1")]
    body = client.post("/v1/zones/import/gbfs", json=v3, headers=admin).json()
    assert (body["created"], body["updated"]) == (1, 1)
    zones = {z["id"]: z for z in client.get("/v1/zones", headers=admin).json()}
    assert set(zones) == {"s1", "2", "s3", "op-s1", "op-s3"}
    assert zones["s1"]["name"] == "北庭新站" and zones["s3"]["name"] == "Bazaar"
    assert (
        zones["s1"]["geometry"] == {"type": "Point", "coordinates": [LON, LAT]}
        and zones["s1"]["radius_m"] == 30
    )
    assert zones["2"]["geometry"] == AREA and zones["2"]["radius_m"] is None
    assert (zones["2"]["region"], zones["2"]["police_unit"], zones["2"]["kind"]) == (
        "吉木萨尔县",
        "北庭派出所",
        "parking",
    )


BAD_FEEDS: list[tuple[str, Any, str]] = [
    ("not a feed", {"stations": []}, "station_information"),
    ("no stations", feed(), "no stations"),
    ("missing id", feed(station(None)), "station 1: station_id is missing"),
    ("duplicate id", feed(station("a"), station("a")), "station 2 (station_id 'a'): duplicate"),
    ("missing name", feed(station("a", name=None)), "station 1 (station_id 'a'): name"),
    ("swapped lat/lon", feed(station("a", lat=LON, lon=LAT)), "swapped"),
    (
        "swapped against its area",
        feed(
            station(
                "a",
                lat=LAT,
                lon=LON,
                station_area=AREA
                | {
                    "coordinates": [
                        [
                            [
                                [LAT, LON + 0.01],
                                [LAT + 0.001, LON + 0.01],
                                [LAT + 0.001, LON + 0.011],
                                [LAT, LON + 0.01],
                            ]
                        ]
                    ]
                },
            )
        ),
        "swapped",
    ),
    ("non-numeric lat", feed(station("a", lat="44.0")), "WGS-84"),
    (
        "self-intersecting area",
        feed(
            station(
                "a",
                station_area={
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [LON, LAT],
                            [LON + 0.01, LAT + 0.01],
                            [LON + 0.01, LAT],
                            [LON, LAT + 0.01],
                            [LON, LAT],
                        ]
                    ],
                },
            )
        ),
        "station_area: invalid polygon",
    ),
]


@pytest.mark.parametrize(
    ("payload", "fault"), [(p, f) for _, p, f in BAD_FEEDS], ids=[n for n, _, _ in BAD_FEEDS]
)
def test_bad_gbfs_is_422_naming_the_station_and_writes_nothing(
    client: TestClient, admin: dict[str, str], payload: Any, fault: str
) -> None:
    if payload.get("data", {}).get("stations"):
        payload = feed(station("good"), *payload["data"]["stations"])
    response = client.post("/v1/zones/import/gbfs", json=payload, headers=admin)
    assert response.status_code == 422, response.text
    assert fault in response.json()["detail"]
    assert client.get("/v1/zones", headers=admin).json() == []


def test_bad_gbfs_options_are_422(client: TestClient, admin: dict[str, str]) -> None:
    for params in ({"radius_m": 0}, {"kind": ""}, {"id_prefix": "x" * 41}):
        response = client.post("/v1/zones/import/gbfs", params=params, json=feed(station("a")), headers=admin)
        assert response.status_code == 422
    assert client.get("/v1/zones", headers=admin).json() == []


def test_zone_properties_are_imported_and_checked(client: TestClient, admin: dict[str, str]) -> None:
    quiet = {"start": "22:00", "end": "7:30", "volume": 1}
    good = feature(
        "v",
        square(LON, LAT),
        kind="village",
        region="吉木萨尔县",
        police_unit="三台派出所",
        languages=["ug", "zh-CN"],
        volume=7,
        quiet_hours=quiet,
    )
    assert client.post("/v1/zones/import", json=collection(good), headers=admin).status_code == 200
    zone = client.get("/v1/zones", headers=admin).json()[0]
    assert zone["region"] == "吉木萨尔县" and zone["police_unit"] == "三台派出所"
    assert zone["languages"] == ["ug", "zh-CN"] and zone["volume"] == 7
    assert zone["quiet_hours"] == {"start": "22:00", "end": "07:30", "volume": 1}
    for bad, fault in (
        ({"languages": ["fr"]}, "properties.languages"),
        ({"languages": "ug"}, "properties.languages"),
        ({"volume": 8}, "properties.volume"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00", "volume": 1}}, "empty"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00"}}, "properties.quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "volume": 9}}, "quiet_hours.volume"),
        ({"region": ""}, "properties.region"),
        ({"police_unit": 5}, "properties.police_unit"),
    ):
        payload = collection(feature("w", square(LON + 1, LAT), **bad))
        response = client.post("/v1/zones/import", json=payload, headers=admin)
        assert response.status_code == 422, bad
        assert "feature 0 (id 'w')" in response.json()["detail"] and fault in response.json()["detail"]
    assert [z["id"] for z in client.get("/v1/zones", headers=admin).json()] == ["v"]


def test_point_zones_allow_for_gps_error(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    point = feature("p", {"type": "Point", "coordinates": [LON, LAT]}, radius_m=50)
    client.post("/v1/zones/import", json=collection(point), headers=admin)
    slogan_id = approved_slogan(client, police, admin, "网络汇款需谨慎。")["id"]
    client.post(
        "/v1/campaigns", json={"name": "点", "slogan_ids": [slogan_id], "zone_ids": ["p"]}, headers=admin
    )

    def zone_at(n: int, metres_north: float) -> str | None:
        body = {
            "event_id": f"e{n}",
            "bike_id": "B1",
            "fleet_id": "beiting",
            "event": "unlock",
            "lat": LAT + metres_north / 111_320,
            "lon": LON,
            "occurred_at": "2026-11-29T08:00:00+08:00",
        }
        return client.post("/v1/events", json=body, headers=operator).json()["zone_id"]

    assert zone_at(1, 45) == "p"
    assert zone_at(2, 60) == "p"  # 10 m beyond the radius: within the default 15 m tolerance
    assert zone_at(3, 70) is None

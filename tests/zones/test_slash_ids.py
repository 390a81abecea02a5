"""Zone ids come from outside data and may hold "/": every zone route, in the API and in the console,
takes them (and one zone's id never reaches another zone's route)."""

from fastapi.testclient import TestClient

from service.auth.models import Role
from tests.console.test_forms import _signed_in
from tests.helpers import collection, feature, square

LON, LAT = 89.18, 44.0


def test_api_gets_patches_and_deletes_a_zone_whose_id_holds_a_slash(
    client: TestClient, admin: dict[str, str]
) -> None:
    zones = collection(feature("county/st-12", square(LON, LAT)), feature("county", square(LON + 1, LAT)))
    assert client.post("/v1/zones/import", json=zones, headers=admin).json()["created"] == 2

    assert client.get("/v1/zones/county/st-12", headers=admin).json()["id"] == "county/st-12"
    assert client.get("/v1/zones/county%2Fst-12", headers=admin).json()["id"] == "county/st-12"
    patched = client.patch("/v1/zones/county/st-12", json={"name": "北站"}, headers=admin)
    assert patched.status_code == 200 and patched.json()["name"] == "北站"
    assert client.get("/v1/zones/county", headers=admin).json()["name"] == "区域county"  # untouched
    assert client.get("/v1/zones/county/none", headers=admin).status_code == 404

    assert client.delete("/v1/zones/county/st-12", headers=admin).json()["id"] == "county/st-12"
    assert client.get("/v1/zones/county/st-12", headers=admin).status_code == 404
    assert [z["id"] for z in client.get("/v1/zones", headers=admin).json()] == ["county"]


def test_console_edits_and_deletes_a_zone_whose_id_holds_a_slash(
    client: TestClient, admin: dict[str, str]
) -> None:
    zones = collection(feature("a/b", square(LON, LAT)), feature("a", square(LON + 1, LAT)),
                       feature("a/delete", square(LON + 2, LAT)))  # fmt: skip
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    _signed_in(client, Role.admin)

    listed = client.get("/console/zones").text
    assert 'href="/console/zones/a/b"' in listed
    page = client.get("/console/zones/a/b")
    assert page.status_code == 200 and "区域 a/b：区域a/b" in page.text
    assert 'action="/console/zones/a/b"' in page.text

    saved = client.post("/console/zones/a/b", data={"action": "save", "name": "北站", "kind": "station"},
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    assert client.get("/v1/zones/a/b", headers=admin).json()["name"] == "北站"
    # Saving the zone "a/delete" edits that zone: it is not read as deleting zone "a".
    client.post("/console/zones/a/delete", data={"action": "save", "name": "村口", "kind": "village"})
    assert client.get("/v1/zones/a/delete", headers=admin).json()["name"] == "村口"
    assert client.get("/v1/zones/a", headers=admin).status_code == 200

    deleted = client.post("/console/zones/a/b", data={"action": "delete"}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/console/zones?done=deleted-a/b"
    assert client.get("/v1/zones/a/b", headers=admin).status_code == 404
    assert "已删除区域 a/b" in client.get(deleted.headers["location"]).text
    assert sorted(z["id"] for z in client.get("/v1/zones", headers=admin).json()) == ["a", "a/delete"]

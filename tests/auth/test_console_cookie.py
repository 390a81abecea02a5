"""The console's sign-in cookie signs in the API's reads (so the dashboard needs no second key), never its
writes, and signing out ends it."""

from fastapi.testclient import TestClient

from service.auth.deps import SESSION_COOKIE
from service.auth.models import Role
from tests.conftest import make_key
from tests.helpers import collection, feature, square


def test_the_console_cookie_reads_the_api_but_never_writes(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/v1/zones").status_code == 401
    key = make_key(client, Role.admin)["Authorization"].removeprefix("Bearer ")
    signed_in = client.post("/console/signin", data={"key": key}, follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "Path=/;" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie

    assert client.get("/v1/zones").status_code == 200
    assert client.get("/v1/stats/coverage").status_code == 200
    zones = collection(feature("home", square(89.18, 44.0)))
    assert client.post("/v1/zones/import", json=zones).status_code == 401  # a write needs the header
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    assert client.delete("/v1/zones/home").status_code == 401
    # A key sent in the header is the one that counts.
    assert client.get("/v1/zones", headers={"Authorization": "Bearer ebv_wrong"}).status_code == 401

    client.post("/console/signout")
    assert client.get("/v1/zones").status_code == 401


def test_a_police_cookie_reads_what_a_police_key_may(client: TestClient) -> None:
    key = make_key(client, Role.police, issuer="宁边路派出所")["Authorization"].removeprefix("Bearer ")
    client.post("/console/signin", data={"key": key})
    assert client.get("/v1/slogans").status_code == 200
    assert client.get("/v1/keys").status_code == 403

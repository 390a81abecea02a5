from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import ApiKey


def test_admin_creates_a_key_that_is_shown_once_and_works(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post(
        "/v1/keys", json={"name": "北庭派出所民警", "role": "police", "issuer": "北庭派出所"}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("ebv_") and body["role"] == "police" and body["issuer"] == "北庭派出所"
    listed = client.get("/v1/keys", headers=admin).json()
    assert all("key" not in k and "key_hash" not in k for k in listed)
    police = {"Authorization": f"Bearer {body['key']}"}
    assert client.post("/v1/slogans", json={"text": "网络汇款需谨慎。"}, headers=police).status_code == 201
    mine = next(k for k in client.get("/v1/keys", headers=admin).json() if k["id"] == body["id"])
    assert mine["last_used_at"] is not None


def test_revoked_and_expired_keys_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    body = client.post("/v1/keys", json={"name": "temp", "role": "admin"}, headers=admin).json()
    headers = {"Authorization": f"Bearer {body['key']}"}
    assert client.get("/v1/zones", headers=headers).status_code == 200
    assert client.post(f"/v1/keys/{body['id']}/revoke", headers=admin).json()["revoked_at"] is not None
    assert client.get("/v1/zones", headers=headers).status_code == 401
    assert client.post(f"/v1/keys/{body['id']}/revoke", headers=admin).status_code == 409

    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    expiring = client.post(
        "/v1/keys", json={"name": "x", "role": "admin", "expires_at": soon}, headers=admin
    ).json()
    headers = {"Authorization": f"Bearer {expiring['key']}"}
    assert client.get("/v1/zones", headers=headers).status_code == 200
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        key = session.get(ApiKey, expiring["id"])
        assert key is not None
        key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(key)
        session.commit()
    assert client.get("/v1/zones", headers=headers).status_code == 401


def test_bad_key_requests_are_422(client: TestClient, admin: dict[str, str]) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for payload in (
        {"name": "x", "role": "police"},
        {"name": "x", "role": "operator"},
        {"name": "x", "role": "operator", "fleet_ids": ["nope"]},
        {"name": "x", "role": "admin", "issuer": "某派出所"},
        {"name": "x", "role": "admin", "expires_at": past},
        {"name": "x", "role": "root"},
        {"name": "", "role": "admin"},
    ):
        assert client.post("/v1/keys", json=payload, headers=admin).status_code == 422, payload
    assert len(client.get("/v1/keys", headers=admin).json()) == 1


def test_only_admins_manage_keys(client: TestClient, police: dict[str, str]) -> None:
    assert client.post("/v1/keys", json={"name": "x", "role": "admin"}, headers=police).status_code == 403
    assert client.get("/v1/keys", headers=police).status_code == 403

import subprocess
import sys

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import ApiKey
from service.config import Settings


def test_missing_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/zones")
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]


def test_unknown_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/zones", headers={"Authorization": "Bearer ebv_not-a-key"})
    assert response.status_code == 401


def test_wrong_role_is_403(client: TestClient, police: dict[str, str], operator: dict[str, str]) -> None:
    assert (
        client.post("/v1/fleets", json={"id": "x", "name": "x", "operator": "x"}, headers=police).status_code
        == 403
    )
    assert client.get("/v1/stats/coverage", headers=operator).status_code == 403
    assert client.post("/v1/slogans", json={"text": "网络汇款需谨慎。"}, headers=operator).status_code == 403


def test_keys_are_stored_hashed(client: TestClient, admin: dict[str, str]) -> None:
    plain = admin["Authorization"].removeprefix("Bearer ")
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        stored = session.exec(select(ApiKey)).all()
    assert stored and all(plain not in (k.key_hash, k.name) for k in stored)
    assert client.get("/v1/zones", headers=admin).status_code == 200


def test_cli_prints_a_working_key_on_its_last_line(client: TestClient, settings: Settings) -> None:
    env = {
        "EBIKE_VOICE_DATA_DIR": str(settings.data_dir),
        "EBIKE_VOICE_DATABASE_URL": settings.database_url or "",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "keys",
            "create",
            "--role",
            "police",
            "--name",
            "officer",
            "--issuer",
            "宁边路派出所",
        ],
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    key = result.stdout.strip().splitlines()[-1]
    response = client.post(
        "/v1/slogans", json={"text": "网络汇款需谨慎。"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201
    assert response.json()["issuer"] == "宁边路派出所"


def test_cli_refuses_a_police_key_without_issuer(settings: Settings) -> None:
    env = {
        "EBIKE_VOICE_DATA_DIR": str(settings.data_dir),
        "EBIKE_VOICE_DATABASE_URL": settings.database_url or "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "service", "keys", "create", "--role", "police", "--name", "officer"],
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "issuer" in result.stderr

"""Small builders shared by the tests."""

import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient


def wait_for_clips(
    client: TestClient, slogan_id: int, headers: dict[str, str], timeout: float = 60
) -> dict[str, Any]:
    """Synthesis runs in the background: poll until no clip is pending."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/slogans/{slogan_id}", headers=headers).json()
        if body["clips"] and all(c["status"] != "pending" for c in body["clips"]):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"clips still pending after {timeout} s: {body}")
        time.sleep(0.05)


def approved_slogan(
    client: TestClient, police: dict[str, str], admin: dict[str, str], text: str, **extra: Any
) -> dict[str, Any]:
    created = client.post("/v1/slogans", json={"text": text, **extra}, headers=police)
    assert created.status_code == 201, created.text
    slogan_id = created.json()["id"]
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=admin).status_code == 200
    return wait_for_clips(client, slogan_id, admin)


def square(lon: float, lat: float, half_deg: float = 0.001) -> dict[str, Any]:
    ring = [
        [lon - half_deg, lat - half_deg],
        [lon + half_deg, lat - half_deg],
        [lon + half_deg, lat + half_deg],
        [lon - half_deg, lat + half_deg],
        [lon - half_deg, lat - half_deg],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(
    zone_id: str, geometry: dict[str, Any], kind: str = "residential", **props: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"id": zone_id, "name": f"区域{zone_id}", "kind": kind, **props},
        "geometry": geometry,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def operator_key(client: TestClient, fleet_ids: list[str]) -> dict[str, str]:
    from sqlmodel import Session

    from service.auth.models import Role
    from service.auth.service import create_key

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        _, plain = create_key(session=session, role=Role.operator, name="test operator", fleet_ids=fleet_ids)
    return {"Authorization": f"Bearer {plain}"}


def months_ago(n: int) -> datetime:
    """The 15th, noon UTC, of the month n months before the current one."""
    now = datetime.now(UTC)
    year, month = divmod(now.year * 12 + now.month - 1 - n, 12)
    return datetime(year, month + 1, 15, 12, tzinfo=UTC)

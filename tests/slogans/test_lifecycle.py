from typing import Any

from fastapi.testclient import TestClient

from service.auth.models import Role
from tests.conftest import make_key
from tests.helpers import approved_slogan, collection, feature, square


def _event(n: int) -> dict[str, Any]:
    return {"event_id": f"e{n}", "bike_id": "B1", "fleet_id": "beiting", "event": "unlock",
            "lat": 44.0, "lon": 89.18, "occurred_at": "2026-11-29T08:00:00+08:00"}  # fmt: skip


def test_nobody_approves_their_own_slogan(client: TestClient, admin: dict[str, str]) -> None:
    slogan_id = client.post(
        "/v1/slogans", json={"text": "网络汇款需谨慎。", "issuer": "北庭派出所"}, headers=admin
    ).json()["id"]
    response = client.post(f"/v1/slogans/{slogan_id}/approve", headers=admin)
    assert response.status_code == 403
    assert "other than its author" in response.json()["detail"]
    other_admin = make_key(client, Role.admin)
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=other_admin).json()["status"] == "approved"


def test_police_edit_their_own_slogan_and_new_text_goes_back_to_review(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    slogan = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    client.post("/v1/zones/import", json=collection(feature("z", square(89.18, 44.0))), headers=admin)
    client.post("/v1/campaigns", json={"name": "c", "slogan_ids": [slogan["id"]]}, headers=admin)
    assert client.post("/v1/events", json=_event(1), headers=operator).json()["clip"] is not None

    edited = client.patch(
        f"/v1/slogans/{slogan['id']}", json={"text": "网络贷款需要验证码就是诈骗。"}, headers=police
    )
    assert edited.status_code == 200
    assert edited.json()["status"] == "pending"
    assert all(c["status"] == "pending" for c in edited.json()["clips"])
    assert client.post("/v1/events", json=_event(2), headers=operator).json()["clip"] is None

    other = make_key(client, Role.police, issuer="别的派出所")
    assert (
        client.patch(f"/v1/slogans/{slogan['id']}", json={"category": "x"}, headers=other).status_code == 403
    )
    for bad in ({"text": ""}, {"text": "<b>诈骗</b>"}, {"text": "Алаяқ"}):
        assert client.patch(f"/v1/slogans/{slogan['id']}", json=bad, headers=police).status_code == 422
    assert (
        client.get(f"/v1/slogans/{slogan['id']}", headers=police).json()["text"]
        == "网络贷款需要验证码就是诈骗。"
    )


def test_withdrawn_slogans_are_never_served_again(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str]
) -> None:
    slogan = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    client.post("/v1/campaigns", json={"name": "c", "slogan_ids": [slogan["id"]]}, headers=admin)
    assert client.post("/v1/events", json=_event(1), headers=operator).json()["slogan_id"] == slogan["id"]
    withdrawn = client.post(f"/v1/slogans/{slogan['id']}/withdraw", headers=police)
    assert withdrawn.json()["status"] == "withdrawn"
    assert client.post("/v1/events", json=_event(2), headers=operator).json()["slogan_id"] is None
    assert (
        client.patch(f"/v1/slogans/{slogan['id']}", json={"text": "新的"}, headers=police).status_code == 409
    )
    assert client.post(f"/v1/slogans/{slogan['id']}/approve", headers=admin).status_code == 409


def test_an_admin_who_rewrites_a_slogan_cannot_approve_it(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    slogan_id = client.post("/v1/slogans", json={"text": "网络汇款需谨慎。"}, headers=police).json()["id"]
    assert (
        client.patch(
            f"/v1/slogans/{slogan_id}", json={"text": "管理员改写的标语。"}, headers=admin
        ).status_code
        == 200
    )
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=admin).status_code == 403
    other_admin = make_key(client, Role.admin)
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=other_admin).status_code == 200

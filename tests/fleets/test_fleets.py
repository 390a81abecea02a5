from fastapi.testclient import TestClient


def test_operators_list_their_own_fleets_and_police_none(
    client: TestClient, admin: dict[str, str], operator: dict[str, str], police: dict[str, str]
) -> None:
    client.post("/v1/fleets", json={"id": "other", "name": "其他", "operator": "别家"}, headers=admin)
    assert {f["id"] for f in client.get("/v1/fleets", headers=admin).json()} == {"beiting", "other"}
    assert [f["id"] for f in client.get("/v1/fleets", headers=operator).json()] == ["beiting"]
    assert client.get("/v1/fleets", headers=police).status_code == 403

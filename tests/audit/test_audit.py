from fastapi.testclient import TestClient

from tests.helpers import collection, feature, square


def test_changes_are_audited_with_who_before_and_after(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    slogan_id = client.post("/v1/slogans", json={"text": "网络汇款需谨慎。"}, headers=police).json()["id"]
    client.patch(f"/v1/slogans/{slogan_id}", json={"category": "网络转账"}, headers=police)
    client.post(f"/v1/slogans/{slogan_id}/reject", json={"reason": "内容与本地诈骗形势不符"}, headers=admin)
    client.post("/v1/zones/import", json=collection(feature("z1", square(89.18, 44.0))), headers=admin)
    client.post("/v1/fleets", json={"id": "f1", "name": "车队", "operator": "某公司"}, headers=admin)
    client.post("/v1/keys", json={"name": "k", "role": "admin"}, headers=admin)

    entries = client.get("/v1/audit", headers=admin).json()
    seen = {(e["entity"], e["action"]) for e in entries}
    assert {
        ("slogan", "create"),
        ("slogan", "update"),
        ("zone", "create"),
        ("fleet", "create"),
        ("key", "create"),
    } <= seen
    slogan = [e for e in entries if e["entity"] == "slogan" and e["entity_id"] == str(slogan_id)]
    created = next(e for e in slogan if e["action"] == "create")
    assert created["actor"] == "police:test police" and created["after"]["text"] == "网络汇款需谨慎。"
    rejected = next(e for e in slogan if e["action"] == "update" and e["after"]["status"] == "rejected")
    assert rejected["before"]["status"] == "pending" and rejected["actor"].startswith("admin:")
    edited = next(
        e for e in slogan if e["action"] == "update" and e["before"]["category"] != e["after"]["category"]
    )
    assert (edited["before"]["category"], edited["after"]["category"]) == (None, "网络转账")
    assert all("key_hash" not in (e["after"] or {}) for e in entries)

    only_zones = client.get("/v1/audit", params={"entity": "zone"}, headers=admin).json()
    assert {e["entity"] for e in only_zones} == {"zone"}


def test_the_audit_log_cannot_be_changed_through_the_api(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/v1/fleets", json={"id": "f1", "name": "车队", "operator": "某公司"}, headers=admin)
    entry = client.get("/v1/audit", headers=admin).json()[0]
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, f"/v1/audit/{entry['id']}", headers=admin).status_code in (404, 405)
        assert client.request(method, "/v1/audit", headers=admin).status_code == 405
    assert client.get("/v1/audit", headers=admin).json()[0] == entry


def test_police_cannot_read_the_audit_log(client: TestClient, police: dict[str, str]) -> None:
    assert client.get("/v1/audit", headers=police).status_code == 403


def test_an_unknown_entity_filter_is_422(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/v1/audit", params={"entity": "slogans"}, headers=admin).status_code == 422

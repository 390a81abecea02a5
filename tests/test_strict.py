"""Strict input: an unknown field in any request is a 422 that names it, and nothing is stored."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import approved_slogan

CAMPAIGN_TYPO = {"name": "反诈", "slogan_ids": [1], "zone_id": ["z1"], "fleet": "beiting"}

# (method, path, body or query, the key that may call it, the unknown field)
CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("POST", "/v1/campaigns", CAMPAIGN_TYPO, "admin", "zone_id"),
    ("POST", "/v1/slogans", {"text": "网络刷单全是骗", "langauge": "ug"}, "police", "langauge"),
    ("PATCH", "/v1/slogans/{slogan}", {"txt": "网络刷单全是骗"}, "police", "txt"),
    (
        "POST",
        "/v1/fleets",
        {"id": "f2", "name": "车队", "operator": "公司", "profle": "wav-8k"},
        "admin",
        "profle",
    ),
    (
        "POST",
        "/v1/keys",
        {"name": "民警", "role": "police", "issuer": "所", "fleets": ["x"]},
        "admin",
        "fleets",
    ),
    ("PUT", "/v1/lexicon", {"entries": [{"word": "wifi", "spoken": "无线网", "note": "x"}]}, "admin", "note"),
    ("PUT", "/v1/lexicon", {"entries": [], "replace": True}, "admin", "replace"),
    ("POST", "/v1/preview", {"text": "网络刷单全是骗", "voice": "x"}, "police", "voice"),
    ("QUERY POST", "/v1/zones/import/gbfs", {"kind": "parking", "radius": "30"}, "admin", "radius"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "unknown"), CASES, ids=[f"{c[1]}:{c[4]}" for c in CASES]
)
def test_unknown_fields_are_a_422_naming_them(
    client: TestClient,
    admin: dict[str, str],
    police: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    role: str,
    unknown: str,
) -> None:
    headers = {"admin": admin, "police": police}[role]
    slogan = approved_slogan(client, police, admin, "天上不会掉馅饼")
    path = path.format(slogan=slogan["id"])
    if method == "QUERY POST":
        response = client.post(path, params=body, json={"data": {"stations": []}}, headers=headers)
        where = "query"
    else:
        response = client.request(method, path, json=body, headers=headers)
        where = "body"
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert {
        "type": "extra_forbidden",
        "loc": [where, *([] if where == "query" else _nested(body, unknown)), unknown],
        "msg": f"unknown field {unknown!r}",
    } in errors


def _nested(body: dict[str, Any], unknown: str) -> list[Any]:
    """The path to the dict holding `unknown` (["entries", 0] for a lexicon entry)."""
    if unknown in body:
        return []
    return ["entries", 0]


def test_a_campaign_with_typos_is_not_stored_as_everywhere(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/v1/campaigns", json=CAMPAIGN_TYPO, headers=admin).status_code == 422
    assert client.get("/v1/campaigns", headers=admin).json() == []

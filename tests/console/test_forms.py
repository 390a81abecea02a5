"""Every form error is a Chinese sentence next to its field: bad input of each kind through each form, and
no English (pydantic's or the API's) or traceback ever reaches the page."""

import json
import re

import pytest
from fastapi.testclient import TestClient

from service.auth.models import Role
from tests.conftest import make_key
from tests.helpers import collection, feature, square

ERROR = re.compile(r'data-testid="(?:review-)?error-([^"]+)">([^<]*)<')
ENGLISH = re.compile(r"[a-z]{3,}")  # a lowercase English word (HTML, SSML, GeoJSON's field names are allowed)
NAMES = re.compile(r"FeatureCollection|Polygon|MultiPolygon|Point|radius_m|bike_id|name|kind|id|CSV|JSON|UTF")


def _signed_in(client: TestClient, role: Role, **kwargs: str) -> TestClient:
    key = make_key(client, role, **kwargs)["Authorization"].removeprefix("Bearer ")
    client.cookies.clear()
    assert client.post("/console/signin", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def _errors(html: str) -> dict[str, str]:
    found = dict(ERROR.findall(html))
    for field, message in found.items():
        assert re.search(r"[\u4e00-\u9fff]", message) and not ENGLISH.search(NAMES.sub("", message)), (
            field,
            message,
        )
    assert "Traceback" not in html
    return found


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "骗" * 81}, "text"),
        ({"text": "<speak>骗</speak>"}, "text"),
        ({"text": "骗子\u200b来了"}, "text"),
        ({"text": "！！！"}, "text"),
        ({"text": "Привет骗子"}, "text"),
        ({"text": "骗子😀"}, "text"),
        ({"text": "陌生来电要警惕。", "language": "fr"}, "language"),
        (
            {"text": "陌生来电要警惕。", "valid_from": "2026-12-05T08:00", "valid_until": "2026-12-01T08:00"},
            "_form",
        ),
        ({"text": "陌生来电要警惕。", "valid_from": "1999-01-01T08:00"}, "valid_from"),
        ({"text": "陌生来电要警惕。", "valid_from": "明天"}, "valid_from"),
    ],
)
def test_slogan_form_errors_are_chinese(client: TestClient, data: dict[str, str], field: str) -> None:
    _signed_in(client, Role.police, issuer="宁边路派出所")
    for action in ("submit", "preview"):
        response = client.post("/console/slogans/new", data={"language": "zh-CN", **data, "action": action})
        if action == "preview" and field != "text" and field != "language":
            continue  # the preview speaks the text alone
        assert response.status_code == 422, response.text
        assert field in _errors(response.text) or (field == "_form" and _errors(response.text)), response.text


def test_admin_form_errors_are_chinese(client: TestClient) -> None:
    _signed_in(client, Role.admin)
    bad_geojson = collection(feature("a", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}))
    cases = [
        ("/console/zones/import", {"format": "geojson"}, {"file": ("z.json", b"{not json")}, "geojson"),
        (
            "/console/zones/import",
            {"format": "geojson"},
            {"file": ("z.json", json.dumps(bad_geojson).encode())},
            "geojson",
        ),
        ("/console/zones/import", {"format": "gbfs", "radius_m": "-3"}, {"file": ("s.json", b"{}")}, "gbfs"),
        ("/console/fleets", {"id": "bad id!", "name": "", "operator": "x"}, None, "id"),
        ("/console/keys", {"name": "新密钥", "role": "police"}, None, "_form"),
        ("/console/keys", {"name": "", "role": "admin", "expires_at": "2020-01-01T00:00"}, None, "name"),
        ("/console/campaigns/new", {"name": "x", "weight": "abc", "events": "unlock"}, None, "weight"),
        (
            "/console/campaigns/new",
            {"name": "x", "daypart_0_start": "25:00", "daypart_0_end": "1"},
            None,
            "dayparts",
        ),
    ]
    for url, data, files, field in cases:
        response = client.post(url, data=data, files=files)
        assert response.status_code in (409, 422), (url, response.text)
        errors = _errors(response.text)
        assert field in errors or (field == "_form" and errors), (url, errors, response.text[-3000:])
    geojson = collection(feature("z1", square(89.18, 44.0)))
    upload = {"file": ("z.json", json.dumps(geojson).encode())}
    zone = client.post(
        "/console/zones/import", data={"format": "geojson"}, files=upload, follow_redirects=False
    )
    assert zone.status_code == 303
    for data, field in (
        ({"name": "", "kind": "x"}, "name"),
        ({"name": "a", "kind": "b", "volume": "八"}, "volume"),
    ):
        response = client.post("/console/zones/z1", data=data)
        assert response.status_code == 422 and field in _errors(response.text), response.text


def test_campaign_explain_errors_are_chinese(client: TestClient, admin: dict[str, str], fleet: str) -> None:
    slogan = client.post(
        "/v1/slogans", json={"text": "陌生来电要警惕。", "issuer": "宁边路派出所"}, headers=admin
    ).json()["id"]
    _signed_in(client, Role.admin)
    draft = {
        "name": "",
        "slogan_ids": str(slogan),
        "events": "unlock",
        "action": "explain",
        "explain_fleet": fleet,
    }
    for data, fields in (
        ({**draft, "lat": "", "lon": ""}, {"explain"}),
        ({**draft, "lat": "91", "lon": "89.18"}, {"explain"}),
        ({**draft, "lat": "44", "lon": "89.18", "explain_at": "明天"}, {"explain"}),
        ({**draft, "lat": "44", "lon": "89.18", "explain_fleet": "nope"}, {"explain"}),
        ({**draft, "slogan_ids": "", "lat": "44", "lon": "89.18"}, {"slogan_ids", "explain"}),
        ({**draft, "zone_kinds": "nowhere", "lat": "44", "lon": "89.18"}, {"zone_kinds", "explain"}),
        ({**draft, "starts_at": "12/01/2026", "lat": "44", "lon": "89.18"}, {"starts_at", "explain"}),
    ):
        response = client.post("/console/campaigns/new", data=data)
        assert response.status_code == 422, response.text
        assert set(_errors(response.text)) == fields, (data, _errors(response.text))
    # A draft with a name yet to be given is explained; its slogan, pending, cannot play yet.
    explained = client.post("/console/campaigns/new", data={**draft, "lat": "44", "lon": "89.18"})
    assert explained.status_code == 200, explained.text
    assert 'data-testid="explain-draft" data-reason="no_playable_slogan"' in explained.text
    assert "未命名草稿" in explained.text and "没有可播放的标语" in explained.text
    assert client.get("/v1/campaigns", headers=admin).json() == []

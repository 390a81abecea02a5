"""Named hostile inputs: each gets a clear 4xx and changes nothing."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from service.events.models import LockEventLog
from service.slogans.models import Slogan
from service.zones.models import Zone
from tests.helpers import collection, feature, square


def _counts(client: TestClient) -> tuple[int, int, int]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return tuple(
            session.exec(select(func.count()).select_from(m)).one() for m in (Slogan, Zone, LockEventLog)
        )  # type: ignore[return-value]


SLOGANS: list[tuple[str, dict[str, Any]]] = [
    ("zero-width space in Uyghur", {"text": "ئالدامچى\u200bلىق", "language": "ug"}),
    ("right-to-left mark in Uyghur", {"text": "ئالدامچى\u200fلىق", "language": "ug"}),
    ("bidi override", {"text": "网络\u202e汇款需谨慎"}),
    ("byte order mark", {"text": "\ufeff网络汇款需谨慎"}),
    ("emoji", {"text": "网络汇款需谨慎😀"}),
    ("Cyrillic homoglyph in Kazakh Latin mix", {"text": "Алаяқ aлаяқ", "language": "kk"}),
    ("Chinese in a Uyghur slogan", {"text": "网络汇款需谨慎", "language": "ug"}),
    ("SSML", {"text": '<speak><prosody rate="x-fast">网络</prosody></speak>'}),
    ("HTML entity", {"text": "网络&amp;汇款"}),
    ("script tag", {"text": "<script>alert(1)</script>"}),
    ("NUL", {"text": "网络\x00汇款"}),
    ("too long", {"text": "网" * 500}),
    ("text not a string", {"text": ["网络"]}),
]


@pytest.mark.parametrize("body", [b for _, b in SLOGANS], ids=[n for n, _ in SLOGANS])
def test_hostile_slogans_are_refused(
    client: TestClient, police: dict[str, str], body: dict[str, Any]
) -> None:
    before = _counts(client)
    response = client.post("/v1/slogans", json=body, headers=police)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert _counts(client) == before


def test_zero_width_joiner_in_uyghur_is_allowed(client: TestClient, police: dict[str, str]) -> None:
    # ZWNJ shapes Arabic-script letters: it is part of correct Uyghur text, not a trap.
    assert (
        client.post(
            "/v1/slogans", json={"text": "ساقلىنىڭ\u200c", "language": "ug"}, headers=police
        ).status_code
        == 201
    )


def test_oversized_zone_import_and_deep_nesting_are_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = _counts(client)
    many = collection(*[feature(f"z{i}", square(89.18, 44.0)) for i in range(20_001)])
    assert client.post("/v1/zones/import", json=many, headers=admin).status_code == 422
    nested: Any = [89.18, 44.0]
    for _ in range(50):
        nested = [nested]
    deep = collection(feature("z", {"type": "Polygon", "coordinates": nested}))
    assert client.post("/v1/zones/import", json=deep, headers=admin).status_code == 422
    nan = collection(feature("z", {"type": "Point", "coordinates": [float("nan"), 44.0]}, radius_m=10))
    response = client.post(
        "/v1/zones/import", content=json.dumps(nan), headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert _counts(client) == before


def test_clip_path_tricks_are_404(client: TestClient) -> None:
    for name in (
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2fdata%2febike-voice.db",
        "ebike-voice.db",
        "a" * 64 + ".mp3/../x",
    ):
        assert client.get(f"/v1/audio/{name}").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/slogans", {"text": "网络汇款需谨慎。", "valid_from": "0001-01-01T00:00:00+08:00"}),
        ("/v1/slogans", {"text": "网络汇款需谨慎。", "valid_until": "9999-12-31T23:59:59-08:00"}),
        ("/v1/slogans", {"text": "！！！"}),
        ("/v1/slogans", {"text": "网络\u200d刷单"}),
        ("/v1/slogans", {"text": "网络汇款需谨慎。", "category": "<script>x</script>"}),
        ("/v1/slogans", {"text": "网络汇款需谨慎。", "category": "刷单\u202e"}),
        ("/v1/campaigns", {"name": "c", "slogan_ids": [1], "starts_at": "0001-01-01T00:00:00+08:00"}),
        ("/v1/campaigns", {"name": "c\u202e", "slogan_ids": [1]}),
        ("/v1/fleets", {"id": "a/b", "name": "x", "operator": "y"}),
        ("/v1/fleets", {"id": "   ", "name": "x", "operator": "y"}),
        ("/v1/fleets", {"id": "ok", "name": " ", "operator": "y"}),
        ("/v1/zones/import", collection(feature("z", square(89.18, 44.0), kind="k" * 50))),
        ("/v1/zones/import", collection(feature("z", square(89.18, 44.0), name="<b>小区</b>"))),
    ],
)
def test_reported_bad_inputs_are_422(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    before = _counts(client)
    response = client.post(path, json=body, headers=admin if path != "/v1/slogans" else {**admin})
    assert response.status_code == 422, response.text
    assert _counts(client) == before


def test_non_finite_numbers_and_extreme_times_get_json_422s(
    client: TestClient, operator: dict[str, str]
) -> None:
    for raw in ('{"lat": NaN}', '{"lat": Infinity, "lon": 1e999}'):
        response = client.post(
            "/v1/events", content=raw, headers={**operator, "Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert "input" not in response.text and response.json()["detail"]
    response = client.get(
        "/v1/stats/coverage", params={"since": "0001-01-01T00:00:00+08:00"}, headers=operator
    )
    assert response.status_code == 403  # operators may not read coverage: checked before the parameters


def test_huge_bodies_are_413_and_422s_do_not_echo_the_input(
    client: TestClient, operator: dict[str, str]
) -> None:
    big = b'{"a": "' + b"x" * (33 * 2**20) + b'"}'
    assert (
        client.post(
            "/v1/events", content=big, headers={**operator, "Content-Type": "application/json"}
        ).status_code
        == 413
    )
    # A lock event is a few hundred bytes: one over 64 KiB is refused at once.
    assert client.post("/v1/events", json={"a": "y" * 100_000}, headers=operator).status_code == 413
    response = client.post("/v1/events/batch", json={"a": "y" * 1_000_000}, headers=operator)
    assert response.status_code == 422
    assert len(response.content) < 5_000


def test_extreme_coverage_periods_are_422(client: TestClient, admin: dict[str, str]) -> None:
    for params in ({"since": "0001-01-01T00:00:00+08:00"}, {"until": "9999-12-31T23:59:59-08:00"}):
        assert client.get("/v1/stats/coverage", params=params, headers=admin).status_code == 422
    # A period whose default start falls before 2000 is still answered (found by schemathesis).
    early = client.get("/v1/stats/coverage", params={"until": "2000-01-01T00:00:01Z"}, headers=admin)
    assert early.status_code == 200 and early.json()["zones_covered"] == 0


def test_preview_refuses_text_in_the_wrong_writing_system(client: TestClient, police: dict[str, str]) -> None:
    response = client.post("/v1/preview", json={"text": "网络汇款需谨慎", "language": "ug"}, headers=police)
    assert response.status_code == 422


def test_a_nul_character_in_a_filter_is_never_a_server_error(
    client: TestClient, admin: dict[str, str]
) -> None:
    # Found by schemathesis on PostgreSQL, whose text cannot hold NUL: the driver's DataError is the
    # client's bad value (422), not a 500. SQLite compares it like any other character (nothing matches).
    response = client.get("/v1/stats/coverage", params={"zone_kind": "a\x00b"}, headers=admin)
    postgresql = client.app.state.engine.dialect.name == "postgresql"  # type: ignore[attr-defined]
    assert response.status_code == (422 if postgresql else 200), response.text
    if postgresql:
        assert "NUL" in response.json()["detail"]
    else:
        assert response.json()["zones_covered"] == 0

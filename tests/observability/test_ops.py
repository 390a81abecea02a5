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

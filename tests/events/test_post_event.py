"""POST /v1/events is a lean ASGI route, its only door: it must answer every request as a FastAPI route of
this app would (errors as JSON with the app's shapes, the request id, metrics), and be documented."""

import asyncio
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import State

from service.auth import deps
from service.auth.ratelimit import RateLimiter
from service.auth.service import KeyCache
from service.errors import Unauthorized
from service.main import create_app
from service.observability.metrics import HTTP_REQUESTS
from tests.events.test_events import event, world  # noqa: F401  (world: a fixture)


def _requests(status: int) -> float:
    return HTTP_REQUESTS.labels("POST", "/v1/events", str(status))._value.get()  # noqa: SLF001


@pytest.mark.usefixtures("world")
def test_an_event_is_answered_with_a_request_id_and_counted(
    client: TestClient, operator: dict[str, str]
) -> None:
    before = _requests(200)
    answer = client.post("/v1/events", json=event(1), headers={**operator, "X-Request-ID": "lock-42"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == "lock-42"
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["zone_id"] == "home"
    assert _requests(200) == before + 1
    # A structured-syntax JSON type is JSON too, as FastAPI reads bodies: the retry gets the first answer.
    again = client.post(
        "/v1/events",
        content=json.dumps(event(1)),
        headers={**operator, "Content-Type": "application/vnd.ebike+json"},
    )
    assert again.status_code == 200 and again.json() == answer.json()
    assert len(again.headers["x-request-id"]) == 32  # made up: the client sent none


@pytest.mark.parametrize(
    ("body", "headers", "status", "detail"),
    [
        ("event", {"Authorization": ""}, 401, "missing API key"),
        ("event", {"Authorization": "Bearer nope"}, 401, "unknown, revoked or expired"),
        ("event", {"Content-Type": "text/plain"}, 415, "send the event as JSON"),
        ("{not json", {}, 422, None),
        (json.dumps({"event_id": "x"}), {}, 422, None),
        ("x" * 70_000, {}, 413, "at most 64 KiB"),
    ],
)
@pytest.mark.usefixtures("world")
def test_bad_requests_get_clear_json_errors(
    client: TestClient, operator: dict[str, str], body: str, headers: dict[str, str], status: int, detail: Any
) -> None:
    payload = json.dumps(event(2)) if body == "event" else body
    response = client.post(
        "/v1/events", content=payload, headers={**operator, "Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"]
    if detail is None:  # the app's 422: a list of errors located in the body, the input not echoed
        errors = response.json()["detail"]
        assert errors and all(e["loc"][0] == "body" and "input" not in e for e in errors)
    else:
        assert detail in response.json()["detail"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.usefixtures("world")
def test_domain_errors_and_other_methods(
    client: TestClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    assert client.post("/v1/events", json=event(3), headers=operator).status_code == 200
    unknown = client.post("/v1/events", json=event(4, fleet_id="nowhere"), headers=operator)
    reused = client.post("/v1/events", json=event(3, bike="B9"), headers=operator)
    not_operator = client.post("/v1/events", json=event(5), headers=admin)
    assert (unknown.status_code, reused.status_code, not_operator.status_code) == (422, 409, 403)
    assert unknown.json() == {"detail": "unknown fleet 'nowhere'"}
    assert "already used" in reused.json()["detail"]
    assert "needs an operator key" in not_operator.json()["detail"]
    get = client.get("/v1/events", headers=operator)
    assert (get.status_code, get.headers["allow"]) == (405, "POST")


def test_the_schema_documents_the_lean_route() -> None:
    schema = create_app().openapi()
    post = schema["paths"]["/v1/events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    answer = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    components = schema["components"]["schemas"]
    assert (body, answer) == ("EventIn", "EventResult")
    assert components["EventIn"]["additionalProperties"] is False
    assert set(components["EventIn"]["required"]) >= {
        "event_id",
        "bike_id",
        "fleet_id",
        "event",
        "lat",
        "lon",
    }
    assert {"401", "409", "422", "429", "503"} <= set(post["responses"])
    assert "/v1/events/batch" in schema["paths"]


def test_a_key_not_cached_is_read_once_for_every_request_that_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    class Key:
        id = 7
        role = deps.Role.operator

    def slow_load(*, digest: str, **_: Any) -> Any:
        calls.append(digest)
        time.sleep(0.05)
        if digest == deps.hash_key("broken"):
            raise OSError("database down")
        return Key if digest == deps.hash_key("good") else None

    monkeypatch.setattr(deps, "load_key", slow_load)
    state = State()
    state.key_cache, state.engine, state.last_used = KeyCache(ttl_s=60), None, None
    state.event_rate = RateLimiter(1000, 1000)

    async def at_once(plain: str) -> list[Any]:
        return await asyncio.gather(
            *(deps.operator_from_cache(state, f"Bearer {plain}") for _ in range(5)), return_exceptions=True
        )

    assert asyncio.run(at_once("good")) == [Key] * 5
    assert calls == [deps.hash_key("good")]
    # An unknown key is read once too, and cached as unknown.
    assert all(isinstance(r, Unauthorized) for r in asyncio.run(at_once("nope")))
    assert all(isinstance(r, Unauthorized) for r in asyncio.run(at_once("nope")))
    assert calls == [deps.hash_key("good"), deps.hash_key("nope")]
    # A key that cannot be read: each request gets the error, and nothing is cached.
    assert all(isinstance(r, OSError) for r in asyncio.run(at_once("broken")))
    assert state.key_cache.get(deps.hash_key("broken")) == (False, None)

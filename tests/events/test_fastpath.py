"""POST /v1/events has a lean path in front of FastAPI: it must answer exactly as the documented route does,
and leave everything it does not handle to that route."""

import asyncio
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import State

from service.auth.service import KeyCache
from service.events import fastpath
from service.observability.metrics import EVENT_FAST_PATH
from tests.events.test_events import event, world  # noqa: F401  (world: a fixture)


def _count(outcome: str) -> float:
    return EVENT_FAST_PATH.labels(outcome)._value.get()  # noqa: SLF001  (prometheus_client has no getter)


@pytest.mark.usefixtures("world")
def test_the_lean_path_answers_as_the_route_does(client: TestClient, operator: dict[str, str]) -> None:
    # A key's first request: the lean path reads the key and caches it.
    answered, passed_on = _count("answered"), _count("passed_on")
    assert client.post("/v1/events", json=event(0), headers=operator).status_code == 200
    assert (_count("answered"), _count("passed_on")) == (answered + 1, passed_on)
    answered = _count("answered")
    first = client.post("/v1/events", json=event(1), headers=operator)
    assert first.status_code == 200, first.text
    assert (_count("answered"), _count("passed_on")) == (answered + 1, passed_on)
    # The same event again as a structured-syntax JSON type: the lean path leaves that to FastAPI, which
    # replays the first answer from the log. Both must say the same.
    headers = {**operator, "Content-Type": "application/vnd.ebike+json"}
    again = client.post("/v1/events", content=json.dumps(event(1)), headers=headers)
    assert again.status_code == 200, again.text
    assert _count("passed_on") == passed_on + 1
    assert again.json() == first.json()
    assert first.headers["x-request-id"] and first.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"event_id": "x"}, {}, 422),  # does not validate
        (None, {}, 422),  # not JSON at all
        ("event", {"Authorization": "Bearer nope"}, 401),  # unknown key
        ("event", {"Authorization": ""}, 401),  # no key
    ],
)
@pytest.mark.usefixtures("world")
def test_what_the_lean_path_does_not_handle_gets_the_routes_errors(
    client: TestClient, operator: dict[str, str], body: Any, headers: dict[str, str], status: int
) -> None:
    passed_on = _count("passed_on")
    payload = json.dumps(event(2)) if body == "event" else "{not json" if body is None else json.dumps(body)
    response = client.post(
        "/v1/events", content=payload, headers={**operator, "Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text
    assert "detail" in response.json()
    assert _count("passed_on") == passed_on + 1


@pytest.mark.usefixtures("world")
def test_errors_found_on_the_lean_path_are_the_routes_errors(
    client: TestClient, operator: dict[str, str]
) -> None:
    assert client.post("/v1/events", json=event(3), headers=operator).status_code == 200  # key now cached
    answered = _count("answered")
    unknown = client.post("/v1/events", json=event(4, fleet_id="nowhere"), headers=operator)
    reused = client.post("/v1/events", json=event(3, bike="B9"), headers=operator)
    assert (unknown.status_code, reused.status_code) == (422, 409)
    assert unknown.json() == {"detail": "unknown fleet 'nowhere'"}
    assert "already used" in reused.json()["detail"]
    assert _count("answered") == answered + 2


def test_a_key_not_cached_is_read_once_for_every_request_that_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def slow_load(*, digest: str, **_: Any) -> Any:
        calls.append(digest)
        time.sleep(0.05)
        if digest == "broken":
            raise OSError("database down")
        return "the key"

    monkeypatch.setattr(fastpath, "load_key", slow_load)
    state = State()
    state.key_cache, state.engine, state.last_used = KeyCache(ttl_s=60), None, None
    lean = fastpath.EventFastPath(app=None, state=state)  # type: ignore[arg-type]

    async def at_once(digest: str) -> list[Any]:
        return await asyncio.gather(*(lean._load_key(digest) for _ in range(5)))  # noqa: SLF001

    assert asyncio.run(at_once("d")) == ["the key"] * 5
    assert calls == ["d"]
    assert state.key_cache.get("d") == (True, "the key")
    # A key that cannot be read: each request goes on to the route (None), and nothing is cached.
    assert asyncio.run(at_once("broken")) == [None] * 5
    assert calls == ["d", "broken"]
    assert state.key_cache.get("broken") == (False, None)

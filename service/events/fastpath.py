"""POST /v1/events ahead of FastAPI and its middleware.

The lock-event answer is the one route whose speed matters: FastAPI's middleware layers, routing,
dependency solving and response validation cost several times what deciding and logging an event does.
EventFastPath runs first for every request (service.main.App) and answers a well-formed, authorised event
itself, with the same parts the FastAPI route uses (the key cache and rate limit, EventIn, the worker's
EventPipeline, EventResult) and the same duties as RequestContext (request id, metrics, access log).
A key not in the cache is read (once, however many requests wait for it) and cached. Anything else —
another route, a body that does not validate, an unknown key, an unexpected error — goes on to FastAPI
unchanged (the body replayed), so every error is answered exactly as the documented route answers it."""

import time
from collections.abc import Callable
from functools import partial

from pydantic import ValidationError
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth.models import ApiKey, Role
from service.auth.service import hash_key, load_key
from service.error_handlers import service_error_response
from service.errors import ServiceError
from service.events.models import EventIn, EventResult
from service.observability.logs import request_id
from service.observability.metrics import DECISIONS, EVENT_FAST_PATH
from service.observability.middleware import record, request_id_of

PATH = "/v1/events"
MAX_BODY = 64 * 1024  # a lock event is a few hundred bytes; anything bigger takes the FastAPI route
_JSON = (b"content-type", b"application/json")
_to_json: Callable[[EventResult], bytes] = EventResult.__pydantic_serializer__.to_json
_answered = EVENT_FAST_PATH.labels("answered")
_passed_on = EVENT_FAST_PATH.labels("passed_on")
_decisions = {
    (event, clip): DECISIONS.labels(event, "clip" if clip else "no_clip")
    for event in ("lock", "unlock")
    for clip in (True, False)
}


class EventFastPath:
    """`app` is the rest of the application (FastAPI with its middleware); `state` its state, where the
    lifespan puts the key cache, the rate limit and the event pipeline."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body, complete = await _read_body(receive)
        headers = dict(scope["headers"])
        answer = await self._answer(headers, body) if complete else None
        if answer is None:
            _passed_on.inc()
            await self.app(scope, _replay(body, complete, receive), send)
            return
        _answered.inc()
        status, payload, extra = answer
        rid = request_id_of(headers)
        token = request_id.set(rid)
        try:
            response = [_JSON, (b"content-length", b"%d" % len(payload)), (b"x-request-id", rid.encode())]
            await send({"type": "http.response.start", "status": status, "headers": response + extra})
            await send({"type": "http.response.body", "body": payload})
        finally:
            record("POST", PATH, PATH, status, time.perf_counter() - started)
            request_id.reset(token)

    async def _answer(
        self, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        """(status, body, extra headers), or None to leave the request to FastAPI."""
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        scheme, _, plain = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not plain:
            return None
        state = self.state
        digest = hash_key(plain)
        known, api_key = state.key_cache.get(digest)
        if not known:
            api_key = await self._load_key(digest)
        if api_key is None or api_key.role is not Role.operator:
            return None
        try:
            event_in = EventIn.model_validate_json(body)
        except ValidationError:
            return None
        try:
            state.event_rate.take(api_key.id)
            (outcome,) = await state.event_pipeline.call_async([(event_in, api_key)])
        except ServiceError as exc:
            return _error(exc)
        except Exception:  # noqa: BLE001  (the route retries it and answers as documented; idempotent)
            return None
        if isinstance(outcome, ServiceError):
            return _error(outcome)
        _decisions[event_in.event.value, outcome.clip is not None].inc()
        return 200, _to_json(outcome), []

    async def _load_key(self, digest: str) -> ApiKey | None:
        """A key not cached (or not lately), read through the key cache (once for all the requests that
        wait for it). None when it cannot be read: FastAPI's route then answers as documented."""
        state = self.state
        load = partial(load_key, engine=state.engine, digest=digest, last_used=state.last_used)
        try:
            return await state.key_cache.get_or_load(digest, load)
        except Exception:  # noqa: BLE001  (the database is down, say: the route reports it)
            return None


def _error(exc: ServiceError) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """The route's error answer (service.errors.service_error_response), as (status, body, headers
    other than the ones the lean path sets itself)."""
    response = service_error_response(exc)
    headers = [(k, v) for k, v in response.raw_headers if k not in (b"content-length", b"content-type")]
    return response.status_code, bytes(response.body), headers


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, unless it runs past MAX_BODY: (what was read, whether it is all of it)."""
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        return message.get("body", b""), True  # nearly always: a small body comes in one piece
    chunks = []
    size = 0
    while True:
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False
        message = await receive()


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A receive that gives back what was read, then goes on with the client's."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replayed

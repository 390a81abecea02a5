"""The lock-event routes.

POST /v1/events is the one route whose speed matters, and FastAPI's middleware, routing and dependency
solving cost several times what deciding and logging an event does. So it is a lean ASGI route,
`PostEvent`, the only door to it: service.main.App hands it every request for /v1/events before FastAPI.
It does for this route what the app does for the others, with the same parts: the request id, metrics
and access log (observability.middleware), the cached operator key and its rate limit
(auth.deps.operator_from_cache), EventIn, the worker's EventPipeline, and errors rendered by
service.error_handlers. `document` puts it in the OpenAPI schema. The batch and proof-of-play routes are
plain FastAPI routes."""

import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from service.auth.deps import CachedOperatorKey, OperatorKey, operator_from_cache
from service.deps import SessionDep
from service.error_handlers import (
    DATABASE_UNAVAILABLE,
    database_unavailable_response,
    service_error_response,
    validation_error_response,
)
from service.errors import ServiceError
from service.events import service
from service.events.models import EventBatchIn, EventBatchResult, EventIn, EventResult, PlayedIn, PlayedResult
from service.observability.logs import request_id
from service.observability.metrics import DECISIONS
from service.observability.middleware import record, request_id_of, unhandled_error

PATH = "/v1/events"
MAX_BODY = 64 * 1024  # a lock event is a few hundred bytes
_JSON = (b"content-type", b"application/json")
_to_json: Callable[[EventResult], bytes] = EventResult.__pydantic_serializer__.to_json
_decisions = {
    (event, clip): DECISIONS.labels(event, "clip" if clip else "no_clip")
    for event in ("lock", "unlock")
    for clip in (True, False)
}
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]  # status, body, headers other than the request id


class PostEvent:
    """POST /v1/events: a lock or unlock, answered with the clip to play once the event is durably logged.
    `state` is the app's, where the lifespan puts the key cache, the rate limit and the event pipeline."""

    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers = dict(scope["headers"])
        rid = request_id_of(headers)
        token = request_id.set(rid)
        status = 500
        try:
            try:
                status, body, extra = await self._answer(scope["method"], headers, receive)
            except Exception:  # a bug: answered as RequestContext answers it
                status, body, extra = _rendered(
                    JSONResponse(unhandled_error(scope["method"], PATH, rid), 500)
                )
            extra.append((b"x-request-id", rid.encode()))
            await send({"type": "http.response.start", "status": status, "headers": extra})
            await send({"type": "http.response.body", "body": body})
        finally:
            record(scope["method"], PATH, PATH, status, time.perf_counter() - started)
            request_id.reset(token)

    async def _answer(self, method: str, headers: dict[bytes, bytes], receive: Receive) -> Answer:
        if method != "POST":
            return _rendered(JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": "POST"}))
        body = await _read_body(receive)
        try:
            if body is None:
                raise ServiceError(f"a lock event is at most {MAX_BODY // 1024} KiB", 413)
            api_key = await operator_from_cache(
                self.state, headers.get(b"authorization", b"").decode("latin-1")
            )
            if not _is_json(headers.get(b"content-type", b"").decode("latin-1")):
                raise ServiceError("send the event as JSON (Content-Type: application/json)", 415)
            try:
                event_in = EventIn.model_validate_json(body)
            except ValidationError as exc:
                return _rendered(
                    validation_error_response([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
                )
            (outcome,) = await self.state.event_pipeline.call_async([(event_in, api_key)])
            if isinstance(outcome, ServiceError):
                raise outcome
        except ServiceError as exc:
            return _rendered(service_error_response(exc))
        except DATABASE_UNAVAILABLE as exc:  # reading a key not cached
            return _rendered(database_unavailable_response(exc))
        _decisions[event_in.event.value, outcome.clip is not None].inc()
        payload = _to_json(outcome)
        return 200, payload, [_JSON, (b"content-length", b"%d" % len(payload))]


def _rendered(response: JSONResponse) -> Answer:
    return response.status_code, bytes(response.body), list(response.raw_headers)


def _is_json(content_type: str) -> bool:
    """As FastAPI reads a body: JSON when no type is given, application/json or a +json type."""
    if not content_type:
        return True
    main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


async def _read_body(receive: Receive) -> bytes | None:
    """The body, or None once it runs past MAX_BODY."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def document(app: FastAPI) -> None:
    """Put POST /v1/events in the app's OpenAPI schema, as FastAPI documents its own routes."""
    plain = app.openapi
    ref = "#/components/schemas/{model}"

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            _, defs = models_json_schema(
                [(EventIn, "validation"), (EventResult, "serialization")], ref_template=ref
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
            error = {"content": {"application/json": {"schema": {"$ref": ref.format(model="ErrorDetail")}}}}
            responses = {
                "200": {
                    "description": "the clip to play (or none), once the event is logged",
                    "content": {"application/json": {"schema": {"$ref": ref.format(model="EventResult")}}},
                },
                **{str(code): {"description": what, **error} for code, what in _ERRORS.items()},
            }
            schema["paths"][PATH] = {
                "post": {
                    "tags": ["events"],
                    "summary": "Post Event",
                    "description": PostEvent.__doc__.split("\n")[0] if PostEvent.__doc__ else "",
                    "operationId": "post_event",
                    "security": [{"HTTPBearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": ref.format(model="EventIn")}}},
                    },
                    "responses": responses,
                }
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


_ERRORS = {
    401: "no key, or an unknown, revoked or expired one",
    403: "not an operator key, or not one for this fleet",
    409: "this event_id was used for a different event",
    413: "a body over 64 KiB",
    415: "a body that is not JSON",
    422: "a body that does not validate, or an unknown fleet",
    429: "over the key's rate limit (Retry-After)",
    503: "the event log is unavailable or the server is shutting down (Retry-After)",
}

router = APIRouter()


@router.post(
    "/batch",
    response_model=EventBatchResult,
    responses={413: {"description": "more events than EBIKE_VOICE_EVENT_BATCH_MAX"}},
)
async def post_batch(batch: EventBatchIn, api_key: CachedOperatorKey, request: Request) -> EventBatchResult:
    """Up to EBIKE_VOICE_EVENT_BATCH_MAX events (1,000 by default), e.g. an offline lock's backlog, logged
    in one commit. Each item gets the answer POST /v1/events would give, or {"event_id", "error"}."""
    state = request.app.state
    limit = state.settings.event_batch_max
    if len(batch.events) > limit:
        raise ServiceError(f"a batch holds at most {limit} events; this one has {len(batch.events)}", 413)
    results = await service.answer_batch(
        pipeline=state.event_pipeline, items=batch.events, api_key=api_key, coord_system=batch.coord_system
    )
    return EventBatchResult(results=results)


@router.post("/{event_id}/played", response_model=PlayedResult)
def post_played(
    event_id: str, played_in: PlayedIn, session: SessionDep, api_key: OperatorKey, request: Request
) -> PlayedResult:
    """Proof of play: the lock reports that it played (or failed, or skipped) the clip it was given."""
    settings = request.app.state.settings
    return service.record_play(
        session=session,
        event_id=event_id,
        played_in=played_in,
        api_key=api_key,
        tz=settings.tz,
        skew_threshold_s=settings.clock_skew_threshold_s,
    )

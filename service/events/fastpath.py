"""POST /v1/events without FastAPI's per-request machinery.

The lock-event answer is the one route whose speed matters: FastAPI's routing, dependency solving and
response validation cost several times what deciding and logging an event does. This ASGI middleware
answers a well-formed, authorised event itself, with the same parts the FastAPI route uses (the key cache
and rate limit, EventIn, the worker's EventPipeline, EventResult). Anything else — another route, a body
that does not validate, a key not in the cache, an unexpected error — goes on to FastAPI unchanged (the body
replayed), so every error is answered exactly as the documented route answers it."""

from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth.models import Role
from service.auth.service import hash_key
from service.errors import ServiceError, service_error_response
from service.events.models import EventIn
from service.observability.metrics import DECISIONS, EVENT_FAST_PATH

PATH = "/v1/events"
MAX_BODY = 64 * 1024  # a lock event is a few hundred bytes; anything bigger takes the FastAPI route


class EventFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        response = await self._answer(scope, body) if complete else None
        if response is None:
            EVENT_FAST_PATH.labels("passed_on").inc()
            await self.app(scope, _replay(body, complete, receive), send)
            return
        EVENT_FAST_PATH.labels("answered").inc()
        scope["route"] = PATH  # matched: the metrics label it as the documented route
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, body: bytes) -> Response | None:
        """The answer, or None to leave the request to FastAPI."""
        headers = dict(scope["headers"])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        scheme, _, plain = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not plain:
            return None
        state = scope["app"].state
        known, api_key = state.key_cache.get(hash_key(plain))
        if not known or api_key is None or api_key.role is not Role.operator:
            return None
        try:
            event_in = EventIn.model_validate_json(body)
        except ValidationError:
            return None
        try:
            state.event_rate.take(api_key.id)
            (outcome,) = await state.event_pipeline.call_async([(event_in, api_key)])
        except ServiceError as exc:
            return service_error_response(exc)
        except Exception:  # noqa: BLE001  (the route retries it and answers as documented; idempotent)
            return None
        if isinstance(outcome, ServiceError):
            return service_error_response(outcome)
        DECISIONS.labels(event_in.event.value, "clip" if outcome.clip else "no_clip").inc()
        return Response(outcome.model_dump_json(), media_type="application/json")


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, unless it runs past MAX_BODY: (what was read, whether it is all of it)."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


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

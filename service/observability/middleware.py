"""Request ids, access logs and request metrics, as plain ASGI middleware (no per-request task switch)."""

import itertools
import json
import logging
import re
import secrets
import time
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability.logs import request_id
from service.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("ebike_voice.access")
errors = logging.getLogger("ebike_voice.errors")
# The largest request body accepted (a zone import of 20,000 features fits): larger is 413 at once.
MAX_BODY_BYTES = 32 * 1024 * 1024
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# Made-up request ids: 32 hex digits, a random half per process and a counter (no system call per request).
_ID_PREFIX = secrets.token_hex(8)
_ids = itertools.count()


def _new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFFFFFFFFFF:016x}"


def request_id_of(headers: dict[bytes, bytes]) -> str:
    """The client's X-Request-ID if it is a sensible one, else a new id."""
    incoming = headers.get(b"x-request-id", b"").decode("latin-1")
    return incoming if _CLIENT_ID.match(incoming) else _new_request_id()


@lru_cache(maxsize=4096)  # few distinct labels: routes are templates (see _route_label)
def _metrics(method: str, route: str, status: int) -> tuple[Any, Any]:
    return HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route)


def record(method: str, path: str, route: str, status: int, elapsed: float) -> None:
    """A request's metrics and access log line."""
    requests, latency = _metrics(method, route, status)
    requests.inc()
    latency.observe(elapsed)
    if log.isEnabledFor(logging.INFO):  # off under load tests (serve --no-access-log)
        log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={"status": status, "route": route, "duration_ms": round(elapsed * 1000, 2)},
        )


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid = request_id_of(headers)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        started_response = False

        async def tracked(message: Message) -> None:
            nonlocal started_response
            started_response = started_response or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            length = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            length = 0
        try:
            if length > MAX_BODY_BYTES:
                await _json(tracked, 413, {"detail": f"request body over {MAX_BODY_BYTES // 2**20} MiB"})
            else:
                await self.app(scope, receive, tracked)
        except Exception:
            # A bug, not the client's fault: answer JSON with the request id, so the log line can be found.
            body = unhandled_error(scope["method"], scope["path"], rid)
            if not started_response:
                await _json(tracked, 500, body)
        finally:
            record(scope["method"], scope["path"], _route_label(scope), status, time.perf_counter() - started)
            request_id.reset(token)


def unhandled_error(method: str, path: str, rid: str) -> dict[str, object]:
    """Log a bug (not the client's fault) and give the 500's body: JSON with the request id, so the log
    line can be found."""
    errors.exception("unhandled error in %s %s", method, path)
    return {"detail": "internal error", "request_id": rid}


def _route_label(scope: Scope) -> str:
    """The path with its parameters put back as names (/v1/slogans/{slogan_id}): few distinct labels."""
    if "route" not in scope:
        return "unmatched"
    path: str = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


async def _json(send: Send, status: int, body: dict[str, object]) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})

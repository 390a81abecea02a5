"""The app's error handlers: domain errors (service.errors) and the database's as clear JSON answers."""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.errors import RETRY_AFTER_S, ServiceError
from service.strict import unknown_field_message

log = logging.getLogger(__name__)


def service_error_response(exc: ServiceError) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def _service_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return service_error_response(exc)


# The database's errors that mean "unavailable, retry" (down, unreachable, locked, pool exhausted).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return database_unavailable_response(exc)


def database_unavailable_response(exc: Exception) -> JSONResponse:
    """The database is down, unreachable or locked: the request changed nothing and may be retried.
    Connections are checked again on the next request, so the service recovers without a restart."""
    log.warning("database unavailable: %s", str(exc).splitlines()[0])
    return JSONResponse(
        {"detail": "the database is unavailable; nothing was changed, please retry shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _unstorable_value(_request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value the client sent (PostgreSQL: a NUL character in text, a number out of
    range): the client's input, not a server fault. The transaction is rolled back; nothing was changed."""
    log.info("database refused a value: %s", str(exc).splitlines()[0])
    return JSONResponse(
        {"detail": "a value in the request cannot be stored or compared (no NUL characters, say)"},
        status_code=422,
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error_response(exc.errors())


def validation_error_response(errors: Sequence[Any]) -> JSONResponse:
    """FastAPI's 422, without echoing the input back (it may be megabytes, or NaN that JSON cannot carry)."""
    detail = [{"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": _message(e)} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden" and error.get("loc"):
        return unknown_field_message(error["loc"][-1])
    return str(error.get("msg", "")).removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for exc_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(exc_type, _database_unavailable)
    app.add_exception_handler(DataError, _unstorable_value)

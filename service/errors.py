"""Domain errors carry their HTTP status; one handler (service.error_handlers) renders them as JSON.
No FastAPI here: the event writer process raises these too."""

from typing import Any

from pydantic import BaseModel

RETRY_AFTER_S = 5


class ServiceError(Exception):
    status_code = 400

    def __init__(
        self, message: str, status_code: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers
        if status_code is not None:
            self.status_code = status_code


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class Invalid(ServiceError):
    status_code = 422


class Unauthorized(ServiceError):
    status_code = 401


class Forbidden(ServiceError):
    status_code = 403


class TooManyRequests(ServiceError):
    status_code = 429


class ErrorDetail(BaseModel):
    detail: Any


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a group of routes may answer with."""
    return {code: {"model": ErrorDetail} for code in codes}

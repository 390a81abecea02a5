from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from service.observability.metrics import ENGINE_STATE, ENGINE_STATES, exposition

router = APIRouter()


class Health(SQLModel):
    status: str


class Readiness(Health):
    # Per speech engine: "ok", or its circuit breaker's state ("closed", "open", "half-open"). An open
    # circuit does not make the service unready: clips are then made by the fallback engine.
    engines: dict[str, str]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: answers without touching the database or any engine."""
    return Health(status="ok")


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format: every worker of the server summed (service/observability/metrics.py)."""
    for engine in request.app.state.tts_engines:
        state = engine.status()
        for name in ENGINE_STATES:
            ENGINE_STATE.labels(engine.name, name).set(1 if state == name else 0)
    return PlainTextResponse(exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> Readiness | JSONResponse:
    engines = {engine.name: engine.status() for engine in request.app.state.tts_engines}
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse(
            {"status": "database unavailable", "engines": engines},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return Readiness(status="ok", engines=engines)

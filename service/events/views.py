import random

from fastapi import APIRouter, Request

from service.auth.deps import RateLimitedOperatorKey
from service.db import SessionDep
from service.events import service
from service.events.models import EventIn, EventResult
from service.observability.metrics import DECISIONS

router = APIRouter()
_rng = random.SystemRandom()


@router.post("", response_model=EventResult)
def post_event(
    event_in: EventIn, session: SessionDep, api_key: RateLimitedOperatorKey, request: Request
) -> EventResult:
    """A lock or unlock: answered with the clip to play once the event is durably logged."""
    snapshot = request.app.state.snapshots.get()
    result = service.record_event(
        session=session, snapshot=snapshot, event_in=event_in, api_key=api_key, rng=_rng
    )
    DECISIONS.labels(event_in.event.value, "clip" if result.clip else "no_clip").inc()
    return result

import random

from fastapi import APIRouter, Request

from service.auth.deps import OperatorKey
from service.db import SessionDep
from service.events import service
from service.events.models import EventIn, EventResult

router = APIRouter()
_rng = random.SystemRandom()


@router.post("", response_model=EventResult)
def post_event(event_in: EventIn, session: SessionDep, api_key: OperatorKey, request: Request) -> EventResult:
    """A lock or unlock: answered with the clip to play once the event is durably logged."""
    snapshot = request.app.state.snapshots.get()
    return service.record_event(
        session=session, snapshot=snapshot, event_in=event_in, api_key=api_key, rng=_rng
    )

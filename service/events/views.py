from fastapi import APIRouter, Request

from service.auth.deps import CachedOperatorKey, OperatorKey
from service.deps import SessionDep
from service.errors import ServiceError
from service.events import service
from service.events.models import EventBatchIn, EventBatchResult, EventIn, EventResult, PlayedIn, PlayedResult
from service.observability.metrics import DECISIONS

router = APIRouter()


@router.post("", response_model=EventResult)
async def post_event(event_in: EventIn, api_key: CachedOperatorKey, request: Request) -> EventResult:
    """A lock or unlock: answered with the clip to play once the event is durably logged."""
    result = await service.answer_event(
        pipeline=request.app.state.event_pipeline, event_in=event_in, api_key=api_key
    )
    DECISIONS.labels(event_in.event.value, "clip" if result.clip else "no_clip").inc()
    return result


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

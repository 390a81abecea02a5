"""Lock and unlock events: decide on the snapshot, log durably, answer."""

import random
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.encoders import jsonable_encoder
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from service.auth.models import ApiKey
from service.clips.models import Clip, ClipStatus, clip_url
from service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from service.events.decision import ClipInfo, Decision, EventQuery, Snapshot, choose_clip
from service.events.models import (
    ClipRef,
    EventError,
    EventIn,
    EventResult,
    ItemError,
    LockEventLog,
    PlayedIn,
    PlayedResult,
    PlayStatus,
)
from service.events.writer import EventWriter, write_events
from service.fleets.models import Bike
from service.slogans.models import Slogan
from service.stats.rollups import Play, add_plays
from service.timeutil import utcnow


def record_event(
    *,
    session: Session,
    snapshot: Snapshot,
    event_in: EventIn,
    api_key: ApiKey,
    rng: random.Random,
    tz: ZoneInfo,
    writer: EventWriter | None = None,
) -> EventResult:
    """Decide, log durably, answer. With a writer the log row joins the worker's group commit; without one
    (scripts, the demo) it is committed here, in the session."""
    decided = _decide(session=session, snapshot=snapshot, event_in=event_in, api_key=api_key, rng=rng)
    if isinstance(decided, EventResult):
        return decided
    row, decision = decided
    (new,) = _log(session, [row], tz, writer)
    return _result(event_in.event_id, decision) if new else _replay_logged(session, row, event_in)


def record_batch(
    *,
    session: Session,
    snapshot: Snapshot,
    items: list[dict[str, Any]],
    api_key: ApiKey,
    rng: random.Random,
    tz: ZoneInfo,
    writer: EventWriter | None = None,
) -> list[EventResult | EventError]:
    """Many events (an offline lock's backlog) in one commit; each item answered on its own."""
    results: list[EventResult | EventError | None] = []
    pending: list[tuple[int, EventIn, dict[str, Any], Decision]] = []
    for item in items:
        event_id = item.get("event_id") if isinstance(item, dict) else None
        try:
            event_in = EventIn.model_validate(item)
            decided = _decide(session=session, snapshot=snapshot, event_in=event_in, api_key=api_key, rng=rng)
        except ValidationError as exc:
            results.append(_error(event_id, 422, jsonable_encoder(exc.errors(include_url=False))))
            continue
        except ServiceError as exc:
            results.append(_error(event_id, exc.status_code, exc.message))
            continue
        if isinstance(decided, EventResult):
            results.append(decided)
            continue
        pending.append((len(results), event_in, *decided))
        results.append(None)
    if pending:
        logged = _log(session, [row for _, _, row, _ in pending], tz, writer)
        for (index, event_in, row, decision), new in zip(pending, logged, strict=True):
            try:
                results[index] = (
                    _result(event_in.event_id, decision) if new else _replay_logged(session, row, event_in)
                )
            except ServiceError as exc:
                results[index] = _error(event_in.event_id, exc.status_code, exc.message)
    return [r for r in results if r is not None]


def _decide(
    *, session: Session, snapshot: Snapshot, event_in: EventIn, api_key: ApiKey, rng: random.Random
) -> EventResult | tuple[dict[str, Any], Decision]:
    """The answer to an event already logged, or the row to log and the decision to answer with."""
    operator = snapshot.fleet_operators.get(event_in.fleet_id)
    if operator is None:
        raise Invalid(f"unknown fleet {event_in.fleet_id!r}")
    if event_in.fleet_id not in api_key.fleet_ids:
        raise Forbidden(f"this key may not report events for fleet {event_in.fleet_id!r}")

    existing = _find(session, operator, event_in.event_id)
    if existing is not None:
        return _replay(session, existing, event_in)

    bike = session.get(Bike, (event_in.fleet_id, event_in.bike_id))
    zone = snapshot.zones.locate(event_in.lon, event_in.lat)
    decision = choose_clip(
        snapshot,
        EventQuery(
            fleet_id=event_in.fleet_id,
            event=event_in.event.value,
            zone=zone,
            at=event_in.occurred_at,
            last_slogan_id=bike.last_slogan_id if bike else None,
        ),
        rng,
    )
    row = {
        "operator": operator,
        "event_id": event_in.event_id,
        "fleet_id": event_in.fleet_id,
        "bike_id": event_in.bike_id,
        "event": event_in.event,
        "lat": event_in.lat,
        "lon": event_in.lon,
        "occurred_at": event_in.occurred_at,
        "received_at": utcnow(),
        "zone_id": decision.zone_id,
        "campaign_id": decision.campaign_id,
        "slogan_id": decision.slogan_id,
        "clip_id": decision.clip.id if decision.clip else None,
    }
    return row, decision


def _log(
    session: Session, rows: list[dict[str, Any]], tz: ZoneInfo, writer: EventWriter | None
) -> list[bool]:
    """Per row, True if newly logged, False if its event id was logged before (a retry or a race)."""
    if writer is None:
        new = write_events(session.connection(), rows, tz)
        session.commit()
        return new
    # Give the connection back to the pool while waiting: the commit may take a few milliseconds.
    session.rollback()
    return writer.write(rows)


def _replay_logged(session: Session, row: dict[str, Any], event_in: EventIn) -> EventResult:
    existing = _find(session, row["operator"], event_in.event_id)
    assert existing is not None, "a duplicate is in the log"
    return _replay(session, existing, event_in)


def _error(event_id: Any, status: int, detail: Any) -> EventError:
    known_id = event_id if isinstance(event_id, str) else None
    return EventError(event_id=known_id, error=ItemError(status=status, detail=detail))


def _find(session: Session, operator: str, event_id: str) -> LockEventLog | None:
    query = select(LockEventLog).where(LockEventLog.operator == operator, LockEventLog.event_id == event_id)
    return session.exec(query).first()


def _replay(session: Session, row: LockEventLog, event_in: EventIn) -> EventResult:
    """The same event id again: the first answer, not counted twice."""
    if (row.fleet_id, row.bike_id, row.event) != (event_in.fleet_id, event_in.bike_id, event_in.event):
        raise Conflict(f"event_id {event_in.event_id!r} was already used for a different event")
    clip = session.get(Clip, row.clip_id) if row.clip_id is not None else None
    slogan = session.get(Slogan, row.slogan_id) if row.slogan_id is not None else None
    info = None
    if clip is not None and clip.status is ClipStatus.ready and clip.sha256 and clip.duration_ms is not None:
        assert clip.id is not None
        info = ClipInfo(
            clip.id, clip_url(clip.sha256, clip.format), clip.sha256, clip.duration_ms, clip.format
        )
    decision = Decision(
        zone_id=row.zone_id,
        campaign_id=row.campaign_id,
        slogan_id=row.slogan_id,
        text=slogan.text if slogan else None,
        clip=info,
    )
    return _result(row.event_id, decision)


def _result(event_id: str, decision: Decision) -> EventResult:
    clip = decision.clip
    return EventResult(
        event_id=event_id,
        zone_id=decision.zone_id,
        slogan_id=decision.slogan_id,
        text=decision.text,
        clip=ClipRef.model_validate(clip, from_attributes=True) if clip else None,
    )


def record_play(
    *,
    session: Session,
    event_id: str,
    played_in: PlayedIn,
    api_key: ApiKey,
    tz: ZoneInfo,
    skew_threshold_s: float,
) -> PlayedResult:
    """Proof of play from the device. The first report stands (a retry gets it back); a confirmed play
    counts into the rollups in the same transaction."""
    query = select(LockEventLog).where(
        LockEventLog.event_id == event_id, col(LockEventLog.fleet_id).in_(api_key.fleet_ids)
    )
    row = session.exec(query).first()
    if row is None:
        raise NotFound(f"no event {event_id!r} of your fleets")
    if row.play_status is None:
        if row.clip_id is None and played_in.status is PlayStatus.played:
            raise Invalid("this event was answered without a clip: there was nothing to play")
        skew = (played_in.played_at - row.received_at).total_seconds()
        # Conditional, so two racing reports cannot both count: the first one claims the row.
        claim = (
            update(LockEventLog)
            .where(col(LockEventLog.id) == row.id, col(LockEventLog.play_status).is_(None))
            .values(
                played_at=played_in.played_at,
                play_status=played_in.status,
                clock_skew_s=round(skew, 3) if abs(skew) > skew_threshold_s else None,
            )
        )
        if session.exec(claim).rowcount == 1 and played_in.status is PlayStatus.played:  # type: ignore[call-overload]
            assert row.slogan_id is not None and row.bike_no is not None
            play = Play(row.occurred_at, row.zone_id, row.slogan_id, row.fleet_id, row.event, row.bike_no, 1)
            add_plays(session.connection(), [play], tz, count_plays=False)
        session.commit()
        session.refresh(row)
    if (row.play_status, row.played_at) != (played_in.status, played_in.played_at):
        raise Conflict(f"event {event_id!r} already has a different proof of play")
    assert row.played_at is not None and row.play_status is not None
    return PlayedResult(
        event_id=row.event_id,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
        played_at=row.played_at,
        status=row.play_status,
        clock_skew_s=row.clock_skew_s,
    )

"""Lock and unlock events: decide on the snapshot, log durably, answer."""

import random

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.audio.profiles import DEFAULT_PROFILE
from service.auth.models import ApiKey
from service.clips.models import Clip, ClipStatus, clip_url
from service.errors import Conflict, Forbidden, Invalid
from service.events.bike_state import read_bike_state, remember_event
from service.events.decision import ClipInfo, Decision, EventQuery, Snapshot, choose_clip
from service.events.models import ClipRef, EventIn, EventResult, LockEventLog
from service.slogans.models import Slogan


def record_event(
    *, session: Session, snapshot: Snapshot, event_in: EventIn, api_key: ApiKey, rng: random.Random
) -> EventResult:
    operator = snapshot.fleet_operators.get(event_in.fleet_id)
    if operator is None:
        raise Invalid(f"unknown fleet {event_in.fleet_id!r}")
    if event_in.fleet_id not in api_key.fleet_ids:
        raise Forbidden(f"this key may not report events for fleet {event_in.fleet_id!r}")

    existing = _find(session, operator, event_in.event_id)
    if existing is not None:
        return _replay(session, existing, event_in)

    bike_state = read_bike_state(
        session=session,
        fleet_id=event_in.fleet_id,
        bike_id=event_in.bike_id,
        day=snapshot.settings.local_day(event_in.occurred_at),
    )
    zone = snapshot.zones.locate(event_in.lon, event_in.lat)
    decision = choose_clip(
        snapshot,
        EventQuery(
            fleet_id=event_in.fleet_id,
            event=event_in.event.value,
            zone=zone,
            at=event_in.occurred_at,
            last_slogan_id=bike_state.last_slogan_id,
            plays_today=bike_state.plays_today,
            profile=snapshot.fleet_profiles.get(event_in.fleet_id, DEFAULT_PROFILE),
        ),
        rng,
    )
    row = LockEventLog(
        operator=operator,
        event_id=event_in.event_id,
        fleet_id=event_in.fleet_id,
        bike_id=event_in.bike_id,
        event=event_in.event,
        lat=event_in.lat,
        lon=event_in.lon,
        occurred_at=event_in.occurred_at,
        zone_id=decision.zone_id,
        campaign_id=decision.campaign_id,
        slogan_id=decision.slogan_id,
        clip_id=decision.clip.id if decision.clip else None,
        volume=decision.volume,
    )
    session.add(row)
    remember_event(
        session=session,
        state=bike_state,
        fleet_id=event_in.fleet_id,
        bike_id=event_in.bike_id,
        zone_id=decision.zone_id,
        at=event_in.occurred_at,
        slogan_id=decision.slogan_id,
    )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same event id (a client retry) or the same new bike won the race.
        session.rollback()
        existing = _find(session, operator, event_in.event_id)
        if existing is None:
            raise
        return _replay(session, existing, event_in)
    return _result(event_in.event_id, decision)


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
            clip.id,
            clip_url(clip.sha256, clip.format),
            clip.sha256,
            clip.duration_ms,
            clip.format,
            clip.profile,
        )
    decision = Decision(
        zone_id=row.zone_id,
        campaign_id=row.campaign_id,
        slogan_id=row.slogan_id,
        text=slogan.text if slogan else None,
        clip=info,
        volume=row.volume,
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
        volume=decision.volume,
    )

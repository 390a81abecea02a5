"""Lock and unlock events: decide on the snapshot, log durably, answer."""

import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from service.auth.models import ApiKey
from service.clips.models import Clip, ClipRef
from service.coords import CoordSystem
from service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from service.events.batching import Batcher
from service.events.models import (
    EventError,
    EventIn,
    EventResult,
    ItemError,
    LockEventLog,
    PlayedIn,
    PlayedResult,
    PlayStatus,
)
from service.events.partitions import DroppedEvents, drop_months_before
from service.events.writer import LogUnavailable, read_bikes, write_events
from service.fastsql import lock_for_writing, select_keys
from service.slogans.models import Slogan
from service.stats.rollups import Play, add_plays
from service.targeting.bike_memory import BikeMemo, plays_on
from service.targeting.decision import ClipInfo, Decision, Snapshot, choose_clip
from service.targeting.snapshot import SnapshotHolder, clip_info
from service.timeutil import utcnow
from service.zones.geometry import ZoneInfo as Zone

log = logging.getLogger(__name__)


def record_event(
    *,
    session: Session,
    snapshot: Snapshot,
    event_in: EventIn,
    api_key: ApiKey,
    rng: random.Random,
    tz: ZoneInfo,
) -> EventResult:
    """Decide, log and answer one event in the session's transaction, and commit (scripts, the demo; the
    server goes through its EventPipeline)."""
    (outcome,) = decide_and_log(session, snapshot, [(event_in, api_key)], rng, tz)
    if isinstance(outcome, ServiceError):
        session.rollback()
        raise outcome
    session.commit()
    return outcome


Outcome = EventResult | ServiceError


def decide_and_log(
    session: Session,
    snapshot: Snapshot,
    requests: list[tuple[EventIn, ApiKey]],
    rng: random.Random,
    tz: ZoneInfo,
) -> list[Outcome]:
    """The answers to a round of events, decided and logged in the session's transaction (not committed):
    two queries read the round's bikes and the event ids already logged, each event is decided on the
    snapshot, and the new ones are logged at once. A duplicate (a retry, or an id logged by another worker
    meanwhile) gets the first answer from the log. The transaction starts as a writer (lock_for_writing),
    so on SQLite nobody logs or moves a bike between those reads and the writes."""
    # Positions in WGS-84 from here on: the zone lookup and the log's lat/lon.
    requests = [(e.in_wgs84(snapshot.coord_system_of(e.fleet_id)), key) for e, key in requests]
    lock_for_writing(session.connection())
    known = _prefetch(session, snapshot, [event_in for event_in, _ in requests])
    zones = snapshot.zones.locate_many([(event_in.lon, event_in.lat) for event_in, _ in requests])
    decided: list[Outcome | tuple[dict[str, Any], Decision]] = []
    for (event_in, api_key), zone in zip(requests, zones, strict=True):
        try:
            decided.append(
                _decide(
                    session=session,
                    snapshot=snapshot,
                    event_in=event_in,
                    api_key=api_key,
                    zone=zone,
                    rng=rng,
                    known=known,
                )
            )
        except ServiceError as exc:
            decided.append(exc)
    rows = [d[0] for d in decided if isinstance(d, tuple)]
    fresh = iter(write_events(session.connection(), rows, tz, known.bikes, checked=True) if rows else [])
    outcomes: list[Outcome] = []
    for (event_in, _), item in zip(requests, decided, strict=True):
        if not isinstance(item, tuple):
            outcomes.append(item)
        elif next(fresh):
            outcomes.append(_result(event_in.event_id, item[1]))
        else:
            try:
                outcomes.append(_replay_logged(session, item[0], event_in))
            except ServiceError as exc:
                outcomes.append(exc)
    return outcomes


Round = list[list[tuple[EventIn, ApiKey]]]  # the requests queued since the last round, per submission


class EventPipeline(Batcher[tuple[EventIn, ApiKey], Outcome]):
    """One per worker process: each round decides and logs everything queued since the last one, in one
    transaction (group commit: one fsync for the round), then wakes each waiting request with its answer.
    Requests await it on the event loop without holding a thread or a connection; the rounds run on a
    thread of the worker."""

    def __init__(self, engine: Engine, snapshots: SnapshotHolder, rng: random.Random, tz: ZoneInfo) -> None:
        self._engine = engine
        self._snapshots = snapshots
        self._rng = rng
        self._tz = tz
        super().__init__("event-pipeline", self._round)

    def _round(self, batch: Round) -> list[list[Outcome] | Exception]:
        """Per submission, its outcomes (or the exception that stands for all of them)."""
        requests = [request for submitted in batch for request in submitted]
        snapshot = self._snapshots.get()
        try:
            with Session(self._engine) as session:
                outcomes = decide_and_log(session, snapshot, requests, self._rng, self._tz)
                session.commit()
        except SQLAlchemyError as exc:
            if len(batch) > 1:
                # Whatever failed must not sink the others: each request's events again, on their own.
                return [outcome for one in batch for outcome in self._round([one])]
            log.exception("could not log %d events", len(requests))
            return [LogUnavailable(f"the event log is unavailable ({type(exc).__name__}); retry")]
        split: list[list[Outcome] | Exception] = []
        start = 0
        for submitted in batch:
            split.append(outcomes[start : start + len(submitted)])
            start += len(submitted)
        return split


async def answer_batch(
    *, pipeline: EventPipeline, items: list[dict[str, Any]], api_key: ApiKey, coord_system: CoordSystem | None
) -> list[EventResult | EventError]:
    """Many events (an offline lock's backlog) in one round; each item answered on its own. `coord_system`:
    the batch's, for items that name none."""
    parsed: list[EventIn | EventError] = []
    for item in items:
        try:
            event_in = EventIn.model_validate(item)
            if event_in.coord_system is None and coord_system is not None:
                event_in = event_in.model_copy(update={"coord_system": coord_system})
            parsed.append(event_in)
        except ValidationError as exc:
            event_id = item.get("event_id") if isinstance(item, dict) else None
            parsed.append(_error(event_id, 422, json.loads(exc.json(include_url=False))))
    valid = [(event_in, api_key) for event_in in parsed if isinstance(event_in, EventIn)]
    outcomes = iter(await pipeline.call_async(valid) if valid else [])
    answers: list[EventResult | EventError] = []
    for parsed_in in parsed:
        if isinstance(parsed_in, EventError):
            answers.append(parsed_in)
            continue
        outcome = next(outcomes)
        if isinstance(outcome, ServiceError):
            answers.append(_error(parsed_in.event_id, outcome.status_code, outcome.message))
        else:
            answers.append(outcome)
    return answers


@dataclass(frozen=True, slots=True)
class _Known:
    """What a round of decisions reads, fetched for the whole round at once."""

    bikes: dict[tuple[str, str], Any]  # rows of bike
    logged: dict[tuple[str, str], "_Logged"]  # the round's event ids logged already
    memo: BikeMemo  # the round's decisions so far: a bike's second event in a round sees its first


def _prefetch(session: Session, snapshot: Snapshot, events: list[EventIn]) -> _Known:
    """Two plain queries for the round: the bikes, and which event ids are logged already."""
    log_keys = sorted(
        {(operator, e.event_id) for e in events if (operator := snapshot.fleet_operators.get(e.fleet_id))}
    )
    connection = session.connection()
    found = select_keys(connection, "lock_event", ("operator", "event_id"), _REPLAY_COLUMNS, log_keys)
    return _Known(
        bikes=read_bikes(connection, {(e.fleet_id, e.bike_id) for e in events}),
        logged={key: _Logged(key[1], *values) for key, values in found.items()},
        memo=BikeMemo(),
    )


@dataclass(frozen=True, slots=True)
class _Logged:
    """What a retry's answer needs of the first event's row."""

    event_id: str
    fleet_id: str
    bike_id: str
    event: str
    zone_id: str | None
    campaign_id: int | None
    slogan_id: int | None
    clip_id: int | None
    volume: int | None


_REPLAY_COLUMNS = ("fleet_id", "bike_id", "event", "zone_id", "campaign_id", "slogan_id", "clip_id", "volume")


def _decide(
    *,
    session: Session,
    snapshot: Snapshot,
    event_in: EventIn,
    api_key: ApiKey,
    zone: Zone | None,
    rng: random.Random,
    known: _Known,
) -> EventResult | tuple[dict[str, Any], Decision]:
    """The answer to an event already logged, or the row to log and the decision to answer with."""
    operator = snapshot.fleet_operators.get(event_in.fleet_id)
    if operator is None:
        raise Invalid(f"unknown fleet {event_in.fleet_id!r}")
    if event_in.fleet_id not in api_key.fleet_ids:
        raise Forbidden(f"this key may not report events for fleet {event_in.fleet_id!r}")

    existing = known.logged.get((operator, event_in.event_id))
    if existing is not None:
        return _replay(session, existing, event_in)

    bike_key = (event_in.fleet_id, event_in.bike_id)
    day = snapshot.settings.local_day(event_in.occurred_at)
    last_slogan_id, plays_today = plays_on(known.bikes.get(bike_key), known.memo.get(bike_key), day)
    decision = choose_clip(
        snapshot,
        snapshot.query(
            event_in.fleet_id, event_in.event.value, zone, event_in.occurred_at, last_slogan_id, plays_today
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
        "volume": decision.volume,
    }
    # A later event of this bike in the round sees this one.
    known.memo.remember(bike_key, known.bikes.get(bike_key), event_in.occurred_at, day, decision.slogan_id)
    return row, decision


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


def _replay(session: Session, row: "LockEventLog | _Logged", event_in: EventIn) -> EventResult:
    """The same event id again: the first answer, not counted twice."""
    if (row.fleet_id, row.bike_id, row.event) != (event_in.fleet_id, event_in.bike_id, event_in.event):
        raise Conflict(f"event_id {event_in.event_id!r} was already used for a different event")
    clip = session.get(Clip, row.clip_id) if row.clip_id is not None else None
    slogan = session.get(Slogan, row.slogan_id) if row.slogan_id is not None else None
    info = None
    if clip is not None and clip.playable:
        info = clip_info(clip)
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
    # Built from the snapshot's own values: nothing to validate.
    return EventResult.model_construct(
        event_id=event_id,
        zone_id=decision.zone_id,
        slogan_id=decision.slogan_id,
        text=decision.text,
        clip=_clip_ref(decision.clip) if decision.clip else None,
        volume=decision.volume,
    )


@lru_cache(maxsize=4096)
def _clip_ref(clip: ClipInfo) -> ClipRef:
    return ClipRef.model_validate(clip, from_attributes=True)


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
        skew = played_in.clock_skew_s(utcnow())
        # Conditional, so two racing reports cannot both count: the first one claims the row.
        claim = (
            update(LockEventLog)
            .where(col(LockEventLog.id) == row.id, col(LockEventLog.play_status).is_(None))
            .values(
                played_at=played_in.played_at,
                play_status=played_in.status,
                clock_skew_s=round(skew, 3) if skew is not None and abs(skew) > skew_threshold_s else None,
            )
        )
        if session.exec(claim).rowcount == 1 and played_in.status is PlayStatus.played:
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


def drop_old_events(*, session: Session, months: int, now: datetime) -> DroppedEvents:
    """Delete the raw log of the months before the last `months` (the current one included); the rollups
    keep their counts. PostgreSQL drops those months' partitions (service/events/partitions.py); SQLite
    deletes the rows."""
    if months < 1:
        raise Invalid("keep at least one month of events")
    year, month = divmod(now.year * 12 + now.month - 1 - (months - 1), 12)
    cutoff = datetime(year, month + 1, 1, tzinfo=UTC)
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        session.commit()  # detaching a month waits for every transaction that uses the log: this one too
        return drop_months_before(engine, cutoff.date())  # type: ignore[arg-type]  # get_bind() says Engine | Connection; this Session is on the engine
    result = session.exec(delete(LockEventLog).where(col(LockEventLog.occurred_at) < cutoff))
    session.commit()
    return DroppedEvents(int(result.rowcount))

"""Logging a round of decided events in the caller's transaction (service.EventPipeline commits it once
for the whole round): the log rows, idempotent per (operator, event_id) as _log_new explains, the
bikes' state and the rollups. A duplicate (a client's retry, in this round or logged before, by this
worker or another) is not inserted and sinks nothing; its request answers the first answer from the log."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, case, or_
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from service.errors import RETRY_AFTER_S, ServiceError
from service.events.models import BikeNumber, EventKey, LockEventLog, is_play
from service.events.partitions import ensure_months, month_of
from service.fastsql import (
    FastStatement,
    insert_for,
    insert_for_dialect,
    read_date,
    read_datetime,
    read_json,
    select_keys,
    statement,
)
from service.fleets.models import Bike
from service.stats.rollups import Play, add_plays
from service.targeting.bike_memory import BikeRow, count_play

events_table: Table = LockEventLog.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
bikes_table: Table = Bike.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
numbers_table: Table = BikeNumber.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
keys_table: Table = EventKey.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models


class LogUnavailable(ServiceError):
    status_code = 503

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_S)})


def write_events(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    tz: ZoneInfo,
    bikes: Mapping[tuple[str, str], Any] | None = None,
    *,
    checked: bool = False,
) -> list[bool]:
    """Log the rows inside the caller's transaction; per row, True if it was new (False: a duplicate).
    `bikes`: the rows' bikes as the caller read them in this transaction (read_bikes), or None to read
    them here. `checked`: the caller found none of the rows' event ids logged, in this transaction
    started as a writer (fastsql.lock_for_writing), so on SQLite they can be inserted as they are."""
    first_of: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        first_of.setdefault((row["operator"], row["event_id"]), i)
    fresh = [rows[i] for i in first_of.values()]
    numbers = _bike_numbers(conn, {(r["fleet_id"], r["bike_id"]) for r in fresh})
    for row in fresh:
        row["bike_no"] = numbers[(row["fleet_id"], row["bike_id"])]
    inserted = _log_new(conn, fresh, checked)
    new = [r for r in fresh if (r["operator"], r["event_id"]) in inserted]
    if new:
        _update_bikes(conn, new, tz, bikes)
        add_plays(
            conn,
            (
                Play(r["occurred_at"], r["zone_id"], r["slogan_id"], r["fleet_id"], r["event"], r["bike_no"])
                for r in new
                if is_play(r)
            ),
            tz,
        )
    return [first_of[(r["operator"], r["event_id"])] == i and (r["operator"], r["event_id"]) in inserted
            for i, r in enumerate(rows)]  # fmt: skip


def _log_new(conn: Connection, rows: list[dict[str, Any]], checked: bool) -> set[tuple[str, str]]:
    """Log the rows whose (operator, event_id) is not logged yet; returns those keys. SQLite: the log's
    unique constraint decides, in one statement (rows `checked` by the caller are all new: a plain
    batch insert, whose count must say so). PostgreSQL: the log is partitioned by month and cannot
    hold that constraint, so the keys are claimed in event_key first (its primary key decides, across
    workers and nodes; in key order, so two workers cannot deadlock) and only the claimed rows logged."""
    if conn.dialect.name != "postgresql":
        if not checked:
            return {tuple(r) for r in conn.execute(_log_insert(conn), rows)}
        if _log_checked.run(conn, rows) != len(rows):
            raise LogRace("an event id was logged meanwhile by another writer")
        return {(r["operator"], r["event_id"]) for r in rows}
    ensure_months(conn, {month_of(r["occurred_at"]) for r in rows})
    keys = sorted((r["operator"], r["event_id"], r["occurred_at"]) for r in rows)
    claims = [{"operator": o, "event_id": e, "occurred_at": at} for o, e, at in keys]
    claimed = {(o, e) for o, e in conn.execute(_key_claim, claims)}
    if claimed:
        conn.execute(events_table.insert(), [r for r in rows if (r["operator"], r["event_id"]) in claimed])
    return claimed


@statement
def _log_insert(conn: Connection) -> Any:
    return (
        insert_for(conn, events_table)
        .on_conflict_do_nothing(index_elements=["operator", "event_id"])
        .returning(events_table.c.operator, events_table.c.event_id)
    )


class LogRace(SQLAlchemyError):
    """Rows checked as new were not all new: the transaction was not the only writer (it fails; its
    events are tried again, and the retry finds the ids logged)."""


def _build_checked_insert(dialect: str) -> Any:
    stmt = insert_for_dialect(dialect, events_table).values(
        {c.name: bindparam(c.name) for c in events_table.c if c.name in _LOGGED_COLUMNS}
    )
    return stmt.on_conflict_do_nothing(index_elements=["operator", "event_id"])


_LOGGED_COLUMNS = (
    "operator", "event_id", "fleet_id", "bike_id", "event", "lat", "lon", "occurred_at", "received_at",
    "zone_id", "campaign_id", "slogan_id", "clip_id", "volume", "bike_no",
)  # fmt: skip
_log_checked = FastStatement(_build_checked_insert)


_key_claim = (
    postgresql.insert(keys_table)
    .on_conflict_do_nothing()
    .returning(keys_table.c.operator, keys_table.c.event_id)
)


@statement
def _number_insert(conn: Connection) -> Any:
    return insert_for(conn, numbers_table).on_conflict_do_nothing(index_elements=["fleet_id", "bike_id"])


# Bike numbers never change once given: each database's are remembered (up to a bound) once committed.
_NUMBERS_KEPT = 200_000
_numbers_seen: "WeakKeyDictionary[Engine, dict[tuple[str, str], int]]" = WeakKeyDictionary()


def _bike_numbers(conn: Connection, bikes: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    seen = _numbers_seen.setdefault(conn.engine, {})
    numbers = {bike: seen[bike] for bike in bikes if bike in seen}
    missing = bikes - numbers.keys()
    if not missing:
        return numbers

    def read(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return {
            key: n
            for key, (n,) in select_keys(conn, "bike_number", ("fleet_id", "bike_id"), ("id",), keys).items()
        }

    committed = read(missing)  # given before this transaction: safe to remember
    if len(seen) + len(committed) > _NUMBERS_KEPT:
        seen.clear()
    seen.update(committed)
    numbers.update(committed)
    new = sorted(missing - committed.keys())
    if new:
        conn.execute(_number_insert(conn), [{"fleet_id": f, "bike_id": b} for f, b in new])
        numbers.update(read(set(new)))
    return numbers


def _build_bike_upsert(dialect: str) -> Any:
    stmt = insert_for_dialect(dialect, bikes_table).values({c.name: bindparam(c.name) for c in bikes_table.c})
    excluded = stmt.excluded
    newer = or_(bikes_table.c.last_seen_at.is_(None), bikes_table.c.last_seen_at <= excluded.last_seen_at)
    return stmt.on_conflict_do_update(
        index_elements=["fleet_id", "bike_id"],
        set_={
            "last_zone_id": case((newer, excluded.last_zone_id), else_=bikes_table.c.last_zone_id),
            "last_seen_at": case((newer, excluded.last_seen_at), else_=bikes_table.c.last_seen_at),
            "last_slogan_id": case(
                (newer & excluded.last_slogan_id.is_not(None), excluded.last_slogan_id),
                else_=bikes_table.c.last_slogan_id,
            ),
            # Counted below from the row as read in this transaction (locked on PostgreSQL).
            "plays_day": excluded.plays_day,
            "plays_today": excluded.plays_today,
        },
    )


_bike_upsert = FastStatement(_build_bike_upsert)


def read_bikes(conn: Connection, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], BikeRow]:
    """The bikes' rows, locked until the transaction ends on PostgreSQL: each worker decides on, and counts
    plays into, a bike as it is, so daily caps hold across workers."""
    bikes: dict[tuple[str, str], BikeRow] = {}
    columns = ("last_slogan_id", "last_seen_at", "plays_day", "plays_today")
    postgresql = conn.dialect.name == "postgresql"
    found = select_keys(conn, "bike", ("fleet_id", "bike_id"), columns, keys, for_update=postgresql)
    for key, (slogan, seen, day, plays) in found.items():
        bikes[key] = BikeRow(slogan, read_datetime(seen), read_date(day), read_json(plays) or {})
    return bikes


def _update_bikes(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    tz: ZoneInfo,
    bikes: Mapping[tuple[str, str], Any] | None,
) -> None:
    """The bike's last zone and time follow its latest event (an offline backlog does not move it back);
    its last slogan follows its latest play; its plays per slogan per local day count every play, for the
    campaigns' daily caps."""
    if bikes is None:
        bikes = read_bikes(conn, {(row["fleet_id"], row["bike_id"]) for row in rows})
    counters = {key: (bike.plays_day, bike.plays_today or {}) for key, bike in bikes.items()}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["occurred_at"]):
        key = (row["fleet_id"], row["bike_id"])
        state = latest.setdefault(
            key, {"fleet_id": row["fleet_id"], "bike_id": row["bike_id"], "last_slogan_id": None}
        )
        state["last_zone_id"] = row["zone_id"]
        state["last_seen_at"] = row["occurred_at"]
        if row["slogan_id"] is not None:
            state["last_slogan_id"] = row["slogan_id"]
            day, plays = counters.get(key, (None, {}))
            counters[key] = count_play(day, plays, row["occurred_at"].astimezone(tz).date(), row["slogan_id"])
    for key, state in latest.items():
        state["plays_day"], state["plays_today"] = counters.get(key, (None, {}))
    _bike_upsert.run(conn, [latest[k] for k in sorted(latest)])

"""Group commit for the event log: many requests, one transaction, one fsync.

Requests decide on their own (service.record_event) and hand the rows to log to the process's
EventWriter. Its thread takes everything queued since its last commit, writes it in one transaction
(the log rows, idempotency through the (operator, event_id) unique constraint, the bikes' state and the
rollups), commits once, then wakes each waiting request with, per row, whether it was new. A duplicate
(a client's retry, in this batch or logged before, by this worker or another) is not inserted and sinks
nothing; its request answers the first answer from the log."""

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, case, or_, select, tuple_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from service.errors import ServiceError
from service.events.models import BikeNumber, LockEventLog
from service.fleets.models import Bike
from service.stats.rollups import Play, add_plays, insert_for

log = logging.getLogger(__name__)

events_table: Table = LockEventLog.__table__  # type: ignore[attr-defined]
bikes_table: Table = Bike.__table__  # type: ignore[attr-defined]
numbers_table: Table = BikeNumber.__table__  # type: ignore[attr-defined]


class LogUnavailable(ServiceError):
    status_code = 503


def write_events(conn: Connection, rows: Sequence[dict[str, Any]], tz: ZoneInfo) -> list[bool]:
    """Log the rows inside the caller's transaction; per row, True if it was new (False: a duplicate)."""
    first_of: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        first_of.setdefault((row["operator"], row["event_id"]), i)
    fresh = [rows[i] for i in first_of.values()]
    numbers = _bike_numbers(conn, {(r["fleet_id"], r["bike_id"]) for r in fresh})
    for row in fresh:
        row["bike_no"] = numbers[(row["fleet_id"], row["bike_id"])]
    stmt = (
        insert_for(conn, events_table)
        .on_conflict_do_nothing(index_elements=["operator", "event_id"])
        .returning(events_table.c.operator, events_table.c.event_id)
    )
    inserted = {tuple(r) for r in conn.execute(stmt, fresh)}
    new = [r for r in fresh if (r["operator"], r["event_id"]) in inserted]
    if new:
        _update_bikes(conn, new)
        add_plays(
            conn,
            (
                Play(r["occurred_at"], r["zone_id"], r["slogan_id"], r["fleet_id"], r["event"], r["bike_no"])
                for r in new
                if r["clip_id"] is not None
            ),
            tz,
        )
    return [first_of[(r["operator"], r["event_id"])] == i and (r["operator"], r["event_id"]) in inserted
            for i, r in enumerate(rows)]  # fmt: skip


def _bike_numbers(conn: Connection, bikes: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not bikes:
        return {}
    key = tuple_(numbers_table.c.fleet_id, numbers_table.c.bike_id)
    query = select(numbers_table.c.fleet_id, numbers_table.c.bike_id, numbers_table.c.id)

    def known() -> dict[tuple[str, str], int]:
        return {(f, b): n for f, b, n in conn.execute(query.where(key.in_(sorted(bikes))))}

    numbers = known()
    missing = sorted(bikes - numbers.keys())
    if missing:
        conn.execute(
            insert_for(conn, numbers_table).on_conflict_do_nothing(index_elements=["fleet_id", "bike_id"]),
            [{"fleet_id": f, "bike_id": b} for f, b in missing],
        )
        numbers = known()
    return numbers


def _update_bikes(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The bike's last zone and time follow its latest event (an offline backlog does not move it back);
    its last slogan follows its latest play."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["occurred_at"]):
        state = latest.setdefault(
            (row["fleet_id"], row["bike_id"]),
            {"fleet_id": row["fleet_id"], "bike_id": row["bike_id"], "last_slogan_id": None},
        )
        state["last_zone_id"] = row["zone_id"]
        state["last_seen_at"] = row["occurred_at"]
        if row["slogan_id"] is not None:
            state["last_slogan_id"] = row["slogan_id"]
    stmt = insert_for(conn, bikes_table)
    excluded = stmt.excluded
    newer = or_(bikes_table.c.last_seen_at.is_(None), bikes_table.c.last_seen_at <= excluded.last_seen_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=["fleet_id", "bike_id"],
        set_={
            "last_zone_id": case((newer, excluded.last_zone_id), else_=bikes_table.c.last_zone_id),
            "last_seen_at": case((newer, excluded.last_seen_at), else_=bikes_table.c.last_seen_at),
            "last_slogan_id": case(
                (newer & excluded.last_slogan_id.is_not(None), excluded.last_slogan_id),
                else_=bikes_table.c.last_slogan_id,
            ),
        },
    )
    conn.execute(stmt, [latest[k] for k in sorted(latest)])


class EventWriter:
    """One per worker process: a thread that commits whatever requests queued while it was busy."""

    def __init__(self, engine: Engine, tz: ZoneInfo) -> None:
        self._engine = engine
        self._tz = tz
        self._cond = threading.Condition()
        self._queue: list[tuple[list[dict[str, Any]], Future[list[bool]]]] = []
        self._closed = False
        self.commits = 0  # transactions committed, for tests and the curious
        self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
        self._thread.start()

    def write(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Block until the rows are committed; per row, True if new, False if a duplicate."""
        future: Future[list[bool]] = Future()
        with self._cond:
            if self._closed:
                raise LogUnavailable("the server is shutting down; retry")
            self._queue.append((rows, future))
            self._cond.notify()
        return future.result()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
            self._commit(batch)

    def _commit(self, batch: list[tuple[list[dict[str, Any]], Future[list[bool]]]]) -> None:
        rows = [row for submitted, _ in batch for row in submitted]
        try:
            with self._engine.begin() as conn:
                new = write_events(conn, rows, self._tz)
            self.commits += 1
        except SQLAlchemyError as exc:
            if len(batch) > 1:
                # Whatever failed must not sink the others: commit each request's rows on their own.
                for one in batch:
                    self._commit([one])
                return
            log.exception("could not log %d events", len(rows))
            failure = LogUnavailable(f"the event log is unavailable ({type(exc).__name__}); retry")
            batch[0][1].set_exception(failure)
            return
        start = 0
        for submitted, future in batch:
            future.set_result(new[start : start + len(submitted)])
            start += len(submitted)

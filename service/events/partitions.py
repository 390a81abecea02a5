"""The event log's monthly partitions on PostgreSQL (SQLite keeps one plain table).

There `lock_event` is PARTITIONED BY RANGE (occurred_at), one partition per calendar month in UTC, named
`lock_event_y2026m11`. A partitioned table cannot hold UNIQUE (operator, event_id) (a unique key must
contain the partition key), so the writer claims each event's key in `event_key` first (see
writer._log_new) and logs only the rows it claimed.

Partitions are made when needed: writer.write_events asks `ensure_months` before it inserts, and the
server's start and `ebike-voice retention` make the current and the next month. A month is made in its own
short transaction under an advisory lock, so workers and nodes never race for it, as an empty table then
ATTACHed: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the log, which lets events be read and written
meanwhile, where CREATE TABLE … PARTITION OF would take ACCESS EXCLUSIVE and queue the event path behind
any long read of the log.

Retention detaches whole months (DETACH … CONCURRENTLY: the event path goes on), deletes their keys from
`event_key`, then drops them. Deleting the keys is the one part that costs in proportion to the events
(one primary-key delete each, in batches of short transactions); without it `event_key` would grow
forever. A retry of a dropped event is then logged again as new."""

import logging
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from service.timeutil import utcnow

log = logging.getLogger(__name__)

LOG_TABLE = "lock_event"
_NAME = re.compile(r"^lock_event_y(\d{4})m(\d{2})$")
# The advisory lock held while months are made or dropped: any fixed number no other code uses.
PARTITION_LOCK = 7_310_562_006
# How long making a month waits for that lock (held through a whole retention run, or by a node making
# the same month) before the events that need the month fail with a 503 and are retried.
CREATE_LOCK_TIMEOUT = "3s"
# event_key rows deleted per transaction by retention.
KEY_BATCH = 20_000

# Months known to have a partition, per engine (a process may use several databases, as the tests do).
_known: weakref.WeakKeyDictionary[Engine, set[date]] = weakref.WeakKeyDictionary()


def month_of(at: datetime) -> date:
    at = at.astimezone(UTC)
    return date(at.year, at.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{LOG_TABLE}_y{month.year:04d}m{month.month:02d}"


def partition_bounds(month: date) -> str:
    return f"FOR VALUES FROM ('{month} 00:00:00+00') TO ('{next_month(month)} 00:00:00+00')"


def is_partition(table_name: str) -> bool:
    return _NAME.match(table_name) is not None


def upcoming_months(now: datetime) -> set[date]:
    """The current month and the next: made ahead so the first events of a month find theirs."""
    month = month_of(now)
    return {month, next_month(month)}


def ensure_months(conn: Connection, months: Iterable[date]) -> None:
    """Make sure the log has a partition for each month, before the caller's transaction inserts rows. A
    missing month is made in a short transaction of its own, which does not wait for the caller's (ATTACH
    conflicts with neither reads nor writes). It may wait for a retention run that holds the partitions'
    lock; should that run wait in turn for the caller's transaction, the lock timeout ends it: the
    caller's transaction fails and its events are answered 503, to be retried."""
    known = _known.setdefault(conn.engine, set())
    current = month_of(utcnow())
    # Retention (maybe in another process) drops only months before the current one: those are looked
    # up in the catalog each time, the others trusted once seen.
    unsure = {m for m in months if m not in known or m < current}
    if not unsure:
        return
    missing = unsure - _attached(conn)
    if missing:
        with conn.engine.begin() as own:
            own.execute(text(f"SET LOCAL lock_timeout = '{CREATE_LOCK_TIMEOUT}'"))
            own.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK})
            for month in sorted(missing - _attached(own)):
                name = partition_name(month)
                own.execute(text(f"CREATE TABLE {name} (LIKE {LOG_TABLE})"))
                bounds = partition_bounds(month)
                own.execute(text(f"ALTER TABLE {LOG_TABLE} ATTACH PARTITION {name} {bounds}"))
                log.info("created event log partition %s", name)
    known.update(unsure)


def ensure_upcoming(engine: Engine) -> None:
    """At start: this month's and next month's partitions (nothing to do on SQLite)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        ensure_months(conn, upcoming_months(utcnow()))


def _attached(conn: Connection) -> set[date]:
    """The months whose partition is attached to the log (a partition being detached is not)."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            f"WHERE i.inhparent = '{LOG_TABLE}'::regclass AND NOT i.inhdetachpending"
        )
    ).scalars()
    return {_month(name) for name in names if is_partition(name)}


def _month(name: str) -> date:
    match = _NAME.match(name)
    assert match is not None, name
    return date(int(match[1]), int(match[2]), 1)


@dataclass(frozen=True, slots=True)
class DroppedEvents:
    """What retention removed: the number of events and, on PostgreSQL, the partitions dropped."""

    events: int
    partitions: tuple[str, ...] = ()


def drop_months_before(engine: Engine, cutoff: date) -> DroppedEvents:
    """Detach and drop the partitions of the months before `cutoff`, and their events' keys. Also finishes
    what an interrupted run left (a partition still being detached, or detached and not yet dropped)."""
    counts: dict[str, int] = {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Held through the run: a node that needs one of these months (an event that old) waits for it,
        # then makes the month anew, so no row is logged into a partition being dropped.
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PARTITION_LOCK})
        try:
            for name, state in _month_tables(conn):
                if state == "attached" and _month(name) >= cutoff:
                    continue
                if state != "detached":
                    how = "FINALIZE" if state == "detaching" else "CONCURRENTLY"
                    conn.execute(text(f"ALTER TABLE {LOG_TABLE} DETACH PARTITION {name} {how}"))
                counts[name] = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                _forget_keys(conn, name)
                conn.execute(text(f"DROP TABLE {name}"))
                log.info("dropped event log partition %s (%d events)", name, counts[name])
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PARTITION_LOCK})
    ensure_upcoming(engine)
    return DroppedEvents(sum(counts.values()), tuple(counts))


def _month_tables(conn: Connection) -> list[tuple[str, str]]:
    """Every month table of the log with its state: attached, detaching, or detached."""
    rows = conn.execute(
        text(
            "SELECT c.relname, CASE WHEN i.inhrelid IS NULL THEN 'detached' "
            "WHEN i.inhdetachpending THEN 'detaching' ELSE 'attached' END "
            "FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid "
            "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace "
            f"AND c.relname LIKE '{LOG_TABLE}_y%' ORDER BY c.relname"
        )
    )
    return [(name, state) for name, state in rows if is_partition(name)]


def _forget_keys(conn: Connection, name: str) -> None:
    """Delete the event_key rows of a detached month, a batch per transaction, in id order."""
    after = -1
    while after is not None:
        after = conn.execute(
            text(
                f"WITH batch AS (SELECT id, operator, event_id FROM {name} WHERE id > :after "
                "ORDER BY id LIMIT :limit), "
                "gone AS (DELETE FROM event_key k USING batch b "
                "WHERE k.operator = b.operator AND k.event_id = b.event_id) "
                "SELECT max(id) FROM batch"
            ),
            {"after": after, "limit": KEY_BATCH},
        ).scalar_one()

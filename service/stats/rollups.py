"""The rollups behind the stats, updated in the transaction that logs the plays (and confirms them).

Three tables (service/stats/models.py): plays per UTC hour (time series, slogans), plays per local day with
the bitmap of the bikes that heard them (distinct bikes under any filter), and plays per local day and zone
with bike and slogan bitmaps (the unfiltered coverage). Bitmaps are roaring bitmaps of dense bike numbers
(BikeNumber), so distinct bikes over any set of days is the size of a union: exact and fast.

Counters are added with upserts; bitmaps are read, merged and written back under a row lock (PostgreSQL:
SELECT … FOR UPDATE after creating missing rows, keys in a fixed order so two workers cannot deadlock;
SQLite has one writer at a time)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pyroaring import BitMap
from sqlalchemy import Table, bindparam, case
from sqlalchemy.engine import Connection

from service.fastsql import FastStatement, driver_values, insert_for_dialect, select_keys
from service.stats.models import PlayDaily, PlayHourly, ZoneDaily

NO_ZONE = ""
EMPTY_BITMAP = BitMap().serialize()

hourly: Table = PlayHourly.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models, not in its types
daily: Table = PlayDaily.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models, not in its types
zone_daily: Table = ZoneDaily.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models, not in its types


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day begins."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def first_full_day(at: datetime, tz: ZoneInfo) -> date:
    """The first local day that starts at or after `at`."""
    day = local_day(at, tz)
    return day if day_start(day, tz) == at else day + timedelta(days=1)


@dataclass(slots=True)
class Play:
    """What the rollups need of one logged play."""

    occurred_at: datetime
    zone_id: str | None
    slogan_id: int
    fleet_id: str
    event: str
    bike_no: int
    confirmed: int = 0


@dataclass(slots=True)
class _Tally:
    plays: int = 0
    confirmed: int = 0
    first: datetime | None = None
    last: datetime | None = None
    bikes: BitMap = field(default_factory=BitMap)
    slogans: BitMap = field(default_factory=BitMap)

    def add(self, play: Play, plays: int) -> None:
        self.plays += plays
        self.confirmed += play.confirmed
        if self.first is None or play.occurred_at < self.first:
            self.first = play.occurred_at
        if self.last is None or play.occurred_at > self.last:
            self.last = play.occurred_at
        self.bikes.add(play.bike_no)
        self.slogans.add(play.slogan_id)


def add_plays(
    conn: Connection,
    plays: Iterable[Play],
    tz: ZoneInfo,
    *,
    count_plays: bool = True,
) -> None:
    """Count new plays into every rollup (or, with count_plays=False, only their confirmations)."""
    by_hour: defaultdict[tuple[Any, ...], _Tally] = defaultdict(_Tally)
    by_day: defaultdict[tuple[Any, ...], _Tally] = defaultdict(_Tally)
    by_zone_day: defaultdict[tuple[Any, ...], _Tally] = defaultdict(_Tally)
    n = 1 if count_plays else 0
    for play in plays:
        zone = play.zone_id or NO_ZONE
        day = local_day(play.occurred_at, tz)
        hour = hour_of(play.occurred_at)
        by_hour[hour, zone, play.slogan_id, play.fleet_id, play.event].add(play, n)
        by_day[day, zone, play.fleet_id, play.slogan_id].add(play, n)
        if play.zone_id:
            by_zone_day[day, zone].add(play, n)
    if by_hour:
        _add_hourly(conn, by_hour)
    if by_day:
        _merge_bitmaps(conn, _daily, by_day)
    if by_zone_day:
        _merge_bitmaps(conn, _zone_daily, by_zone_day)


def _counts_on_conflict(table: Table, excluded: Any) -> dict[str, Any]:
    """On a key already counted: add the counts, widen first/last play."""
    return {
        "plays": table.c.plays + excluded.plays,
        "confirmed_plays": table.c.confirmed_plays + excluded.confirmed_plays,
        "first_play_at": case(
            (excluded.first_play_at < table.c.first_play_at, excluded.first_play_at),
            else_=table.c.first_play_at,
        ),
        "last_play_at": case(
            (excluded.last_play_at > table.c.last_play_at, excluded.last_play_at),
            else_=table.c.last_play_at,
        ),
    }


def _upsert(table: Table, key: Sequence[str], replace: Sequence[str] = ()) -> FastStatement:
    """INSERT every column, or on a key already there add its counts and take the `replace` columns."""

    def build(dialect: str) -> Any:
        stmt = insert_for_dialect(dialect, table).values({c.name: bindparam(c.name) for c in table.c})
        updates = _counts_on_conflict(table, stmt.excluded)
        updates.update({name: stmt.excluded[name] for name in replace})
        return stmt.on_conflict_do_update(index_elements=list(key), set_=updates)

    return FastStatement(build)


def _create(table: Table, key: Sequence[str]) -> FastStatement:
    def build(dialect: str) -> Any:
        stmt = insert_for_dialect(dialect, table).values({c.name: bindparam(c.name) for c in table.c})
        return stmt.on_conflict_do_nothing(index_elements=list(key))

    return FastStatement(build)


HOURLY_KEY = ("hour", "zone_id", "slogan_id", "fleet_id", "event")
_hourly_upsert = _upsert(hourly, HOURLY_KEY)


def _counts(key_names: Sequence[str], key: Sequence[Any], tally: _Tally) -> dict[str, Any]:
    row = dict(zip(key_names, key, strict=True))
    row.update(
        plays=tally.plays, confirmed_plays=tally.confirmed, first_play_at=tally.first, last_play_at=tally.last
    )
    return row


def _add_hourly(conn: Connection, tallies: Mapping[tuple[Any, ...], _Tally]) -> None:
    _hourly_upsert.run(conn, [_counts(HOURLY_KEY, key, tallies[key]) for key in sorted(tallies)])


@dataclass(frozen=True)
class _BitmapRollup:
    """A rollup with distinct-bike (and slogan) bitmaps, merged in Python: `create` makes missing rows
    first where rows must be locked (PostgreSQL), `upsert` writes the merged bitmaps and adds the counts."""

    table: Table
    key: tuple[str, ...]
    bitmaps: tuple[str, ...]
    create: FastStatement
    upsert: FastStatement


def _bitmap_rollup(table: Table, key: tuple[str, ...], bitmaps: tuple[str, ...]) -> _BitmapRollup:
    return _BitmapRollup(table, key, bitmaps, _create(table, key), _upsert(table, key, replace=bitmaps))


def _merge_bitmaps(
    conn: Connection,
    rollup: _BitmapRollup,
    tallies: Mapping[tuple[Any, ...], _Tally],
) -> None:
    """Read the stored bitmaps of the tallied keys, OR the new bikes (and slogans) in, write them back.
    PostgreSQL: missing rows are created first and all are locked in key order, so two workers cannot
    lose each other's bikes or deadlock. SQLite: one writer at a time (a read made stale by another
    writer's commit fails the transaction rather than overwrite it)."""
    postgresql = conn.dialect.name == "postgresql"
    keys = sorted(tallies)
    if postgresql:
        empty = dict.fromkeys(rollup.bitmaps, EMPTY_BITMAP)
        rows = [
            _counts(rollup.key, key, _Tally(first=tallies[key].first, last=tallies[key].last)) for key in keys
        ]
        rollup.create.run(conn, [{**row, **empty} for row in rows])
    convert = driver_values(conn.dialect)
    as_stored = {tuple(convert(part) for part in key): key for key in keys}
    found = select_keys(conn, rollup.table.name, rollup.key, rollup.bitmaps, as_stored, for_update=postgresql)
    stored = {as_stored[k]: tuple(BitMap.deserialize(blob) for blob in blobs) for k, blobs in found.items()}
    rows = []
    for key in keys:
        tally = tallies[key]
        row = _counts(rollup.key, key, tally)
        before = stored.get(key)
        merged = tuple(
            new | before[i] if before else new
            for i, new in enumerate((tally.bikes, tally.slogans)[: len(rollup.bitmaps)])
        )
        for name, bitmap in zip(rollup.bitmaps, merged, strict=True):
            row[name] = bitmap.serialize()
        rows.append(row)
    rollup.upsert.run(conn, rows)


DAILY_KEY = ("day", "zone_id", "fleet_id", "slogan_id")
ZONE_DAILY_KEY = ("day", "zone_id")
_daily = _bitmap_rollup(daily, DAILY_KEY, ("bikes",))
_zone_daily = _bitmap_rollup(zone_daily, ZONE_DAILY_KEY, ("bikes", "slogans"))


def rebuild(conn: Connection, tz: ZoneInfo, rows: Iterable[Sequence[Any]]) -> None:
    """Count already-logged plays into empty rollups: rows of (occurred_at, zone_id, slogan_id, fleet_id,
    event, bike_no, confirmed). Used by the migration for logs written before the rollups existed."""
    batch: list[Play] = []
    for row in rows:
        batch.append(Play(*row))
        if len(batch) >= 5000:
            add_plays(conn, batch, tz)
            batch = []
    if batch:
        add_plays(conn, batch, tz)

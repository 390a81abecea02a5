"""The rollups behind the stats, updated in the transaction that logs the plays (and confirms them).

Three tables (service/stats/models.py): plays per UTC hour (time series, slogans), plays per local day with
the bitmap of the bikes that heard them (distinct bikes under any filter), and plays per local day and zone
with bike and slogan bitmaps (the unfiltered coverage). Bitmaps are roaring bitmaps of dense bike numbers
(BikeNumber), so distinct bikes over any set of days is the size of a union: exact and fast.

Counters are added with upserts; bitmaps are read, merged and written back under a row lock (PostgreSQL:
SELECT … FOR UPDATE after creating missing rows, keys in a fixed order so two workers cannot deadlock;
SQLite has one writer at a time)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pyroaring import BitMap
from sqlalchemy import Table, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from service.db import KeysIn
from service.stats.models import PlayDaily, PlayHourly, ZoneDaily

NO_ZONE = ""
EMPTY_BITMAP = BitMap().serialize()

hourly: Table = PlayHourly.__table__  # type: ignore[attr-defined]
daily: Table = PlayDaily.__table__  # type: ignore[attr-defined]
zone_daily: Table = ZoneDaily.__table__  # type: ignore[attr-defined]


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


def insert_for(conn: Connection, table: Table) -> Any:
    """INSERT with ON CONFLICT for the connection's dialect (both speak it)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def statement(build: Callable[[Connection], Any]) -> Callable[[Connection], Any]:
    """Build a statement once per dialect: constructing SQLAlchemy statements costs more than running
    these small ones."""
    built: dict[str, Any] = {}

    def get(conn: Connection) -> Any:
        name = conn.dialect.name
        if name not in built:
            built[name] = build(conn)
        return built[name]

    return get


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


def add_plays(conn: Connection, plays: Iterable[Play], tz: ZoneInfo, *, count_plays: bool = True) -> None:
    """Count new plays into every rollup (or, with count_plays=False, only their confirmations)."""
    by_hour: dict[tuple[Any, ...], _Tally] = {}
    by_day: dict[tuple[Any, ...], _Tally] = {}
    by_zone_day: dict[tuple[Any, ...], _Tally] = {}
    n = 1 if count_plays else 0
    for play in plays:
        zone = play.zone_id or NO_ZONE
        day = local_day(play.occurred_at, tz)
        hour = hour_of(play.occurred_at)
        by_hour.setdefault((hour, zone, play.slogan_id, play.fleet_id, play.event), _Tally()).add(play, n)
        by_day.setdefault((day, zone, play.fleet_id, play.slogan_id), _Tally()).add(play, n)
        if play.zone_id:
            by_zone_day.setdefault((day, zone), _Tally()).add(play, n)
    if by_hour:
        _add_hourly(conn, by_hour)
    if by_day:
        _merge_bitmaps(conn, _daily_sql, DAILY_KEY, by_day, with_slogans=False)
    if by_zone_day:
        _merge_bitmaps(conn, _zone_daily_sql, ZONE_DAILY_KEY, by_zone_day, with_slogans=True)


@statement
def _hourly_upsert(conn: Connection) -> Any:
    stmt = insert_for(conn, hourly)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["hour", "zone_id", "slogan_id", "fleet_id", "event"],
        set_={
            "plays": hourly.c.plays + excluded.plays,
            "confirmed_plays": hourly.c.confirmed_plays + excluded.confirmed_plays,
            "first_play_at": case(
                (excluded.first_play_at < hourly.c.first_play_at, excluded.first_play_at),
                else_=hourly.c.first_play_at,
            ),
            "last_play_at": case(
                (excluded.last_play_at > hourly.c.last_play_at, excluded.last_play_at),
                else_=hourly.c.last_play_at,
            ),
        },
    )


def _add_hourly(conn: Connection, tallies: Mapping[tuple[Any, ...], _Tally]) -> None:
    conn.execute(
        _hourly_upsert(conn),
        [
            {
                "hour": hour,
                "zone_id": zone,
                "slogan_id": slogan,
                "fleet_id": fleet,
                "event": event,
                "plays": t.plays,
                "confirmed_plays": t.confirmed,
                "first_play_at": t.first,
                "last_play_at": t.last,
            }
            for (hour, zone, slogan, fleet, event), t in sorted(tallies.items(), key=lambda kv: kv[0])
        ],
    )


@dataclass(frozen=True)
class _BitmapStatements:
    create: Any
    read: Any
    keys: KeysIn
    write: Any


def _bitmap_statements(
    table: Table, key_names: Sequence[str], with_slogans: bool
) -> Callable[[Connection], Any]:
    def build(conn: Connection) -> _BitmapStatements:
        key_cols = [table.c[name] for name in key_names]
        keys = KeysIn(*key_cols)
        value_cols = [table.c.plays, table.c.confirmed_plays, table.c.first_play_at, table.c.last_play_at]
        value_cols.append(table.c.bikes)
        if with_slogans:
            value_cols.append(table.c.slogans)
        read = select(*key_cols, *value_cols).where(keys.clause).order_by(*key_cols)
        if conn.dialect.name == "postgresql":
            read = read.with_for_update()
        values: dict[str, Any] = {
            "plays": bindparam("v_plays"),
            "confirmed_plays": bindparam("v_confirmed"),
            "first_play_at": bindparam("v_first", type_=table.c.first_play_at.type),
            "last_play_at": bindparam("v_last", type_=table.c.last_play_at.type),
            "bikes": bindparam("v_bikes"),
        }
        if with_slogans:
            values["slogans"] = bindparam("v_slogans")
        where = [table.c[name] == bindparam(f"k_{name}", type_=table.c[name].type) for name in key_names]
        return _BitmapStatements(
            create=insert_for(conn, table).on_conflict_do_nothing(index_elements=list(key_names)),
            read=read,
            keys=keys,
            write=update(table).where(*where).values(values),
        )

    return statement(build)


def _merge_bitmaps(
    conn: Connection,
    statements: Callable[[Connection], Any],
    key_names: Sequence[str],
    tallies: Mapping[tuple[Any, ...], _Tally],
    *,
    with_slogans: bool,
) -> None:
    sql: _BitmapStatements = statements(conn)
    keys = sorted(tallies)
    empty = {"plays": 0, "confirmed_plays": 0, "bikes": EMPTY_BITMAP}
    if with_slogans:
        empty["slogans"] = EMPTY_BITMAP
    conn.execute(
        sql.create,
        [
            {
                **dict(zip(key_names, key, strict=True)),
                **empty,
                "first_play_at": tallies[key].first,
                "last_play_at": tallies[key].last,
            }
            for key in keys
        ],
    )
    params = []
    for row in conn.execute(sql.read, sql.keys.params(keys)):
        key = tuple(row[: len(key_names)])
        tally = tallies[key]
        plays, confirmed, first, last, bikes, *slogans = row[len(key_names) :]
        merged = BitMap.deserialize(bikes)
        merged |= tally.bikes
        param = {f"k_{name}": value for name, value in zip(key_names, key, strict=True)}
        param.update(
            v_plays=plays + tally.plays,
            v_confirmed=confirmed + tally.confirmed,
            v_first=min(first, tally.first) if tally.first else first,
            v_last=max(last, tally.last) if tally.last else last,
            v_bikes=merged.serialize(),
        )
        if with_slogans:
            names = BitMap.deserialize(slogans[0])
            names |= tally.slogans
            param["v_slogans"] = names.serialize()
        params.append(param)
    conn.execute(sql.write, params)


DAILY_KEY = ("day", "zone_id", "fleet_id", "slogan_id")
ZONE_DAILY_KEY = ("day", "zone_id")
_daily_sql = _bitmap_statements(daily, DAILY_KEY, with_slogans=False)
_zone_daily_sql = _bitmap_statements(zone_daily, ZONE_DAILY_KEY, with_slogans=True)


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

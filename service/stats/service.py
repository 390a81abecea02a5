"""Stats from the rollups: whole local days come from the daily rollups (bike bitmaps make distinct bikes
exact), the partial days at the edges of a period from the raw log, so every count is exact for any
period while the usual question — whole days — never touches the log."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pyroaring import BitMap
from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from service.events.models import LockEventLog, PlayStatus, logged_plays
from service.slogans.models import Slogan, SloganStatus
from service.stats.models import (
    Coverage,
    PlayDaily,
    PlayHourly,
    SloganReach,
    SloganStats,
    TimePoint,
    Timeseries,
    ZoneCoverage,
    ZoneDaily,
)
from service.stats.rollups import NO_ZONE, day_start, first_full_day, hour_of, local_day
from service.zones.models import Zone

Bucket = Literal["hour", "day"]
MAX_BUCKETS = 10_000


@dataclass(slots=True)
class Filters:
    fleet_id: str | None = None
    slogan_ids: frozenset[int] | None = None  # None: every slogan
    zone_ids: frozenset[str] | None = None  # None: every zone

    @property
    def by_fleet_or_slogan(self) -> bool:
        return self.fleet_id is not None or self.slogan_ids is not None


@dataclass(slots=True)
class _Reach:
    plays: int = 0
    confirmed: int = 0
    first: datetime | None = None
    last: datetime | None = None
    bike_sets: list[bytes | BitMap] = field(default_factory=list)  # serialized or not
    slogan_sets: list[bytes] = field(default_factory=list)
    slogan_ids: set[int] = field(default_factory=set)
    zones: set[str] = field(default_factory=set)

    def add(self, plays: int, confirmed: int, first: datetime, last: datetime) -> None:
        self.plays += plays
        self.confirmed += confirmed
        self.first = first if self.first is None else min(self.first, first)
        self.last = last if self.last is None else max(self.last, last)

    def unique_bikes(self) -> int:
        return len(_union(self.bike_sets))

    def slogans(self) -> int:
        return (
            len(self.slogan_ids | set(_union(self.slogan_sets))) if self.slogan_sets else len(self.slogan_ids)
        )


def _union(sets: list[bytes | BitMap] | list[bytes]) -> BitMap:
    if not sets:
        return BitMap()
    return BitMap.union(*(s if isinstance(s, BitMap) else BitMap.deserialize(s) for s in sets))


def coverage(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    fleet_id: str | None = None,
    zone_kind: str | None = None,
    slogan_id: int | None = None,
) -> Coverage:
    """Every zone (of the kind asked) with its plays — events answered with a clip — in [since, until);
    silent zones get zeros."""
    query = select(Zone).order_by(Zone.id)
    if zone_kind is not None:
        query = query.where(Zone.kind == zone_kind)
    all_zones = list(session.exec(query))
    filters = Filters(
        fleet_id=fleet_id,
        slogan_ids=None if slogan_id is None else frozenset({slogan_id}),
        zone_ids=None if zone_kind is None else frozenset(z.id for z in all_zones),
    )
    reach = _reach(session, since=since, until=until, tz=tz, by="zone", filters=filters)
    zones = []
    for zone in all_zones:
        r = reach.get(zone.id) or _Reach()
        zones.append(
            ZoneCoverage(
                zone_id=zone.id,
                name=zone.name,
                kind=zone.kind,
                plays=r.plays,
                confirmed_plays=r.confirmed,
                unique_bikes=r.unique_bikes(),
                slogans=r.slogans(),
                last_play_at=r.last,
            )
        )
    covered = sum(1 for z in zones if z.plays)
    return Coverage(
        since=since,
        until=until,
        zones_total=len(zones),
        zones_covered=covered,
        coverage_ratio=round(covered / len(zones), 4) if zones else 0.0,
        zones=zones,
        silent_zone_ids=[z.zone_id for z in zones if not z.plays],
    )


def slogan_stats(
    *, session: Session, since: datetime, until: datetime, tz: ZoneInfo, issuer: str | None
) -> SloganStats:
    """Per slogan (every approved one, and any other that was played): plays, confirmed plays, zones
    reached, distinct bikes, first and last play. An issuer sees only its own slogans."""
    query = select(Slogan).order_by(col(Slogan.id))
    if issuer is not None:
        query = query.where(Slogan.issuer == issuer)
    slogans = list(session.exec(query))
    filters = Filters(slogan_ids=frozenset(s.id for s in slogans if s.id is not None))
    reach = _reach(session, since=since, until=until, tz=tz, by="slogan", filters=filters)
    rows = []
    for slogan in slogans:
        assert slogan.id is not None
        r = reach.get(slogan.id)
        if r is None and slogan.status is not SloganStatus.approved:
            continue
        r = r or _Reach()
        rows.append(
            SloganReach(
                slogan_id=slogan.id,
                text=slogan.text,
                issuer=slogan.issuer,
                plays=r.plays,
                confirmed_plays=r.confirmed,
                zones_reached=len(r.zones),
                unique_bikes=r.unique_bikes(),
                first_play_at=r.first,
                last_play_at=r.last,
            )
        )
    return SloganStats(since=since, until=until, slogans=rows)


def issuer_slogan_ids(*, session: Session, issuer: str) -> frozenset[int]:
    return frozenset(session.exec(select(Slogan.id).where(col(Slogan.issuer) == issuer)))  # type: ignore[arg-type]  # a stored id is never None


def align(since: datetime, until: datetime, bucket: Bucket, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Widen [since, until) to whole buckets: hours, or local days."""
    if bucket == "hour":
        start = hour_of(since)
        end = hour_of(until)
        return start, end if end == until else end + timedelta(hours=1)
    first = local_day(since, tz)
    last = local_day(until, tz)
    end = day_start(last, tz)
    return day_start(first, tz), end if end == until else day_start(last + timedelta(days=1), tz)


def bucket_starts(since: datetime, until: datetime, bucket: Bucket, tz: ZoneInfo) -> list[datetime]:
    if bucket == "hour":
        return [since + timedelta(hours=i) for i in range(int((until - since) / timedelta(hours=1)))]
    first, last = local_day(since, tz), local_day(until, tz)
    return [day_start(first + timedelta(days=i), tz) for i in range((last - first).days)]


def timeseries(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    bucket: Bucket,
    tz: ZoneInfo,
    zone_id: str | None = None,
    filters: Filters,
) -> Timeseries:
    """Plays per bucket over whole buckets (since and until are aligned by `align`), zeros included."""
    counts: dict[datetime, list[int]] = {}
    if bucket == "hour":
        table: Any = PlayHourly
        key_col: Any = PlayHourly.hour
    elif zone_id is None and not filters.by_fleet_or_slogan:
        table, key_col = ZoneDaily, ZoneDaily.day
        # zone_daily holds the plays in zones; the plays outside every zone come from play_daily.
        _sum_into(
            counts, session, PlayDaily, PlayDaily.day, since, until, tz, [col(PlayDaily.zone_id) == NO_ZONE]
        )
    else:
        table, key_col = PlayDaily, PlayDaily.day
    conditions = _rollup_filters(table, filters, zone_id)
    _sum_into(counts, session, table, key_col, since, until, tz, conditions)
    points = [
        TimePoint(t=t, plays=counts.get(t, [0, 0])[0], confirmed_plays=counts.get(t, [0, 0])[1])
        for t in bucket_starts(since, until, bucket, tz)
    ]
    return Timeseries(bucket=bucket, since=since, until=until, points=points)


def _sum_into(
    counts: dict[datetime, list[int]],
    session: Session,
    table: Any,
    key_col: Any,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    conditions: list[ColumnElement[bool]],
) -> None:
    if key_col.type.python_type is date:
        low: Any = local_day(since, tz)
        high: Any = local_day(until, tz)
    else:
        low, high = since, until
    query = (
        columns(key_col, func.sum(table.plays), func.sum(table.confirmed_plays))
        .where(key_col >= low, key_col < high, *conditions)
        .group_by(key_col)
    )
    for key, plays, confirmed in session.exec(query):  # type: ignore[call-overload]  # a Core select: sqlmodel types exec for its own selects only
        t = day_start(key, tz) if isinstance(key, date) and not isinstance(key, datetime) else key
        total = counts.setdefault(t, [0, 0])
        total[0] += int(plays)
        total[1] += int(confirmed)


def _rollup_filters(table: Any, filters: Filters, zone_id: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if zone_id is not None:
        conditions.append(table.zone_id == zone_id)
    if filters.fleet_id is not None:
        conditions.append(table.fleet_id == filters.fleet_id)
    if filters.slogan_ids is not None:
        conditions.append(col(table.slogan_id).in_(sorted(filters.slogan_ids)))
    if filters.zone_ids is not None:
        conditions.append(col(table.zone_id).in_(sorted(filters.zone_ids)))
    return conditions


def _reach(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    by: Literal["zone", "slogan"],
    filters: Filters,
) -> dict[Any, _Reach]:
    reach: dict[Any, _Reach] = {}
    first_day = first_full_day(since, tz)
    end_day = local_day(until, tz)  # the day holding `until` is partial (or empty)
    if first_day < end_day:
        _reach_from_days(reach, session, first_day, end_day, by, filters)
        edges = [(since, day_start(first_day, tz)), (day_start(end_day, tz), until)]
    else:
        edges = [(since, until)]
    _reach_from_log(reach, session, [(a, b) for a, b in edges if a < b], by, filters)
    return reach


def _reach_from_days(
    reach: dict[Any, _Reach],
    session: Session,
    first_day: date,
    end_day: date,
    by: Literal["zone", "slogan"],
    filters: Filters,
) -> None:
    """Totals summed by the database; bike (and slogan) bitmaps merged here, one union per key."""
    zone_level = by == "zone" and not filters.by_fleet_or_slogan
    table: Any = ZoneDaily if zone_level else PlayDaily
    conditions = [table.day >= first_day, table.day < end_day, *_rollup_filters(table, filters, None)]
    if by == "zone" and not zone_level:
        conditions.append(table.zone_id != NO_ZONE)
    key = table.zone_id if by == "zone" else table.slogan_id
    totals = (
        columns(
            key,
            func.sum(table.plays),
            func.sum(table.confirmed_plays),
            func.min(table.first_play_at),
            func.max(table.last_play_at),
        )
        .where(*conditions)
        .group_by(key)
    )
    for k, plays, confirmed, first, last in session.exec(totals):  # type: ignore[call-overload]  # a Core select: sqlmodel types exec for its own selects only
        reach.setdefault(k, _Reach()).add(int(plays), int(confirmed), first, last)
    if zone_level:
        for zone_id, bikes, slogans in session.connection().execute(
            columns(table.zone_id, table.bikes, table.slogans).where(*conditions)
        ):
            reach[zone_id].bike_sets.append(bikes)
            reach[zone_id].slogan_sets.append(slogans)
        return
    for k, bikes, slogan_id, zone_id in session.connection().execute(
        columns(key, table.bikes, table.slogan_id, table.zone_id).where(*conditions)
    ):
        r = reach[k]
        r.bike_sets.append(bikes)
        r.slogan_ids.add(slogan_id)
        if zone_id != NO_ZONE:
            r.zones.add(zone_id)


def _reach_from_log(
    reach: dict[Any, _Reach],
    session: Session,
    ranges: Iterable[tuple[datetime, datetime]],
    by: Literal["zone", "slogan"],
    filters: Filters,
) -> None:
    ranges = list(ranges)
    if not ranges:
        return
    occurred = col(LockEventLog.occurred_at)
    conditions: list[Any] = [
        logged_plays(),
        or_(*(and_(occurred >= a, occurred < b) for a, b in ranges)),
    ]
    if by == "zone":
        conditions.append(col(LockEventLog.zone_id).is_not(None))
    if filters.fleet_id is not None:
        conditions.append(LockEventLog.fleet_id == filters.fleet_id)
    if filters.slogan_ids is not None:
        conditions.append(col(LockEventLog.slogan_id).in_(sorted(filters.slogan_ids)))
    if filters.zone_ids is not None:
        conditions.append(col(LockEventLog.zone_id).in_(sorted(filters.zone_ids)))
    query = columns(
        col(LockEventLog.zone_id),
        col(LockEventLog.slogan_id),
        col(LockEventLog.bike_no),
        col(LockEventLog.occurred_at),
        col(LockEventLog.play_status),
    ).where(*conditions)
    bikes: dict[Any, BitMap] = {}
    for zone_id, slogan_id, bike_no, occurred_at, status in session.exec(query):  # type: ignore[call-overload]  # a Core select: sqlmodel types exec for its own selects only
        key = zone_id if by == "zone" else slogan_id
        r = reach.setdefault(key, _Reach())
        r.add(1, 1 if status == PlayStatus.played else 0, occurred_at, occurred_at)
        bikes.setdefault(key, BitMap()).add(bike_no)
        r.slogan_ids.add(slogan_id)
        if zone_id:
            r.zones.add(zone_id)
    for key, bitmap in bikes.items():
        reach[key].bike_sets.append(bitmap)

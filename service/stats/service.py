from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from service.events.models import LockEventLog
from service.stats.models import Coverage, ZoneCoverage
from service.zones.models import Zone


def coverage(*, session: Session, since: datetime, until: datetime) -> Coverage:
    """Every zone with its plays (events answered with a clip) in [since, until); silent zones get zeros."""
    bike = LockEventLog.fleet_id + ":" + LockEventLog.bike_id
    query = (
        select(
            LockEventLog.zone_id,
            func.count(),
            func.count(func.distinct(bike)),
            func.count(func.distinct(LockEventLog.slogan_id)),
            func.max(LockEventLog.occurred_at),
        )
        .where(
            col(LockEventLog.clip_id).is_not(None),
            col(LockEventLog.zone_id).is_not(None),
            LockEventLog.occurred_at >= since,
            LockEventLog.occurred_at < until,
        )
        .group_by(LockEventLog.zone_id)
    )
    played = {row[0]: row[1:] for row in session.exec(query)}
    zones = []
    for zone in session.exec(select(Zone).order_by(Zone.id)):  # type: ignore[arg-type]
        plays, bikes, slogans, last = played.get(zone.id, (0, 0, 0, None))
        zones.append(
            ZoneCoverage(
                zone_id=zone.id,
                name=zone.name,
                kind=zone.kind,
                plays=plays,
                unique_bikes=bikes,
                slogans=slogans,
                last_play_at=last,
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

"""Realistic rides for demos and benchmarks: rush hours, trips between zones, some zones rarely visited.
Every event goes through the same write path as an operator's POST /v1/events."""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlmodel import Session, select

from service.auth.models import ApiKey, Role
from service.clips.models import LockEvent
from service.config import get_settings
from service.demo.progress import Quiet, Steps
from service.errors import Invalid
from service.events.models import EventIn
from service.events.service import record_event
from service.fleets.models import Bike, Fleet
from service.targeting.snapshot import compile_snapshot
from service.timeutil import utcnow
from service.zones.geometry import zone_shape
from service.zones.models import Zone

LOCAL = ZoneInfo("Asia/Shanghai")
KIND_WEIGHT = {"station": 6.0, "commercial": 4.0, "residential": 3.0, "village": 0.5}
# Hours of the local day weighted like shared-bike demand: morning and evening peaks, quiet nights.
HOUR_WEIGHT = [
    0.1,
    0.05,
    0.05,
    0.05,
    0.1,
    0.3,
    1.0,
    3.0,
    4.0,
    2.0,
    1.2,
    1.3,
    1.8,
    1.3,
    1.1,
    1.2,
    1.6,
    3.5,
    4.0,
    2.5,
    1.8,
    1.2,
    0.6,
    0.3,
]
TRIPS_PER_BIKE_DAY = 1.2
PROGRESS_EVERY = 100  # events


@dataclass(frozen=True)
class SimulationReport:
    events: int
    bikes: int
    zones: int
    zones_visited: int
    since: datetime
    until: datetime


@dataclass
class _Place:
    zone: Zone
    shape: BaseGeometry


def _point_in(place: _Place, rng: random.Random) -> tuple[float, float]:
    min_x, min_y, max_x, max_y = place.shape.bounds
    for _ in range(50):
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if place.shape.contains(Point(x, y)):
            return x, y
    point = place.shape.representative_point()
    return point.x, point.y


def _bikes(session: Session, wanted: int) -> list[Bike]:
    fleets = list(session.exec(select(Fleet.id).order_by(Fleet.id)))
    if not fleets:
        raise Invalid("no fleets: register one (POST /v1/fleets) or load the demo (`ebike-voice demo`) first")
    bikes = list(session.exec(select(Bike).order_by(Bike.fleet_id, Bike.bike_id)).all()[:wanted])
    for n in range(len(bikes), wanted):
        bike = Bike(fleet_id=fleets[n % len(fleets)], bike_id=f"SIM{n:06d}")
        session.add(bike)
        bikes.append(bike)
    session.commit()
    return bikes


def simulate(
    *,
    session: Session,
    days: int,
    bikes: int,
    zones: int,
    seed: int = 1,
    until: datetime | None = None,
    progress: Steps | None = None,
) -> SimulationReport:
    if days < 1 or bikes < 1 or zones < 1:
        raise Invalid("days, bikes and zones must be at least 1")
    rng = random.Random(seed)
    until = until or utcnow()
    since = until - timedelta(days=days)
    stored = list(session.exec(select(Zone).order_by(Zone.id)))
    if not stored:
        raise Invalid("no zones: import some (POST /v1/zones/import) or load the demo (`ebike-voice demo`)")
    chosen = sorted(rng.sample(stored, min(zones, len(stored))), key=lambda z: z.id)
    places = [_Place(z, zone_shape(z.geometry, z.radius_m)) for z in chosen]
    # Zipf-like popularity within each kind, so a long tail of zones is rarely or never visited.
    order = list(range(len(places)))
    rng.shuffle(order)
    popularity = [
        KIND_WEIGHT.get(p.zone.kind, 1.0) / (1 + rank) ** 1.1 for rank, p in zip(order, places, strict=True)
    ]
    fleet_bikes = _bikes(session, bikes)
    operator = ApiKey(
        name="simulator", role=Role.operator, key_hash="", fleet_ids=sorted({b.fleet_id for b in fleet_bikes})
    )
    snapshot = compile_snapshot(session, get_settings())
    tz = snapshot.settings.timezone

    rides: list[tuple[datetime, Bike, _Place, _Place, int]] = []
    for bike in fleet_bikes:
        here = rng.choices(places, popularity)[0]
        for day in range(days):
            local_day = (
                (since + timedelta(days=day))
                .astimezone(LOCAL)
                .replace(hour=0, minute=0, second=0, microsecond=0)
            )
            trips = sum(1 for _ in range(4) if rng.random() < TRIPS_PER_BIKE_DAY / 4)
            for _ in range(trips):
                hour = rng.choices(range(24), HOUR_WEIGHT)[0]
                start = local_day + timedelta(hours=hour, minutes=rng.uniform(0, 60))
                there = rng.choices(places, popularity)[0]
                minutes = max(3, int(rng.gauss(12 + 3 * math.log1p(len(places)), 6)))
                if since <= start and start + timedelta(minutes=minutes) < until:
                    rides.append((start, bike, here, there, minutes))
                    here = there
    rides.sort(key=lambda ride: ride[0])
    progress = progress or Quiet()
    progress.step(f"{days} days of rides" if days > 1 else "a day of rides", len(rides) * 2)  # 2 events each

    count = 0
    visited: set[str] = set()
    for start, bike, origin, destination, minutes in rides:
        for kind, place, at in (
            (LockEvent.unlock, origin, start),
            (LockEvent.lock, destination, start + timedelta(minutes=minutes)),
        ):
            lon, lat = _point_in(place, rng)
            event_in = EventIn(
                event_id=f"sim{seed}-{count:08d}",
                bike_id=bike.bike_id,
                fleet_id=bike.fleet_id,
                event=kind,
                lat=lat,
                lon=lon,
                occurred_at=at,
            )
            record_event(
                session=session, snapshot=snapshot, event_in=event_in, api_key=operator, rng=rng, tz=tz
            )
            visited.add(place.zone.id)
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress.advance(PROGRESS_EVERY)
    progress.advance(count % PROGRESS_EVERY)
    return SimulationReport(count, len(fleet_bikes), len(places), len(visited), since, until)

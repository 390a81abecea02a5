"""Compiles the decision snapshot from the database and keeps each worker's copy fresh."""

import math
import threading
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.campaigns.models import PRIORITY_RANK, Campaign, CampaignBase, parse_daypart
from service.clips.models import Clip, ClipStatus, clip_url
from service.config import Settings, get_settings
from service.coords import CoordSystem
from service.fleets.models import Fleet
from service.slogans.models import Slogan, SloganStatus
from service.snapshot_version import committed_here, read_version
from service.targeting.decision import ClipInfo, CompiledCampaign, DecisionSettings, PlayableSlogan, Snapshot
from service.timewindows import QuietHours, TimeWindow, parse_window_text
from service.zones.geometry import ZoneIndex, ZoneInfo, zone_shape
from service.zones.models import Zone


def decision_settings(settings: Settings) -> DecisionSettings:
    quiet = settings.quiet_hours.strip()
    return DecisionSettings(
        timezone=zoneinfo.ZoneInfo(settings.timezone),
        volume=settings.volume,
        quiet=QuietHours(parse_window_text(quiet), settings.quiet_volume) if quiet else None,
    )


# What the snapshot reads of each zone: its columns, not Zone objects, read a few hundred at a time (10,000
# zones as ORM objects took 33 MB, which the process kept after they were freed; as rows, ~12 MB in all).
ZONE_COLUMNS = [col(c) for c in (Zone.id, Zone.name, Zone.kind, Zone.region, Zone.languages, Zone.volume,
                                 Zone.quiet_hours, Zone.geometry, Zone.radius_m)]  # fmt: skip
ZONES_PER_FETCH = 500


def zone_info(zone: Any) -> ZoneInfo:
    """A Zone, or a row of ZONE_COLUMNS."""
    quiet = zone.quiet_hours
    return ZoneInfo(
        zone.id,
        zone.name,
        zone.kind,
        zone.region,
        tuple(zone.languages),
        zone.volume,
        QuietHours(TimeWindow.parse(quiet["start"], quiet["end"]), quiet["volume"]) if quiet else None,
    )


def clip_info(clip: Clip) -> ClipInfo:
    """What the decision and the answers need of a ready clip."""
    assert clip.id is not None and clip.sha256 is not None and clip.duration_ms is not None
    return ClipInfo(
        clip.id,
        clip_url(clip.sha256, clip.format),
        clip.sha256,
        clip.duration_ms,
        clip.format.value,
        clip.profile,
        clip.size_bytes,
    )


def compile_campaign(campaign: CampaignBase, campaign_id: int) -> CompiledCampaign:
    """A stored campaign (or a draft, checked as CampaignCreate checks it) as the decision reads it."""
    return CompiledCampaign(
        id=campaign_id,
        rank=PRIORITY_RANK[campaign.priority],
        weight=campaign.weight,
        events=frozenset(campaign.events),
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        zone_ids=frozenset(campaign.zone_ids),
        zone_kinds=frozenset(campaign.zone_kinds),
        fleet_ids=frozenset(campaign.fleet_ids),
        slogan_ids=tuple(campaign.slogan_ids),
        regions=frozenset(campaign.regions),
        exclude_zone_ids=frozenset(campaign.exclude_zone_ids),
        exclude_zone_kinds=frozenset(campaign.exclude_zone_kinds),
        exclude_regions=frozenset(campaign.exclude_regions),
        exclude_fleet_ids=frozenset(campaign.exclude_fleet_ids),
        dayparts=tuple(parse_daypart(part) for part in campaign.dayparts),
        max_plays_per_bike_per_day=campaign.max_plays_per_bike_per_day,
        name=campaign.name,
    )


def compile_snapshot(session: Session, settings: Settings | None = None) -> Snapshot:
    settings = settings or get_settings()
    version = read_version(session)
    tolerance = settings.point_zone_tolerance_m
    zones = ZoneIndex(
        [
            (zone_info(z), zone_shape(z.geometry, z.radius_m + tolerance if z.radius_m else None))
            for z in session.execute(
                select_columns(*ZONE_COLUMNS).execution_options(yield_per=ZONES_PER_FETCH)
            )
        ]
    )
    clips: dict[int, dict[tuple[str, str], ClipInfo]] = defaultdict(dict)
    for clip in session.exec(select(Clip).where(Clip.status == ClipStatus.ready)):
        if clip.playable:
            clips[clip.slogan_id][(clip.event.value, clip.profile)] = clip_info(clip)
    slogans = {
        s.id: PlayableSlogan(s.id, s.text, s.valid_from, s.valid_until, clips[s.id], s.language)
        for s in session.exec(select(Slogan).where(Slogan.status == SloganStatus.approved))
        if s.id is not None and clips.get(s.id)
    }
    campaigns = sorted(
        (compile_campaign(c, c.id) for c in session.exec(select(Campaign)) if c.id is not None),
        key=lambda c: -c.rank,
    )
    fleets = list(session.exec(select(Fleet)))
    return Snapshot(
        version,
        zones,
        tuple(campaigns),
        slogans,
        {f.id: f.operator for f in fleets},
        {f.id: f.region for f in fleets if f.region},
        decision_settings(settings),
        {f.id: f.profile for f in fleets},
        {f.id: f.coord_system for f in fleets if f.coord_system is not CoordSystem.wgs84},
    )


class SnapshotHolder:
    """One compiled snapshot per worker process. It asks the database for the version at most once per
    `check_interval_s` (so changes made by other workers show within that time) and at once after this
    process commits a change (service.snapshot_version)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._interval = settings.snapshot_check_interval_s
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked_at = -math.inf  # never checked (the monotonic clock may start near 0)
        self._seen_here = -1  # the bumps committed by this process when it last checked

    def _fresh(self) -> bool:
        return self._seen_here == committed_here() and time.monotonic() - self._checked_at < self._interval

    def zone_ids_at(self, points: Sequence[tuple[float, float]]) -> list[str | None]:
        """The zone each (lon, lat) point is in, on the current snapshot."""
        return [zone.id if zone else None for zone in self.get().zones.locate_many(points)]

    def get(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._fresh():
            return snapshot
        # While one request refreshes, the others go on with the current snapshot: they hold pooled
        # connections, and waiting here for the refresher (which needs a connection too) could deadlock.
        if not self._lock.acquire(blocking=snapshot is None):
            assert snapshot is not None
            return snapshot
        try:
            if self._snapshot is not None and self._fresh():
                return self._snapshot
            seen_here = committed_here()
            with Session(self._engine) as session:
                if self._snapshot is None or read_version(session) != self._snapshot.version:
                    self._snapshot = compile_snapshot(session, self._settings)
            self._checked_at = time.monotonic()
            self._seen_here = seen_here
            return self._snapshot
        finally:
            self._lock.release()

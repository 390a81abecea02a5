"""The lock-event decision: a pure function over an in-memory snapshot. No database, no I/O.

The snapshot indexes campaigns by what they target (zone id, zone kind, region, everywhere), per lock event,
so a decision looks only at the few campaigns that can apply where the bike stands, not at all of them."""

import random
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from service.audio.profiles import DEFAULT_PROFILE
from service.coords import DEFAULT_COORD_SYSTEM, CoordSystem
from service.timewindows import Daypart, LocalMoment, QuietHours, TimeWindow, format_hhmm, local_moment
from service.zones.geometry import ZoneIndex, ZoneInfo

RANK_NAMES = {2: "urgent", 1: "normal", 0: "fallback"}


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    """Deployment-wide settings the decision reads (from config.Settings)."""

    timezone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("Asia/Shanghai")
    volume: int = 6
    quiet: QuietHours | None = QuietHours(TimeWindow(22 * 60, 7 * 60), 3)

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.timezone).date()


@dataclass(frozen=True, slots=True)
class ClipInfo:
    id: int
    url: str
    sha256: str
    duration_ms: int
    format: str
    profile: str
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class PlayableSlogan:
    id: int
    text: str
    valid_from: datetime | None
    valid_until: datetime | None
    clips: Mapping[tuple[str, str], ClipInfo]  # (event, profile) -> ready clip
    language: str = "zh-CN"

    def live_during(self, since: datetime, until: datetime) -> bool:
        """Whether the slogan may play at some time in [since, until)."""
        return (self.valid_from is None or self.valid_from < until) and (
            self.valid_until is None or since < self.valid_until
        )

    def live_at(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )


class Reason(StrEnum):
    """Why a campaign does or does not play for an event (see REASON_TEXT)."""

    event = "event"
    not_started = "not_started"
    ended = "ended"
    fleet_excluded = "fleet_excluded"
    fleet_not_targeted = "fleet_not_targeted"
    zone_excluded = "zone_excluded"
    kind_excluded = "kind_excluded"
    region_excluded = "region_excluded"
    not_targeted_here = "not_targeted_here"
    outside_daypart = "outside_daypart"
    no_playable_slogan = "no_playable_slogan"
    capped = "capped"
    outranked = "outranked"
    language = "language"
    repeat = "repeat"
    eligible = "eligible"


REASON_TEXT = {
    Reason.event: "活动不投放此类事件（开锁/还车）",
    Reason.not_started: "活动尚未开始",
    Reason.ended: "活动已结束",
    Reason.fleet_excluded: "该车队被排除",
    Reason.fleet_not_targeted: "活动未投放到该车队",
    Reason.zone_excluded: "该区域被排除",
    Reason.kind_excluded: "该区域类型被排除",
    Reason.region_excluded: "该辖区被排除",
    Reason.not_targeted_here: "车辆所在位置不在活动投放范围内",
    Reason.outside_daypart: "当前不在活动的投放时段内",
    Reason.no_playable_slogan: "没有可播放的标语（未审核、语音未就绪或不在有效期内）",
    Reason.capped: "该车今日已达到这些标语的播放上限",
    Reason.outranked: "此处有更高优先级的活动在播放",
    Reason.language: "该区域偏好其他语言的标语",
    Reason.repeat: "该车上一次刚播放过此标语",
    Reason.eligible: "符合条件，按权重参与抽选",
}


@dataclass(frozen=True, slots=True)
class CompiledCampaign:
    id: int
    rank: int  # urgent 2 > normal 1 > fallback 0
    weight: float
    events: frozenset[str]
    starts_at: datetime | None
    ends_at: datetime | None
    zone_ids: frozenset[str]
    zone_kinds: frozenset[str]
    fleet_ids: frozenset[str]
    slogan_ids: tuple[int, ...]
    regions: frozenset[str] = frozenset()
    exclude_zone_ids: frozenset[str] = frozenset()
    exclude_zone_kinds: frozenset[str] = frozenset()
    exclude_regions: frozenset[str] = frozenset()
    exclude_fleet_ids: frozenset[str] = frozenset()
    dayparts: tuple[Daypart, ...] = ()  # empty: all day, every day
    max_plays_per_bike_per_day: int | None = None
    name: str = ""
    everywhere: bool = field(init=False)  # no place targets: everywhere, outside every zone too

    def __post_init__(self) -> None:
        object.__setattr__(self, "everywhere", not (self.zone_ids or self.zone_kinds or self.regions))

    def rejection(
        self,
        event: str,
        fleet_id: str,
        zone: ZoneInfo | None,
        region: str | None,
        at: datetime,
        moment: LocalMoment,
    ) -> Reason | None:
        """Why this campaign does not apply here and now, or None if it does. (Positional: it runs for
        every candidate campaign of every decision.)"""
        if event not in self.events:
            return Reason.event
        if self.starts_at is not None and at < self.starts_at:
            return Reason.not_started
        if self.ends_at is not None and at >= self.ends_at:
            return Reason.ended
        reason = self.place_rejection(fleet_id, zone, region)
        if reason is not None:
            return reason
        if self.dayparts and not any(part.contains(moment) for part in self.dayparts):
            return Reason.outside_daypart
        return None

    def place_rejection(self, fleet_id: str, zone: ZoneInfo | None, region: str | None) -> Reason | None:
        """Why this campaign does not reach this fleet at this place, whatever the time, or None."""
        if fleet_id in self.exclude_fleet_ids:
            return Reason.fleet_excluded
        if self.fleet_ids and fleet_id not in self.fleet_ids:
            return Reason.fleet_not_targeted
        if zone is not None:
            if zone.id in self.exclude_zone_ids:
                return Reason.zone_excluded
            if zone.kind in self.exclude_zone_kinds:
                return Reason.kind_excluded
        if region is not None and region in self.exclude_regions:
            return Reason.region_excluded
        if not (
            self.everywhere
            or (zone is not None and (zone.id in self.zone_ids or zone.kind in self.zone_kinds))
            or (region is not None and region in self.regions)
        ):
            return Reason.not_targeted_here
        return None

    def runs_during(self, since: datetime, until: datetime) -> bool:
        """Whether the campaign is in force at some time in [since, until)."""
        return (self.starts_at is None or self.starts_at < until) and (
            self.ends_at is None or since < self.ends_at
        )

    def capped(self, slogan_id: int, plays_today: Mapping[int, int]) -> bool:
        cap = self.max_plays_per_bike_per_day
        return cap is not None and plays_today.get(slogan_id, 0) >= cap


@dataclass(frozen=True, slots=True)
class Candidate:
    campaign: CompiledCampaign
    slogan: PlayableSlogan
    weight: float


def _shares(campaign: CompiledCampaign, slogans: Sequence[PlayableSlogan]) -> list[Candidate]:
    """A campaign's weight split evenly over the slogans it can play."""
    return [Candidate(campaign, s, campaign.weight / len(slogans)) for s in slogans]


@dataclass(frozen=True, slots=True)
class Entry:
    """A campaign with its slogans that have a clip for one lock event, resolved once per snapshot."""

    campaign: CompiledCampaign
    slogans: tuple[PlayableSlogan, ...]
    # Clip format -> the candidates when every slogan with that clip can play: no slogan has a validity
    # window and the campaign has no daily cap, so no per-query work is left but the rejection test.
    ready: Mapping[str, tuple[Candidate, ...]]

    @classmethod
    def build(cls, campaign: CompiledCampaign, slogans: tuple[PlayableSlogan, ...], event: str) -> "Entry":
        ready: dict[str, tuple[Candidate, ...]] = {}
        timeless = all(s.valid_from is None and s.valid_until is None for s in slogans)
        if timeless and campaign.max_plays_per_bike_per_day is None:
            for profile in {p for s in slogans for e, p in s.clips if e == event}:
                ready[profile] = tuple(_shares(campaign, [s for s in slogans if (event, profile) in s.clips]))
        return cls(campaign, slogans, ready)

    def playable(self, query: "EventQuery") -> Sequence[Candidate]:
        ready = self.ready.get(query.profile)
        if ready is not None:
            return ready
        key = (query.event, query.profile)
        campaign, at, plays = self.campaign, query.at, query.plays_today
        live = [s for s in self.slogans if key in s.clips and s.live_at(at)]
        return _shares(campaign, [s for s in live if not campaign.capped(s.id, plays)])


@dataclass(frozen=True, slots=True)
class CampaignIndex:
    """One lock event's campaigns by what they target; every list highest rank first."""

    by_zone: Mapping[str, tuple[Entry, ...]]
    by_kind: Mapping[str, tuple[Entry, ...]]
    by_region: Mapping[str, tuple[Entry, ...]]
    everywhere: tuple[Entry, ...]

    @classmethod
    def build(cls, entries: Iterable[Entry]) -> "CampaignIndex":
        by_zone: dict[str, list[Entry]] = defaultdict(list)
        by_kind: dict[str, list[Entry]] = defaultdict(list)
        by_region: dict[str, list[Entry]] = defaultdict(list)
        everywhere: list[Entry] = []
        for entry in entries:
            campaign = entry.campaign
            if campaign.everywhere:
                everywhere.append(entry)
            for target, lists in (
                (campaign.zone_ids, by_zone),
                (campaign.zone_kinds, by_kind),
                (campaign.regions, by_region),
            ):
                for key in target:
                    lists[key].append(entry)
        return cls(
            {k: tuple(v) for k, v in by_zone.items()},
            {k: tuple(v) for k, v in by_kind.items()},
            {k: tuple(v) for k, v in by_region.items()},
            tuple(everywhere),
        )

    def lists_for(self, zone: ZoneInfo | None, region: str | None) -> list[tuple[Entry, ...]]:
        lists = [self.everywhere]
        if zone is not None:
            lists.append(self.by_zone.get(zone.id, ()))
            lists.append(self.by_kind.get(zone.kind, ()))
        if region is not None:
            lists.append(self.by_region.get(region, ()))
        return lists


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    zones: ZoneIndex
    campaigns: tuple[CompiledCampaign, ...]  # highest rank first
    slogans: Mapping[int, PlayableSlogan]  # approved slogans with at least one ready clip
    fleet_operators: Mapping[str, str]  # fleet id -> operator
    fleet_regions: Mapping[str, str] = field(default_factory=dict)  # fleet id -> its region, if any
    settings: DecisionSettings = DecisionSettings()
    fleet_profiles: Mapping[str, str] = field(default_factory=dict)  # fleet id -> device profile
    # fleet id -> the coordinate system its positions come in, where not WGS-84
    fleet_coord_systems: Mapping[str, CoordSystem] = field(default_factory=dict)
    entries: Mapping[str, tuple[Entry, ...]] = field(init=False)  # lock event -> every campaign for it
    index: Mapping[str, CampaignIndex] = field(init=False)  # lock event -> its campaigns by target

    def query(
        self,
        fleet_id: str,
        event: str,
        zone: ZoneInfo | None,
        at: datetime,
        last_slogan_id: int | None,
        plays_today: Mapping[int, int],
    ) -> "EventQuery":
        """An event put to the decision, the one way deciding (events) and explaining do it: in the
        fleet's device profile."""
        return EventQuery(fleet_id, event, zone, at, last_slogan_id, self.profile_of(fleet_id), plays_today)

    def region_at(self, fleet_id: str, zone: ZoneInfo | None) -> str | None:
        """The region a fleet's bike is in: its zone's, or (outside every zone, or in a zone without a
        region) the fleet's."""
        return (zone.region if zone else None) or self.fleet_regions.get(fleet_id)

    def profile_of(self, fleet_id: str) -> str:
        """The device profile the fleet's locks play: only that rendition will do."""
        return self.fleet_profiles.get(fleet_id, DEFAULT_PROFILE)

    def coord_system_of(self, fleet_id: str) -> CoordSystem:
        """The coordinate system of the fleet's positions when an event names none."""
        return self.fleet_coord_systems.get(fleet_id, DEFAULT_COORD_SYSTEM)

    def __post_init__(self) -> None:
        entries: dict[str, list[Entry]] = defaultdict(list)
        for campaign in sorted(self.campaigns, key=lambda c: -c.rank):
            for event in campaign.events:
                slogans = tuple(
                    slogan
                    for slogan_id in campaign.slogan_ids
                    if (slogan := self.slogans.get(slogan_id)) is not None
                    and any(clip_event == event for clip_event, _ in slogan.clips)
                )
                entries[event].append(Entry.build(campaign, slogans, event))
        object.__setattr__(self, "entries", {e: tuple(v) for e, v in entries.items()})
        # The index leaves out campaigns with nothing to play for the event: they can never be chosen.
        index = {e: CampaignIndex.build(entry for entry in v if entry.slogans) for e, v in entries.items()}
        object.__setattr__(self, "index", index)


@dataclass(frozen=True, slots=True)
class EventQuery:
    fleet_id: str
    event: str
    zone: ZoneInfo | None
    at: datetime
    last_slogan_id: int | None
    # The fleet's device profile: only that rendition will do (a lock that plays 8 kHz WAV cannot play MP3).
    profile: str = DEFAULT_PROFILE
    # slogan id -> plays to this bike on the local day
    plays_today: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    zone_id: str | None
    campaign_id: int | None
    slogan_id: int | None
    text: str | None
    clip: ClipInfo | None
    volume: int | None = None


@dataclass(frozen=True, slots=True)
class _Where:
    """What a query resolves to once: the region it counts in and the local time."""

    region: str | None
    moment: LocalMoment


def _where(snapshot: Snapshot, query: EventQuery) -> _Where:
    return _Where(
        snapshot.region_at(query.fleet_id, query.zone), local_moment(query.at, snapshot.settings.timezone)
    )


def _rejection(campaign: CompiledCampaign, query: EventQuery, where: _Where) -> Reason | None:
    return campaign.rejection(query.event, query.fleet_id, query.zone, where.region, query.at, where.moment)


def _pool(lists: Iterable[Sequence[Entry]], query: EventQuery, where: _Where) -> list[Candidate]:
    """Every playable (campaign, slogan) of the highest priority that has one, each slogan weighted by its
    campaign's weight split evenly over the campaign's playable slogans."""
    best = -1
    pool: list[Candidate] = []
    seen: set[int] = set()
    event, fleet_id, zone, at = query.event, query.fleet_id, query.zone, query.at
    region, moment = where.region, where.moment
    for entries in lists:
        for entry in entries:
            campaign = entry.campaign
            if campaign.rank < best:
                break
            if campaign.id in seen:
                continue
            seen.add(campaign.id)
            if campaign.rejection(event, fleet_id, zone, region, at, moment) is not None:
                continue
            playable = entry.playable(query)
            if not playable:
                continue
            if campaign.rank > best:
                best, pool = campaign.rank, []
            pool.extend(playable)
    return pool


def _prefer_language(pool: list[Candidate], zone: ZoneInfo | None) -> list[Candidate]:
    """A zone's languages narrow the choice when any slogan in them can play; otherwise all can."""
    if zone is None or not zone.languages:
        return pool
    preferred = [c for c in pool if c.slogan.language in zone.languages]
    return preferred or pool


def _avoid_repeat(pool: list[Candidate], last_slogan_id: int | None) -> list[Candidate]:
    fresh = [c for c in pool if c.slogan.id != last_slogan_id]
    return fresh or pool


def volume_at(settings: DecisionSettings, zone: ZoneInfo | None, moment: LocalMoment) -> int:
    quiet = (zone.quiet if zone else None) or settings.quiet
    if quiet is not None and quiet.window.contains(moment.minute):
        return quiet.volume
    return zone.volume if zone is not None and zone.volume is not None else settings.volume


def _decide(
    snapshot: Snapshot, query: EventQuery, where: _Where, pool: list[Candidate], rng: random.Random
) -> Decision:
    zone_id = query.zone.id if query.zone else None
    volume = volume_at(snapshot.settings, query.zone, where.moment)
    if not pool:
        return Decision(zone_id, None, None, None, None, volume)
    chosen = pool[0] if len(pool) == 1 else rng.choices(pool, [c.weight for c in pool])[0]
    slogan = chosen.slogan
    clip = slogan.clips[(query.event, query.profile)]
    return Decision(zone_id, chosen.campaign.id, slogan.id, slogan.text, clip, volume)


def _candidates(snapshot: Snapshot, query: EventQuery, where: _Where, scan: bool) -> list[Candidate]:
    if scan:
        lists: list[Sequence[Entry]] = [snapshot.entries.get(query.event, ())]
    else:
        index = snapshot.index.get(query.event)
        lists = list(index.lists_for(query.zone, where.region)) if index else []
    pool = _prefer_language(_pool(lists, query, where), query.zone)
    return _avoid_repeat(pool, query.last_slogan_id)


def candidates(snapshot: Snapshot, query: EventQuery, *, scan: bool = False) -> list[Candidate]:
    """What the choice is drawn from, by weight. `scan` looks at every campaign instead of the index: what
    the index must agree with, and the benchmark's baseline."""
    return _candidates(snapshot, query, _where(snapshot, query), scan)


def choose_clip(snapshot: Snapshot, query: EventQuery, rng: random.Random, *, scan: bool = False) -> Decision:
    """Pick the slogan to play: the highest priority that has something playable here wins (a slogan at
    its daily cap for this bike is not playable); within it, campaigns share by weight (split evenly over
    their slogans), slogans in the zone's preferred languages first, and a bike never hears the same slogan
    twice in a row while another is eligible."""
    where = _where(snapshot, query)
    return _decide(snapshot, query, where, _candidates(snapshot, query, where, scan), rng)


@dataclass(frozen=True, slots=True)
class Verdict:
    campaign_id: int
    priority: str
    reason: Reason
    probability: float  # the chance this campaign plays now (0 unless eligible)
    slogans: Mapping[int, float]  # slogan id -> its chance, for eligible campaigns


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: Decision
    region: str | None
    local_time: str
    volume: int
    verdicts: tuple[Verdict, ...]


def explain(snapshot: Snapshot, query: EventQuery, rng: random.Random) -> Explanation:
    """For every campaign, why it does or does not play for this query, and the answer itself."""
    where = _where(snapshot, query)
    every = snapshot.entries.get(query.event, ())
    raw = _pool([every], query, where)  # looking at every campaign, not the index
    after_language = _prefer_language(raw, query.zone)
    final = _avoid_repeat(after_language, query.last_slogan_id)
    total = sum(c.weight for c in final)
    chances: dict[int, dict[int, float]] = defaultdict(dict)
    for c in final:
        chances[c.campaign.id][c.slogan.id] = chances[c.campaign.id].get(c.slogan.id, 0) + c.weight / total
    in_raw = {c.campaign.id for c in raw}
    in_language = {c.campaign.id for c in after_language}
    best = raw[0].campaign.rank if raw else -1
    slogans_of = {entry.campaign.id: entry.slogans for entry in every}
    key = (query.event, query.profile)
    verdicts = []
    for campaign in snapshot.campaigns:
        reason = _rejection(campaign, query, where)
        if reason is None:
            live = [s for s in slogans_of.get(campaign.id, ()) if key in s.clips and s.live_at(query.at)]
            if not live:
                reason = Reason.no_playable_slogan
            elif all(campaign.capped(s.id, query.plays_today) for s in live):
                reason = Reason.capped
            elif campaign.rank < best:
                reason = Reason.outranked
            elif campaign.id in chances:
                reason = Reason.eligible
            else:
                assert campaign.id in in_raw
                reason = Reason.repeat if campaign.id in in_language else Reason.language
        slogans = chances.get(campaign.id, {})
        verdicts.append(
            Verdict(campaign.id, RANK_NAMES[campaign.rank], reason, sum(slogans.values()), slogans)
        )
    decision = _decide(snapshot, query, where, final, rng)
    moment = where.moment
    local_time = f"{moment.day.isoformat()} {format_hhmm(moment.minute)}"
    return Explanation(decision, where.region, local_time, decision.volume or 0, tuple(verdicts))

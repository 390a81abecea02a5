"""The lock-event decision: a pure function over an in-memory snapshot. No database, no I/O."""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from service.zones.geometry import ZoneIndex, ZoneInfo


@dataclass(frozen=True, slots=True)
class ClipInfo:
    id: int
    url: str
    sha256: str
    duration_ms: int
    format: str
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class PlayableSlogan:
    id: int
    text: str
    valid_from: datetime | None
    valid_until: datetime | None
    clips: Mapping[tuple[str, str], ClipInfo]  # (event, format) -> ready clip

    def live_at(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )


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

    def applies(self, *, event: str, fleet_id: str, zone: ZoneInfo | None, at: datetime) -> bool:
        if event not in self.events:
            return False
        if (self.starts_at is not None and at < self.starts_at) or (
            self.ends_at is not None and at >= self.ends_at
        ):
            return False
        if self.fleet_ids and fleet_id not in self.fleet_ids:
            return False
        if not self.zone_ids and not self.zone_kinds:
            return True  # everywhere, outside every zone too
        return zone is not None and (zone.id in self.zone_ids or zone.kind in self.zone_kinds)


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    zones: ZoneIndex
    campaigns: tuple[CompiledCampaign, ...]  # highest rank first
    slogans: Mapping[int, PlayableSlogan]  # approved slogans with at least one ready clip
    fleet_operators: Mapping[str, str]  # fleet id -> operator


@dataclass(frozen=True, slots=True)
class EventQuery:
    fleet_id: str
    event: str
    zone: ZoneInfo | None
    at: datetime
    last_slogan_id: int | None
    clip_format: str = "mp3"


@dataclass(frozen=True, slots=True)
class Decision:
    zone_id: str | None
    campaign_id: int | None
    slogan_id: int | None
    text: str | None
    clip: ClipInfo | None


def choose_clip(snapshot: Snapshot, query: EventQuery, rng: random.Random) -> Decision:
    """Pick the slogan to play: the highest priority that has something playable here wins; within it,
    campaigns share by weight (split evenly over their slogans); a bike never hears the same slogan twice
    in a row while another is eligible."""
    zone_id = query.zone.id if query.zone else None
    key = (query.event, query.clip_format)
    candidates: list[tuple[CompiledCampaign, PlayableSlogan]] = []
    weights: list[float] = []
    winning_rank: int | None = None
    for campaign in snapshot.campaigns:
        if winning_rank is not None and campaign.rank < winning_rank:
            break
        if not campaign.applies(event=query.event, fleet_id=query.fleet_id, zone=query.zone, at=query.at):
            continue
        playable = [
            slogan
            for slogan_id in campaign.slogan_ids
            if (slogan := snapshot.slogans.get(slogan_id)) is not None
            and key in slogan.clips
            and slogan.live_at(query.at)
        ]
        if not playable:
            continue
        winning_rank = campaign.rank
        share = campaign.weight / len(playable)
        for slogan in playable:
            candidates.append((campaign, slogan))
            weights.append(share)
    if not candidates:
        return Decision(zone_id=zone_id, campaign_id=None, slogan_id=None, text=None, clip=None)
    if query.last_slogan_id is not None and any(s.id != query.last_slogan_id for _, s in candidates):
        kept = [i for i, (_, s) in enumerate(candidates) if s.id != query.last_slogan_id]
        candidates = [candidates[i] for i in kept]
        weights = [weights[i] for i in kept]
    campaign, slogan = candidates[0] if len(candidates) == 1 else rng.choices(candidates, weights)[0]
    return Decision(
        zone_id=zone_id,
        campaign_id=campaign.id,
        slogan_id=slogan.id,
        text=slogan.text,
        clip=slogan.clips[key],
    )

"""What an event would get, and why, without logging anything or touching the bike's state."""

import dataclasses
import random
from datetime import datetime

from sqlmodel import Session

from service.clips.models import ClipRef
from service.coords import to_wgs84
from service.errors import Invalid
from service.targeting.bike_memory import peek_bike_state
from service.targeting.decision import REASON_TEXT, CompiledCampaign, Reason, Snapshot, explain
from service.targeting.models import (
    DRAFT_ID,
    CampaignVerdict,
    DraftExplainQuery,
    ExplainedAnswer,
    ExplainedZone,
    ExplainQuery,
    Explanation,
    SloganChance,
)
from service.targeting.snapshot import compile_campaign
from service.timeutil import utcnow
from service.timewindows import local_moment


def explain_decision(
    *, session: Session, snapshot: Snapshot, query: ExplainQuery, rng: random.Random
) -> Explanation:
    if query.fleet_id not in snapshot.fleet_operators:
        raise Invalid(f"unknown fleet {query.fleet_id!r}")
    at = query.at or utcnow()
    state = peek_bike_state(
        session=session, fleet_id=query.fleet_id, bike_id=query.bike_id, day=snapshot.settings.local_day(at)
    )
    lon, lat = to_wgs84(query.lon, query.lat, query.coord_system or snapshot.coord_system_of(query.fleet_id))
    zone = snapshot.zones.locate(lon, lat)
    result = explain(
        snapshot,
        snapshot.query(query.fleet_id, query.event.value, zone, at, state.last_slogan_id, state.plays_today),
        rng,
    )
    decision = result.decision
    names = {c.id: c.name for c in snapshot.campaigns}
    return Explanation(
        answer=ExplainedAnswer(
            zone_id=decision.zone_id,
            campaign_id=decision.campaign_id,
            slogan_id=decision.slogan_id,
            text=decision.text,
            clip=ClipRef.model_validate(decision.clip, from_attributes=True) if decision.clip else None,
            volume=result.volume,
        ),
        zone=ExplainedZone(
            id=zone.id, name=zone.name, kind=zone.kind, region=zone.region, languages=list(zone.languages)
        )
        if zone
        else None,
        region=result.region,
        local_time=result.local_time,
        timezone=snapshot.settings.timezone.key,
        last_slogan_id=state.last_slogan_id,
        plays_today=dict(state.plays_today),
        campaigns=[
            CampaignVerdict(
                campaign_id=v.campaign_id,
                name=names[v.campaign_id],
                priority=v.priority,
                plays=v.reason is Reason.eligible,
                reason=v.reason,
                reason_text=REASON_TEXT[v.reason],
                probability=round(v.probability, 6),
                slogans=[SloganChance(slogan_id=s, probability=round(p, 6)) for s, p in v.slogans.items()],
            )
            for v in result.verdicts
        ],
    )


def with_draft(*, snapshot: Snapshot, query: DraftExplainQuery) -> Snapshot:
    """The snapshot as it would be with the query's draft saved: added as a new campaign (DRAFT_ID), or in
    place of the campaign it edits. The decision then reads it exactly as it reads the saved ones."""
    draft = compile_campaign(query.campaign, query.campaign_id or DRAFT_ID)
    others = [c for c in snapshot.campaigns if c.id != draft.id]
    campaigns = sorted([*others, draft], key=lambda c: -c.rank)  # highest rank first, as compiled
    return dataclasses.replace(snapshot, campaigns=tuple(campaigns))


# Why a campaign does not reach a place at all, or is not in force: what the reach warnings look at.
_NOT_HERE = {Reason.not_targeted_here, Reason.zone_excluded, Reason.kind_excluded, Reason.region_excluded}
_NOT_IN_FORCE = {Reason.not_started, Reason.ended}
_NOT_THIS_FLEET = {Reason.fleet_excluded, Reason.fleet_not_targeted}


def campaigns_reaching(*, snapshot: Snapshot, at: datetime) -> dict[str, list[int]]:
    """Zone id -> the campaigns in force at `at` that reach it for some fleet and lock event (at some
    hour: dayparts are left aside), by the decision's own rules."""
    moment = local_moment(at, snapshot.settings.timezone)
    fleets = list(snapshot.fleet_operators) or [""]
    reaching: dict[str, list[int]] = {}
    for zone in snapshot.zones.by_id.values():
        reaching[zone.id] = [
            campaign.id
            for campaign in snapshot.campaigns
            if any(
                campaign.rejection(
                    event, fleet, zone, zone.region or snapshot.fleet_regions.get(fleet), at, moment
                )
                not in _NOT_HERE | _NOT_IN_FORCE | _NOT_THIS_FLEET
                for event in campaign.events
                for fleet in fleets
            )
        ]
    return reaching


def campaigns_in_force(*, snapshot: Snapshot, at: datetime) -> list[CompiledCampaign]:
    return [
        c
        for c in snapshot.campaigns
        if (c.starts_at is None or c.starts_at <= at) and (c.ends_at is None or at < c.ends_at)
    ]

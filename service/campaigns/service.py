from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from service.campaigns.models import Campaign, CampaignBase, CampaignCreate, CampaignUpdate
from service.errors import Conflict, Invalid, NotFound
from service.fleets.models import Fleet
from service.slogans.models import Slogan, SloganStatus
from service.snapshot_version import bump_version
from service.timeutil import utcnow
from service.zones.models import Zone


def _missing(
    session: Session, model: type[Slogan | Zone | Fleet], ids: Sequence[int | str]
) -> list[int | str]:
    if not ids:
        return []
    found = set(session.exec(select(model.id).where(col(model.id).in_(ids))))
    return [i for i in ids if i not in found]


def check_campaign(*, session: Session, campaign_in: CampaignCreate, new_end: bool = True) -> None:
    """The rules a campaign must meet against what is stored, on creation and after every edit."""
    for label, model, ids in (
        ("slogans", Slogan, campaign_in.slogan_ids),
        ("zones", Zone, campaign_in.zone_ids + campaign_in.exclude_zone_ids),
        ("fleets", Fleet, campaign_in.fleet_ids + campaign_in.exclude_fleet_ids),
    ):
        if missing := _missing(session, model, ids):
            raise Invalid(f"unknown {label}: {', '.join(map(str, missing))}")
    unplayable = session.exec(
        select(Slogan.id).where(
            col(Slogan.id).in_(campaign_in.slogan_ids),
            col(Slogan.status).in_([SloganStatus.rejected, SloganStatus.withdrawn]),
        )
    ).all()
    if unplayable:
        raise Invalid(f"rejected or withdrawn slogans cannot be scheduled: {', '.join(map(str, unplayable))}")
    # Targeting a kind or region no zone has would silently play nowhere: most likely a typing error.
    # (Excluding one is allowed: it may be imported later.)
    for label, column, wanted in (
        ("zone kinds", Zone.kind, campaign_in.zone_kinds),
        ("regions", Zone.region, campaign_in.regions),
    ):
        query = select(column).where(col(column).in_(wanted)).distinct()
        known = set(session.exec(query)) if wanted else set()
        if unknown := [w for w in wanted if w not in known]:
            raise Invalid(f"no zone has these {label}: {', '.join(unknown)}")
    for label, targets, excluded in (
        ("zone_ids", campaign_in.zone_ids, campaign_in.exclude_zone_ids),
        ("zone_kinds", campaign_in.zone_kinds, campaign_in.exclude_zone_kinds),
        ("regions", campaign_in.regions, campaign_in.exclude_regions),
        ("fleet_ids", campaign_in.fleet_ids, campaign_in.exclude_fleet_ids),
    ):
        if both := set(targets) & set(excluded):
            raise Invalid(f"{label} both targeted and excluded: {', '.join(sorted(both))}")
    if new_end and campaign_in.ends_at is not None and campaign_in.ends_at <= utcnow():
        raise Invalid("ends_at is in the past: this campaign would never play")


def create_campaign(*, session: Session, campaign_in: CampaignCreate) -> Campaign:
    check_campaign(session=session, campaign_in=campaign_in)
    campaign = Campaign.model_validate(campaign_in)
    session.add(campaign)
    bump_version(session)
    session.commit()
    session.refresh(campaign)
    return campaign


def campaigns_naming(
    *, session: Session, zone_id: str | None = None, fleet_id: str | None = None
) -> list[Campaign]:
    """The campaigns that target or exclude this zone (or fleet) by its id."""
    return [
        c
        for c in list_campaigns(session=session)
        if (zone_id is not None and zone_id in c.zone_ids + c.exclude_zone_ids)
        or (fleet_id is not None and fleet_id in c.fleet_ids + c.exclude_fleet_ids)
    ]


def forget_target(
    *, session: Session, campaigns: list[Campaign], zone_id: str | None = None, fleet_id: str | None = None
) -> list[int]:
    """Take a zone (or fleet) about to be deleted out of these campaigns, in the caller's transaction.
    A campaign that targeted places (or fleets) only through it would be left targeting everywhere (or
    every fleet): it is ended now instead. Returns the ids of the campaigns ended."""
    ended = []
    now = utcnow()
    for campaign in campaigns:
        places = bool(campaign.zone_ids or campaign.zone_kinds or campaign.regions)
        fleets = bool(campaign.fleet_ids)
        campaign.zone_ids = [z for z in campaign.zone_ids if z != zone_id]
        campaign.exclude_zone_ids = [z for z in campaign.exclude_zone_ids if z != zone_id]
        campaign.fleet_ids = [f for f in campaign.fleet_ids if f != fleet_id]
        campaign.exclude_fleet_ids = [f for f in campaign.exclude_fleet_ids if f != fleet_id]
        widened = (places and not (campaign.zone_ids or campaign.zone_kinds or campaign.regions)) or (
            fleets and not campaign.fleet_ids
        )
        if widened and (campaign.ends_at is None or campaign.ends_at > now):
            campaign.ends_at = now
            assert campaign.id is not None
            ended.append(campaign.id)
        session.add(campaign)
    return ended


def list_campaigns(*, session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(col(Campaign.id))))


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign


def update_campaign(*, session: Session, campaign: Campaign, campaign_in: CampaignUpdate) -> Campaign:
    """Apply the fields sent, then check the whole campaign as on creation. The audit log keeps each
    version (before and after); lock events follow the change as they follow any other."""
    changes = campaign_in.model_dump(exclude_unset=True)
    current = CampaignBase.model_validate(campaign).model_dump()
    try:
        merged = CampaignCreate.model_validate({**current, **changes})
    except ValidationError as exc:
        raise Invalid("; ".join(_error_text(e) for e in exc.errors())) from None
    # An ended campaign may be corrected without being revived; a new end must not be in the past.
    check_campaign(session=session, campaign_in=merged, new_end="ends_at" in changes)
    campaign.sqlmodel_update(merged.model_dump(include=set(changes)))
    session.add(campaign)
    bump_version(session)
    session.commit()
    session.refresh(campaign)
    return campaign


def _error_text(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def delete_campaign(*, session: Session, campaign: Campaign) -> None:
    """Gone from the decisions at once; its plays stay in the stats (they keep its id) and the audit log
    keeps what it was."""
    session.delete(campaign)
    bump_version(session)
    session.commit()


def end_campaign(*, session: Session, campaign: Campaign) -> Campaign:
    """Stop a campaign now (an urgent one sent by mistake, a scam wave that has passed); its plays stay."""
    now = utcnow()
    if campaign.ends_at is not None and campaign.ends_at <= now:
        raise Conflict(f"campaign {campaign.id} has already ended")
    campaign.ends_at = now
    session.add(campaign)
    bump_version(session)
    session.commit()
    session.refresh(campaign)
    return campaign

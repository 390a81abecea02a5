from sqlmodel import Session, col, select

from service.campaigns.models import Campaign, CampaignCreate
from service.errors import Conflict, Invalid, NotFound
from service.events.snapshot import bump_version
from service.fleets.models import Fleet
from service.slogans.models import Slogan, SloganStatus
from service.timeutil import utcnow
from service.zones.models import Zone


def _missing(session: Session, model: type, ids: list) -> list:  # type: ignore[type-arg]
    if not ids:
        return []
    found = set(session.exec(select(model.id).where(model.id.in_(ids))))  # type: ignore[attr-defined]
    return [i for i in ids if i not in found]


def create_campaign(*, session: Session, campaign_in: CampaignCreate) -> Campaign:
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
    if campaign_in.ends_at is not None and campaign_in.ends_at <= utcnow():
        raise Invalid("ends_at is in the past: this campaign would never play")
    campaign = Campaign.model_validate(campaign_in)
    session.add(campaign)
    bump_version(session)
    session.commit()
    session.refresh(campaign)
    return campaign


def list_campaigns(*, session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(Campaign.id)))  # type: ignore[arg-type]


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign


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

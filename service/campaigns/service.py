from sqlmodel import Session, select

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
    rejected = session.exec(
        select(Slogan.id).where(Slogan.id.in_(campaign_in.slogan_ids), Slogan.status == SloganStatus.rejected)  # type: ignore[union-attr]
    ).all()
    if rejected:
        raise Invalid(f"rejected slogans cannot be scheduled: {', '.join(map(str, rejected))}")
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

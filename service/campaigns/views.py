from fastapi import APIRouter

from service.auth.deps import AdminKey
from service.campaigns import service
from service.campaigns.models import CampaignCreate, CampaignPublic, CampaignUpdate
from service.deps import IntId, SessionDep

router = APIRouter()


@router.post("", status_code=201, response_model=CampaignPublic)
def create_campaign(campaign_in: CampaignCreate, session: SessionDep, _admin: AdminKey) -> CampaignPublic:
    campaign = service.create_campaign(session=session, campaign_in=campaign_in)
    return CampaignPublic.model_validate(campaign)


@router.get("", response_model=list[CampaignPublic])
def list_campaigns(session: SessionDep, _admin: AdminKey) -> list[CampaignPublic]:
    return [CampaignPublic.model_validate(c) for c in service.list_campaigns(session=session)]


@router.get("/{campaign_id}", response_model=CampaignPublic)
def get_campaign(campaign_id: IntId, session: SessionDep, _admin: AdminKey) -> CampaignPublic:
    return CampaignPublic.model_validate(service.get_campaign(session=session, campaign_id=campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignPublic)
def update_campaign(
    campaign_id: IntId, campaign_in: CampaignUpdate, session: SessionDep, _admin: AdminKey
) -> CampaignPublic:
    """Change any of a campaign's fields; the result is checked as a new campaign would be. Every version
    stays in the audit log; the next lock events follow it."""
    campaign = service.get_campaign(session=session, campaign_id=campaign_id)
    campaign = service.update_campaign(session=session, campaign=campaign, campaign_in=campaign_in)
    return CampaignPublic.model_validate(campaign)


@router.delete("/{campaign_id}", status_code=204)
def delete_campaign(campaign_id: IntId, session: SessionDep, _admin: AdminKey) -> None:
    """Removes the campaign; the stats of its past plays stay."""
    campaign = service.get_campaign(session=session, campaign_id=campaign_id)
    service.delete_campaign(session=session, campaign=campaign)


@router.post("/{campaign_id}/end", response_model=CampaignPublic)
def end_campaign(campaign_id: IntId, session: SessionDep, _admin: AdminKey) -> CampaignPublic:
    """Ends the campaign now: from the next lock event on, it plays nowhere."""
    campaign = service.get_campaign(session=session, campaign_id=campaign_id)
    campaign = service.end_campaign(session=session, campaign=campaign)
    return CampaignPublic.model_validate(campaign)

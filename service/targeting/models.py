from datetime import datetime

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlmodel import SQLModel

from service.campaigns.models import CampaignCreate
from service.clips.models import ClipRef, LockEvent
from service.coords import CoordSystem
from service.strict import ID_PATTERN, StrictInput
from service.targeting.decision import Reason
from service.timeutil import as_utc


class ExplainQuery(StrictInput):
    fleet_id: str = PydanticField(min_length=1, max_length=100)
    bike_id: str = PydanticField(min_length=1, max_length=100, pattern=ID_PATTERN)
    lat: float = PydanticField(ge=-90, le=90, allow_inf_nan=False)
    lon: float = PydanticField(ge=-180, le=180, allow_inf_nan=False)
    event: LockEvent = LockEvent.unlock
    at: datetime | None = PydanticField(default=None, description="default: now")
    coord_system: CoordSystem | None = PydanticField(default=None, description="default: the fleet's")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


# The id a new draft campaign (not saved yet) goes by in an explanation.
DRAFT_ID = 0


class DraftExplainQuery(ExplainQuery):
    """What an event would get if this campaign were saved: a new one (campaign_id none) or the campaign
    `campaign_id` edited to be this."""

    campaign: CampaignCreate
    campaign_id: int | None = PydanticField(default=None, ge=1, description="the campaign it would replace")


class ExplainedAnswer(SQLModel):
    zone_id: str | None
    campaign_id: int | None
    slogan_id: int | None
    text: str | None
    clip: ClipRef | None
    volume: int


class ExplainedZone(SQLModel):
    id: str
    name: str
    kind: str
    region: str | None
    languages: list[str]


class SloganChance(SQLModel):
    slogan_id: int
    probability: float


class CampaignVerdict(SQLModel):
    campaign_id: int
    name: str
    priority: str
    plays: bool  # eligible: it may be the one chosen now
    reason: Reason
    reason_text: str  # the reason for admins, in Chinese
    probability: float
    slogans: list[SloganChance]


class Explanation(SQLModel):
    answer: ExplainedAnswer
    zone: ExplainedZone | None
    region: str | None
    local_time: str
    timezone: str
    last_slogan_id: int | None
    plays_today: dict[int, int]
    campaigns: list[CampaignVerdict]

import math
from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import field_validator, model_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from service.clips.models import LockEvent
from service.db import MAX_INT_ID, str_enum
from service.timeutil import UTCDateTime, as_utc, utcnow


class Priority(StrEnum):
    urgent = "urgent"
    normal = "normal"
    fallback = "fallback"


PRIORITY_RANK = {Priority.urgent: 2, Priority.normal: 1, Priority.fallback: 0}


class CampaignBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    slogan_ids: list[int] = Field(sa_type=JSON)
    # Empty target lists mean everywhere (zone_ids and zone_kinds together: also outside every zone).
    zone_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    zone_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    fleet_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    events: list[LockEvent] = Field(default_factory=lambda: [LockEvent.unlock, LockEvent.lock], sa_type=JSON)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    weight: float = 1.0
    priority: Priority = Field(default=Priority.normal, sa_type=str_enum(Priority))


class CampaignCreate(CampaignBase):
    @field_validator("slogan_ids")
    @classmethod
    def _slogans(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("a campaign needs at least one slogan")
        if not all(1 <= slogan_id <= MAX_INT_ID for slogan_id in value):
            raise ValueError("slogan ids are positive integers")
        return list(dict.fromkeys(value))

    @field_validator("zone_ids", "zone_kinds", "fleet_ids", "events")
    @classmethod
    def _dedupe(cls, value: list) -> list:  # type: ignore[type-arg]
        return list(dict.fromkeys(value))

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.events:
            raise ValueError("events must name unlock, lock or both")
        if not (math.isfinite(self.weight) and 0 < self.weight <= 1000):
            raise ValueError("weight must be a number greater than 0 and at most 1000")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Campaign(CampaignBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignPublic(CampaignBase):
    id: int
    created_at: datetime

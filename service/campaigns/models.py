import math
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import field_validator, model_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from service.clips.models import LockEvent
from service.db import MAX_INT_ID, str_enum
from service.labels import clean_label
from service.strict import StrictInput
from service.timeutil import LocalDateTime, UTCDateTime, as_utc, utcnow
from service.timewindows import WEEKDAYS, Daypart, TimeWindow, format_hhmm


class Priority(StrEnum):
    urgent = "urgent"
    normal = "normal"
    fallback = "fallback"


PRIORITY_RANK = {Priority.urgent: 2, Priority.normal: 1, Priority.fallback: 0}


def parse_daypart(value: Any) -> Daypart:
    if not isinstance(value, dict) or set(value) - {"days", "start", "end"}:
        raise ValueError('a daypart is {"days": ["mon", …], "start": "HH:MM", "end": "HH:MM"}')
    days = value.get("days") or list(WEEKDAYS)
    if not isinstance(days, list) or any(day not in WEEKDAYS for day in days):
        raise ValueError(f"daypart days must be among {', '.join(WEEKDAYS)}")
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        raise ValueError("a daypart needs start and end as HH:MM")
    return Daypart(frozenset(WEEKDAYS.index(day) for day in days), TimeWindow.parse(start, end))


def daypart_json(part: Daypart) -> dict[str, Any]:
    window = part.window
    return {
        "days": [day for i, day in enumerate(WEEKDAYS) if i in part.days],
        "start": format_hhmm(window.start),
        "end": format_hhmm(window.end),
    }


class CampaignBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    slogan_ids: list[int] = Field(sa_type=JSON)
    # Empty target lists mean everywhere (zone_ids and zone_kinds together: also outside every zone).
    zone_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    zone_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    fleet_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    events: list[LockEvent] = Field(default_factory=lambda: [LockEvent.unlock, LockEvent.lock], sa_type=JSON)
    starts_at: LocalDateTime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: LocalDateTime | None = Field(default=None, sa_type=UTCDateTime)
    weight: float = 1.0
    priority: Priority = Field(default=Priority.normal, sa_type=str_enum(Priority))
    # Regions (zone regions; outside zones the fleet's region) target like zone_ids and zone_kinds do.
    regions: list[str] = Field(default_factory=list, sa_type=JSON)
    # Exclusions win over targets.
    exclude_zone_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    exclude_zone_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    exclude_regions: list[str] = Field(default_factory=list, sa_type=JSON)
    exclude_fleet_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    # When in the week it plays, in the deployment's time zone: [{"days": ["mon", …], "start": "HH:MM",
    # "end": "HH:MM"}]; a window may wrap past midnight; no days means every day; empty list: always.
    dayparts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # At most this many plays of each of its slogans to one bike per local day; none: no cap.
    max_plays_per_bike_per_day: int | None = Field(default=None, ge=1, le=1000)


class CampaignCreate(StrictInput, CampaignBase):
    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return clean_label(value)

    @field_validator("slogan_ids")
    @classmethod
    def _slogans(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("a campaign needs at least one slogan")
        if not all(1 <= slogan_id <= MAX_INT_ID for slogan_id in value):
            raise ValueError("slogan ids are positive integers")
        return list(dict.fromkeys(value))

    @field_validator(
        "zone_ids",
        "zone_kinds",
        "fleet_ids",
        "events",
        "regions",
        "exclude_zone_ids",
        "exclude_zone_kinds",
        "exclude_regions",
        "exclude_fleet_ids",
    )
    @classmethod
    def _dedupe(cls, value: list[Any]) -> list[Any]:
        return list(dict.fromkeys(value))

    @field_validator("dayparts")
    @classmethod
    def _dayparts(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > 50:
            raise ValueError("at most 50 dayparts")
        return [daypart_json(parse_daypart(part)) for part in value]

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


class CampaignUpdate(StrictInput, SQLModel):
    """The fields to change; the campaign is then checked whole, as on creation."""

    name: str | None = None
    slogan_ids: list[int] | None = None
    zone_ids: list[str] | None = None
    zone_kinds: list[str] | None = None
    fleet_ids: list[str] | None = None
    events: list[LockEvent] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weight: float | None = None
    priority: Priority | None = None
    regions: list[str] | None = None
    exclude_zone_ids: list[str] | None = None
    exclude_zone_kinds: list[str] | None = None
    exclude_regions: list[str] | None = None
    exclude_fleet_ids: list[str] | None = None
    dayparts: list[dict[str, Any]] | None = None
    max_plays_per_bike_per_day: int | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        """Only the dates and the cap may be cleared (sent as null)."""
        nullable = {"starts_at", "ends_at", "max_plays_per_bike_per_day"}
        if cleared := sorted(f for f in self.model_fields_set - nullable if getattr(self, f) is None):
            raise ValueError(f"these fields cannot be null: {', '.join(cleared)}")
        return self


class Campaign(CampaignBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignPublic(CampaignBase):
    id: int
    created_at: LocalDateTime

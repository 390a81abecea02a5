from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from service.clips.models import LockEvent
from service.db import str_enum
from service.timeutil import LocalDateTime, UTCDateTime

# Rollups, maintained in the same transaction as the event log (service/stats/rollups.py). A play without
# a zone is kept under zone_id "" (primary keys cannot hold NULL).


class PlayHourly(SQLModel, table=True):
    """Plays per UTC hour, zone, slogan, fleet and event: time series and per-slogan totals."""

    __tablename__ = "play_hourly"
    __table_args__ = (Index("ix_play_hourly_slogan_hour", "slogan_id", "hour"),)

    hour: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    zone_id: str = Field(primary_key=True, max_length=100)
    slogan_id: int = Field(primary_key=True)
    fleet_id: str = Field(primary_key=True, max_length=100)
    event: LockEvent = Field(sa_type=str_enum(LockEvent), primary_key=True)
    plays: int = 0
    confirmed_plays: int = 0
    first_play_at: datetime = Field(sa_type=UTCDateTime)
    last_play_at: datetime = Field(sa_type=UTCDateTime)


class PlayDaily(SQLModel, table=True):
    """Plays per local day, zone, fleet and slogan, with the bitmap of the bikes that heard them."""

    __tablename__ = "play_daily"
    __table_args__ = (Index("ix_play_daily_slogan_day", "slogan_id", "day"),)

    day: date = Field(primary_key=True)
    zone_id: str = Field(primary_key=True, max_length=100)
    fleet_id: str = Field(primary_key=True, max_length=100)
    slogan_id: int = Field(primary_key=True)
    plays: int = 0
    confirmed_plays: int = 0
    first_play_at: datetime = Field(sa_type=UTCDateTime)
    last_play_at: datetime = Field(sa_type=UTCDateTime)
    bikes: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # roaring bitmap of BikeNumber ids


class ZoneDaily(SQLModel, table=True):
    """Plays per local day and zone over all fleets and slogans: the unfiltered coverage, fast."""

    __tablename__ = "zone_daily"

    day: date = Field(primary_key=True)
    zone_id: str = Field(primary_key=True, max_length=100)
    plays: int = 0
    confirmed_plays: int = 0
    first_play_at: datetime = Field(sa_type=UTCDateTime)
    last_play_at: datetime = Field(sa_type=UTCDateTime)
    bikes: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # roaring bitmap of BikeNumber ids
    slogans: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # roaring bitmap of slogan ids


class ZoneCoverage(SQLModel):
    zone_id: str
    name: str
    kind: str
    plays: int
    confirmed_plays: int
    unique_bikes: int
    slogans: int
    last_play_at: LocalDateTime | None


class Coverage(SQLModel):
    since: LocalDateTime
    until: LocalDateTime
    zones_total: int
    zones_covered: int
    coverage_ratio: float
    zones: list[ZoneCoverage]
    silent_zone_ids: list[str]


class TimePoint(SQLModel):
    t: LocalDateTime
    plays: int
    confirmed_plays: int


class Timeseries(SQLModel):
    bucket: str
    since: LocalDateTime
    until: LocalDateTime
    points: list[TimePoint]


class SloganReach(SQLModel):
    slogan_id: int
    text: str
    issuer: str
    plays: int
    confirmed_plays: int
    zones_reached: int
    unique_bikes: int
    first_play_at: LocalDateTime | None
    last_play_at: LocalDateTime | None


class SloganStats(SQLModel):
    since: LocalDateTime
    until: LocalDateTime
    slogans: list[SloganReach]

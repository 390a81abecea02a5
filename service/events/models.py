from datetime import datetime, timedelta

from pydantic import BaseModel, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.clips.models import ClipFormat, LockEvent
from service.db import str_enum
from service.timeutil import UTCDateTime, as_utc, utcnow

# How far ahead of the server's clock a lock's clock may run.
MAX_CLOCK_AHEAD = timedelta(minutes=15)
_ID = r"^[A-Za-z0-9._:@-]+$"


class EventIn(BaseModel):
    event_id: str = PydanticField(min_length=1, max_length=100, pattern=_ID)
    bike_id: str = PydanticField(min_length=1, max_length=100, pattern=_ID)
    fleet_id: str = PydanticField(min_length=1, max_length=100)
    event: LockEvent
    lat: float = PydanticField(ge=-90, le=90, allow_inf_nan=False)
    lon: float = PydanticField(ge=-180, le=180, allow_inf_nan=False)
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        value = as_utc(value)
        if value > utcnow() + MAX_CLOCK_AHEAD:
            # A lock's clock far ahead would move the bike's day forward and reset its daily caps.
            raise ValueError(
                f"occurred_at is more than {MAX_CLOCK_AHEAD.seconds // 60} minutes in the future"
            )
        return value


class ClipRef(SQLModel):
    id: int
    url: str
    sha256: str
    duration_ms: int
    format: ClipFormat
    profile: str


class EventResult(SQLModel):
    event_id: str
    zone_id: str | None
    slogan_id: int | None
    text: str | None
    clip: ClipRef | None
    volume: int | None = Field(default=None, description="lock speaker volume, 0-7")


class LockEventLog(SQLModel, table=True):
    """The durable play log: one row per lock or unlock event an operator reported."""

    __tablename__ = "lock_event"
    __table_args__ = (
        UniqueConstraint("operator", "event_id"),
        Index("ix_lock_event_occurred_zone", "occurred_at", "zone_id"),
    )

    # BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER primary key.
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    operator: str = Field(max_length=200)
    event_id: str = Field(max_length=100)
    fleet_id: str = Field(max_length=100)
    bike_id: str = Field(max_length=100)
    event: LockEvent = Field(sa_type=str_enum(LockEvent))
    lat: float
    lon: float
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    zone_id: str | None = Field(default=None, max_length=100)
    campaign_id: int | None = None
    slogan_id: int | None = None
    clip_id: int | None = None
    volume: int | None = None


class SnapshotVersion(SQLModel, table=True):
    """Bumped by every change the lock-event decision depends on, so each worker knows to recompile."""

    __tablename__ = "snapshot_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from pydantic import field_validator
from sqlalchemy import BigInteger, Column, Index, Integer, UniqueConstraint
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col

from service.clips.models import ClipRef, LockEvent
from service.coords import CoordSystem, to_wgs84
from service.db import str_enum
from service.strict import ID_PATTERN, StrictInput
from service.timeutil import LocalDateTime, UTCDateTime, as_utc, not_ahead, utcnow

# How far ahead of the server's clock a lock's clock may run.
MAX_CLOCK_AHEAD = timedelta(minutes=15)


class PlayStatus(StrEnum):
    played = "played"
    failed = "failed"
    skipped = "skipped"


class EventIn(StrictInput):
    event_id: str = PydanticField(min_length=1, max_length=100, pattern=ID_PATTERN)
    bike_id: str = PydanticField(min_length=1, max_length=100, pattern=ID_PATTERN)
    fleet_id: str = PydanticField(min_length=1, max_length=100)
    event: LockEvent
    lat: float = PydanticField(ge=-90, le=90, allow_inf_nan=False)
    lon: float = PydanticField(ge=-180, le=180, allow_inf_nan=False)
    occurred_at: datetime
    # The system lat/lon are in; none: the fleet's (service/coords.py). Decided on in WGS-84 (in_wgs84).
    coord_system: CoordSystem | None = None

    def in_wgs84(self, fleet_default: CoordSystem) -> "EventIn":
        """This event with its position in WGS-84, its own coord_system or else its fleet's converted."""
        system = self.coord_system or fleet_default
        if system is CoordSystem.wgs84:
            return self
        lon, lat = to_wgs84(self.lon, self.lat, system)
        return self.model_copy(update={"lon": lon, "lat": lat, "coord_system": CoordSystem.wgs84})

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # A lock's clock far ahead would move the bike's day forward and reset its daily caps.
        return not_ahead(value, "occurred_at", MAX_CLOCK_AHEAD)


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
    # On PostgreSQL the table is partitioned by month (service/events/partitions.py, migration 0006), with
    # the primary key (id, occurred_at); a partitioned table cannot hold this unique constraint, so there
    # EventKey gives idempotency. On both, a plain index serves the lookups by event id (event_id first, so
    # it also serves proof of play, which knows the event id and the fleets but not the operator).
    __table_args__ = (
        UniqueConstraint("operator", "event_id", info={"only_on": "sqlite"}).ddl_if(dialect="sqlite"),
        Index("ix_lock_event_event_id_operator", "event_id", "operator"),
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
    # The bike's dense number (BikeNumber), the member of the rollups' distinct-bike bitmaps.
    bike_no: int | None = None
    # Proof of play, reported by the device: its own clock, kept apart from occurred_at and received_at.
    played_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    play_status: PlayStatus | None = Field(default=None, sa_type=str_enum(PlayStatus))
    # The device's clock against the server's when it reported (PlayedIn.clock_skew_s), in seconds, set only
    # when beyond the configured threshold.
    clock_skew_s: float | None = None


# What counts as a play: an event answered with a clip. The one definition, for a row being logged (the
# rollups count it) and as SQL over the log (the stats that read the raw log).
def is_play(row: Mapping[str, Any]) -> bool:
    return row["clip_id"] is not None


def logged_plays() -> ColumnElement[bool]:
    return col(LockEventLog.clip_id).is_not(None)


class EventKey(SQLModel, table=True):
    """PostgreSQL only: one row per logged event, claimed by the writer in the transaction that logs it.
    Its primary key makes an event id count once across workers and nodes, whatever month it is in."""

    __tablename__ = "event_key"
    __table_args__ = {"info": {"only_on": "postgresql"}}

    operator: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=100)
    occurred_at: datetime = Field(sa_type=UTCDateTime)  # the month the event's row is in


class BikeNumber(SQLModel, table=True):
    """A dense integer per bike, so distinct bikes can be counted with compressed bitmaps."""

    __tablename__ = "bike_number"
    __table_args__ = (UniqueConstraint("fleet_id", "bike_id"),)

    id: int | None = Field(default=None, primary_key=True)
    fleet_id: str = Field(max_length=100)
    bike_id: str = Field(max_length=100)


class PlayedIn(StrictInput):
    played_at: datetime
    status: PlayStatus
    # The device's clock when it sent this report: set against the server's at arrival, it tells clock skew
    # apart from a report sent late (an offline lock's backlog played long before it is uploaded).
    sent_at: datetime | None = None

    @field_validator("played_at", "sent_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    def clock_skew_s(self, now: datetime) -> float | None:
        """How far the device's clock runs ahead (+) or behind (-) the server's, `now` being the report's
        arrival: sent_at - now. Without sent_at only a play stamped later than its report's arrival shows
        skew; one stamped earlier may be a backlog, and its delay says nothing of the clock."""
        if self.sent_at is not None:
            return (self.sent_at - now).total_seconds()
        ahead = (self.played_at - now).total_seconds()
        return ahead if ahead > 0 else None


class PlayedResult(SQLModel):
    event_id: str
    occurred_at: LocalDateTime  # the operator's event time
    received_at: LocalDateTime  # the server's time when the event arrived
    played_at: LocalDateTime  # the device's clock when it played (or failed, or skipped)
    status: PlayStatus
    # The device's clock against the server's (PlayedIn.clock_skew_s) when beyond the threshold
    # (EBIKE_VOICE_CLOCK_SKEW_THRESHOLD_S), else null.
    clock_skew_s: float | None


class EventBatchIn(StrictInput):
    # Items stay raw here so that one malformed item is reported alone instead of failing the request.
    events: list[dict[str, Any]]
    # For the items that name none (each may name its own); none: each item's fleet's.
    coord_system: CoordSystem | None = None


class ItemError(SQLModel):
    status: int
    detail: Any


class EventError(SQLModel):
    event_id: str | None
    error: ItemError


class EventBatchResult(SQLModel):
    results: list[EventResult | EventError]

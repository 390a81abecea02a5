import re
from datetime import date, datetime

from pydantic import field_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from service.audio.profiles import DEFAULT_PROFILE, check_profile_name
from service.coords import DEFAULT_COORD_SYSTEM, CoordSystem
from service.db import str_enum
from service.labels import clean_label
from service.strict import StrictInput
from service.timeutil import LocalDateTime, UTCDateTime, utcnow


class FleetBase(SQLModel):
    id: str = Field(primary_key=True, min_length=1, max_length=100, regex=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    operator: str = Field(min_length=1, max_length=200)
    # The county or district the fleet serves: region-targeted campaigns reach its bikes outside zones.
    region: str | None = Field(default=None, max_length=100)
    # The device profile its locks play (GET /v1/profiles); the event answer gives this rendition.
    profile: str = Field(default=DEFAULT_PROFILE, max_length=20)
    # The coordinate system its backend reports positions in, for events and bikes CSV that name none.
    coord_system: CoordSystem = Field(default=DEFAULT_COORD_SYSTEM, sa_type=str_enum(CoordSystem))


_FLEET_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class FleetCreate(StrictInput, FleetBase):
    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _FLEET_ID.match(value):
            raise ValueError("id must be 1-100 letters, digits, dots, underscores or hyphens")
        return value

    @field_validator("name", "operator")
    @classmethod
    def _label(cls, value: str) -> str:
        return clean_label(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value is None else clean_label(value, max_length=100)

    _check_profile = field_validator("profile")(check_profile_name)


class FleetUpdate(StrictInput, SQLModel):
    """What an admin may change on a fleet (its id stays)."""

    name: str | None = Field(default=None, max_length=400)
    operator: str | None = Field(default=None, max_length=400)
    region: str | None = Field(default=None, max_length=200)
    profile: str | None = Field(default=None, max_length=20)

    @field_validator("name", "operator")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("cannot be cleared")
        return clean_label(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value is None else clean_label(value, max_length=100)

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("cannot be cleared")
        return check_profile_name(value)


class FleetDeleted(SQLModel):
    id: str
    bikes_deleted: int
    # Campaigns that named the fleet no longer do; those left with no fleet to play to were ended.
    campaigns_changed: list[int]
    campaigns_ended: list[int]


class Fleet(FleetBase, table=True):
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FleetPublic(FleetBase):
    created_at: LocalDateTime


class Bike(SQLModel, table=True):
    """A bike as the service last saw it; registered on its first event (or by the demo)."""

    fleet_id: str = Field(foreign_key="fleet.id", primary_key=True, max_length=100)
    bike_id: str = Field(primary_key=True, max_length=100)
    last_slogan_id: int | None = None
    last_zone_id: str | None = Field(default=None, max_length=100)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Plays per slogan on `plays_day` (local day), for the campaigns' daily caps: {"<slogan id>": n}.
    plays_day: date | None = None
    plays_today: dict[str, int] = Field(default_factory=dict, sa_type=JSON)


class BikePublic(SQLModel):
    fleet_id: str
    bike_id: str
    last_zone_id: str | None
    last_seen_at: LocalDateTime | None
    last_slogan_id: int | None


class BikeImportResult(SQLModel):
    created: int
    existing: int

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from service.coords import CoordSystem
from service.strict import StrictInput
from service.timeutil import UTCDateTime, utcnow


def clean_zone_id(value: Any) -> str:
    """A zone id from outside data (a string or a number), or "" when it is missing or too long."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    text = str(value).strip()
    return text if len(text) <= 100 else ""


class ZoneBase(SQLModel):
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40, index=True)
    # A GeoJSON geometry in WGS-84 (lon, lat): Polygon, MultiPolygon, or Point with radius_m.
    geometry: dict[str, Any] = Field(sa_type=JSON)
    radius_m: float | None = None
    # The county or district the zone lies in, and the police unit responsible for it.
    region: str | None = Field(default=None, max_length=100, index=True)
    police_unit: str | None = Field(default=None, max_length=200)
    # Slogan languages preferred here (e.g. ["ug"] in a Uyghur village); empty: no preference.
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    # Lock speaker volume 0-7 by day here, and quiet hours {"start": "HH:MM", "end": "HH:MM", "volume": n}.
    volume: int | None = None
    quiet_hours: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class Zone(ZoneBase, table=True):
    id: str = Field(primary_key=True, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ZonePublic(ZoneBase):
    id: str


class NestedZone(SQLModel):
    """An imported zone that lies inside another, or holds one: the inner one takes that spot from the
    outer one's campaigns (a bike there is in the smallest zone)."""

    zone_id: str  # the inner zone
    inside_zone_id: str  # the outer zone
    message: str  # for admins, in Chinese


class ZoneUpdate(StrictInput, SQLModel):
    """What an admin may change on a zone in place (its shape changes by importing it again); a field
    sent as null clears it where it is optional."""

    name: str | None = Field(default=None, max_length=400)
    kind: str | None = Field(default=None, max_length=80)
    region: str | None = Field(default=None, max_length=200)
    police_unit: str | None = Field(default=None, max_length=400)
    languages: list[str] | None = Field(default=None, max_length=10)
    volume: int | None = None
    quiet_hours: dict[str, Any] | None = None


class ZoneDeleted(SQLModel):
    id: str
    # Campaigns that named the zone no longer do; those left with no place to play were ended.
    campaigns_changed: list[int]
    campaigns_ended: list[int]


class ZoneImportResult(SQLModel):
    created: int
    updated: int
    warnings: list[NestedZone] = Field(default_factory=list)


class ZoneImportOptions(StrictInput, SQLModel):
    # The coordinate system of the positions sent (GeoJSON FeatureCollection may also say so in a top-level
    # "coord_system" member, as the export does); zones are stored in WGS-84.
    coord_system: CoordSystem | None = None


class GbfsImportOptions(ZoneImportOptions):
    """What a GBFS feed does not say about its stations."""

    kind: str = Field(default="parking", min_length=1, max_length=40)
    # The circle drawn around a station that has no station_area.
    radius_m: float = Field(default=30.0, gt=0, le=50_000)
    region: str | None = Field(default=None, min_length=1, max_length=100)
    police_unit: str | None = Field(default=None, min_length=1, max_length=200)
    # Prepended to station_id to make the zone id (feeds of two operators may share station ids).
    id_prefix: str = Field(default="", max_length=40)

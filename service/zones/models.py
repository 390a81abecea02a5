from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from service.timeutil import UTCDateTime, utcnow


class ZoneBase(SQLModel):
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40, index=True)
    # A GeoJSON geometry in WGS-84 (lon, lat): Polygon, MultiPolygon, or Point with radius_m.
    geometry: dict[str, Any] = Field(sa_type=JSON)
    radius_m: float | None = None


class Zone(ZoneBase, table=True):
    id: str = Field(primary_key=True, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ZonePublic(ZoneBase):
    id: str


class ZoneImportResult(SQLModel):
    created: int
    updated: int

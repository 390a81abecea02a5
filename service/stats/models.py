from datetime import datetime

from sqlmodel import SQLModel


class ZoneCoverage(SQLModel):
    zone_id: str
    name: str
    kind: str
    plays: int
    unique_bikes: int
    slogans: int
    last_play_at: datetime | None


class Coverage(SQLModel):
    since: datetime
    until: datetime
    zones_total: int
    zones_covered: int
    coverage_ratio: float
    zones: list[ZoneCoverage]
    silent_zone_ids: list[str]

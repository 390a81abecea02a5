from sqlmodel import SQLModel

from service.clips.models import ClipFormat, LockEvent
from service.timeutil import LocalDateTime


class ManifestClip(SQLModel):
    slogan_id: int
    event: LockEvent
    format: ClipFormat
    url: str
    sha256: str
    size_bytes: int | None
    duration_ms: int


class Manifest(SQLModel):
    fleet_id: str
    zone_id: str | None
    valid_from: LocalDateTime
    valid_until: LocalDateTime
    clips: list[ManifestClip]

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import str_enum
from service.timeutil import UTCDateTime, utcnow


class LockEvent(StrEnum):
    unlock = "unlock"
    lock = "lock"


class ClipFormat(StrEnum):
    mp3 = "mp3"
    wav = "wav"


class ClipStatus(StrEnum):
    pending = "pending"
    ready = "ready"
    failed = "failed"


MEDIA_TYPES = {ClipFormat.mp3: "audio/mpeg", ClipFormat.wav: "audio/wav"}


def clip_url(sha256: str, fmt: str) -> str:
    return f"/v1/audio/{sha256}.{fmt}"


class Clip(SQLModel, table=True):
    """One rendition of a slogan for one lock event and one device profile: 「开锁成功！」 + slogan."""

    __table_args__ = (UniqueConstraint("slogan_id", "event", "profile", name="uq_clip_slogan_event_profile"),)

    id: int | None = Field(default=None, primary_key=True)
    slogan_id: int = Field(foreign_key="slogan.id", index=True)
    event: LockEvent = Field(sa_type=str_enum(LockEvent))
    profile: str = Field(max_length=20)  # service.audio.profiles
    format: ClipFormat = Field(sa_type=str_enum(ClipFormat))  # the profile's container
    status: ClipStatus = Field(default=ClipStatus.pending, sa_type=str_enum(ClipStatus))
    spoken_text: str = ""
    sha256: str | None = Field(default=None, max_length=64, index=True)
    size_bytes: int | None = None
    duration_ms: int | None = None
    engine: str | None = Field(default=None, max_length=40)
    voice: str | None = Field(default=None, max_length=80)
    error: str | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def playable(self) -> bool:
        """Ready to be played: rendered, hashed and measured (the one definition of a ready clip)."""
        return self.status is ClipStatus.ready and bool(self.sha256) and self.duration_ms is not None


class ClipPublic(SQLModel):
    id: int
    event: LockEvent
    profile: str
    format: ClipFormat
    status: ClipStatus
    spoken_text: str
    url: str | None
    sha256: str | None
    duration_ms: int | None
    engine: str | None
    voice: str | None
    error: str | None

    @classmethod
    def of(cls, clip: Clip) -> "ClipPublic":
        assert clip.id is not None
        ready = clip.status is ClipStatus.ready and clip.sha256 is not None
        return cls(
            id=clip.id,
            event=clip.event,
            profile=clip.profile,
            format=clip.format,
            status=clip.status,
            spoken_text=clip.spoken_text,
            url=clip_url(clip.sha256, clip.format) if ready and clip.sha256 else None,
            sha256=clip.sha256 if ready else None,
            duration_ms=clip.duration_ms if ready else None,
            engine=clip.engine,
            voice=clip.voice,
            error=clip.error,
        )


class ClipRef(SQLModel):
    """A ready clip as an answer names it: what a lock needs to fetch, check and play it."""

    id: int
    url: str
    sha256: str
    duration_ms: int
    format: ClipFormat
    profile: str

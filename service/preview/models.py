from pydantic import field_validator
from sqlmodel import SQLModel

from service.audio.profiles import DEFAULT_PROFILE, PROFILES
from service.clips.models import ClipFormat, LockEvent
from service.slogans.models import LANGUAGES, clean_slogan_text


class PreviewIn(SQLModel):
    text: str
    language: str = "zh-CN"
    # With an event, the clip opens as the lock would play it (「开锁成功！」 …); without, the text alone.
    event: LockEvent | None = None
    profile: str = DEFAULT_PROFILE

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_slogan_text(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        return value


class PreviewPublic(SQLModel):
    url: str
    sha256: str
    profile: str
    format: ClipFormat
    duration_ms: int
    engine: str
    voice: str
    spoken_text: str

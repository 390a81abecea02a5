from typing import Self

from pydantic import field_validator, model_validator
from sqlmodel import SQLModel

from service.audio.profiles import DEFAULT_PROFILE, check_profile_name
from service.clips.models import ClipFormat, LockEvent
from service.slogans.models import check_language, check_scripts, clean_slogan_text
from service.strict import StrictInput


class PreviewIn(StrictInput, SQLModel):
    text: str
    language: str = "zh-CN"
    # With an event, the clip opens as the lock would play it (「开锁成功！」 …); without, the text alone.
    event: LockEvent | None = None
    profile: str = DEFAULT_PROFILE

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_slogan_text(value)

    _check_language = field_validator("language")(check_language)

    _check_profile = field_validator("profile")(check_profile_name)

    @model_validator(mode="after")
    def _scripts(self) -> Self:
        check_scripts(self.text, self.language)
        return self


class PreviewPublic(SQLModel):
    url: str
    sha256: str
    profile: str
    format: ClipFormat
    duration_ms: int
    engine: str
    voice: str
    spoken_text: str

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from service.clips.models import ClipPublic
from service.db import str_enum
from service.labels import clean_label, invisible_character
from service.strict import StrictInput
from service.timeutil import LocalDateTime, UTCDateTime, as_utc, utcnow

LANGUAGES = ("zh-CN", "ug", "kk")
MAX_TEXT_CHARS = 80  # about 15 s of speech: a lock speaker plays short prompts
MAX_REASON_CHARS = 500

_MARKUP = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;")


# The writing systems each language's slogans may use (digits and punctuation are always allowed):
# Chinese with Latin for words like APP; Uyghur in Arabic script; Kazakh in Cyrillic or Arabic script.
SCRIPTS: dict[str, tuple[frozenset[str], ...]] = {
    "zh-CN": (frozenset({"CJK", "LATIN"}),),
    "ug": (frozenset({"ARABIC"}),),
    "kk": (frozenset({"CYRILLIC"}), frozenset({"ARABIC"})),
}
_SCRIPT_NAMES = {"CJK": "Chinese", "LATIN": "Latin", "ARABIC": "Arabic", "CYRILLIC": "Cyrillic"}


def _script(char: str) -> str | None:
    """The writing system of a letter, None for digits, punctuation and spaces; "OTHER" for the rest."""
    category = unicodedata.category(char)
    if category[0] in "NPZ" or char in "\u200c\u200d":
        return None
    words = unicodedata.name(char, "").split()
    return next((script for script in ("CJK", "LATIN", "ARABIC", "CYRILLIC") if script in words), "OTHER")


def check_scripts(text: str, language: str) -> None:
    """Refuse symbols (emoji) and letters of scripts the language does not use, or a mix of two scripts
    where a language allows only one at a time (homoglyph tricks such as Cyrillic 'а' in Latin words)."""
    used = {script for char in text if (script := _script(char))}
    if "ARABIC" not in used and any(char in "\u200c\u200d" for char in text):
        raise ValueError("zero-width joiners belong only in Arabic-script text")
    if "OTHER" in used:
        odd = next(char for char in text if _script(char) == "OTHER")
        raise ValueError(f"text contains a character a lock cannot speak: {odd!r} (U+{ord(odd):04X})")
    if not any(used <= allowed for allowed in SCRIPTS[language]):
        names = ", ".join(sorted(_SCRIPT_NAMES[s] for s in used))
        raise ValueError(f"text uses writing systems ({names}) that {language} slogans do not use together")


class SloganStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


def clean_slogan_text(value: str) -> str:
    """Plain spoken text only: no markup, control or invisible characters, and not too long."""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise ValueError("text is empty")
    if _MARKUP.search(text):
        raise ValueError("text must be plain text, without markup such as SSML or HTML tags")
    if (char := invisible_character(text, allow_joiners=True)) is not None:
        raise ValueError(f"text contains an invisible or control character (U+{ord(char):04X})")
    if not any(unicodedata.category(char)[0] in "LN" for char in text):
        raise ValueError("text has nothing to speak: it needs words, not only punctuation")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(text)} characters long; at most {MAX_TEXT_CHARS} fit a lock prompt")
    return text


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return value


def _category(value: str | None) -> str | None:
    return None if value is None else clean_label(value, max_length=100)


class SloganBase(SQLModel):
    text: str = Field(max_length=MAX_TEXT_CHARS * 4)
    language: str = Field(default="zh-CN", max_length=10)
    category: str | None = Field(default=None, max_length=100)
    valid_from: LocalDateTime | None = Field(default=None, sa_type=UTCDateTime)
    valid_until: LocalDateTime | None = Field(default=None, sa_type=UTCDateTime)


class SloganCreate(StrictInput, SloganBase):
    issuer: str | None = Field(default=None, max_length=200)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_slogan_text(value)

    _clean_category = field_validator("category")(_category)

    _check_language = field_validator("language")(check_language)

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_scripts(self.text, self.language)
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class SloganUpdate(StrictInput, SQLModel):
    """What police may change on their own slogan; a new text goes back to review."""

    text: str | None = None
    category: str | None = Field(default=None, max_length=100)
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else clean_slogan_text(value)

    _clean_category = field_validator("category")(_category)

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


class Slogan(SloganBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=200, index=True)
    status: SloganStatus = Field(default=SloganStatus.pending, sa_type=str_enum(SloganStatus), index=True)
    created_by: int | None = Field(default=None, foreign_key="api_key.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why the reviewer rejected it, for its author.
    review_reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS)


class SloganPublic(SloganBase):
    id: int
    issuer: str
    status: SloganStatus
    created_at: LocalDateTime
    reviewed_at: LocalDateTime | None
    review_reason: str | None
    clips: list[ClipPublic]


class RejectIn(StrictInput, SQLModel):
    """Why the slogan is rejected: shown to its author."""

    reason: str = Field(max_length=MAX_REASON_CHARS * 2)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return clean_label(value, max_length=MAX_REASON_CHARS)

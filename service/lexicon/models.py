import re
from datetime import datetime

from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

from service.slogans.models import clean_slogan_text
from service.strict import StrictInput
from service.timeutil import UTCDateTime, utcnow

# A Latin word, or a hanzi word (for a polyphone, e.g. 还车).
_WORD = re.compile(r"^(?:[A-Za-z]{1,40}|[\u3400-\u4dbf\u4e00-\u9fff]{1,20})$")


class LexiconEntryBase(SQLModel):
    # A Latin word as written in slogans, matched case-insensitively as a whole word (stored lower-case),
    # or a hanzi word matched wherever it appears (longest first).
    word: str = Field(primary_key=True, max_length=40)
    # What the engines are given instead, e.g. "APP" (spelled letter by letter), "微信", or for 还车 the
    # homophone "环车" (huán chē).
    spoken: str = Field(max_length=100)


class LexiconEntryIn(StrictInput, LexiconEntryBase):
    @field_validator("word")
    @classmethod
    def _word(cls, value: str) -> str:
        if not _WORD.match(value):
            raise ValueError(
                "word must be 1 to 40 Latin letters (A-Z), e.g. APP, or 1 to 20 hanzi, e.g. 还车"
            )
        return value.lower()

    @field_validator("spoken")
    @classmethod
    def _spoken(cls, value: str) -> str:
        return clean_slogan_text(value)


class LexiconEntry(LexiconEntryBase, table=True):
    __tablename__ = "lexicon_entry"

    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Lexicon(StrictInput, SQLModel):
    entries: list[LexiconEntryIn]

    @model_validator(mode="after")
    def _unique(self) -> "Lexicon":
        words = [entry.word for entry in self.entries]
        if duplicates := sorted({w for w in words if words.count(w) > 1}):
            raise ValueError(f"words listed twice: {', '.join(duplicates)}")
        return self

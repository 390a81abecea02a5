from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from service.db import str_enum
from service.labels import clean_label
from service.strict import StrictInput
from service.timeutil import LocalDateTime, UTCDateTime, as_utc, utcnow


class Role(StrEnum):
    admin = "admin"
    police = "police"
    operator = "operator"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=str_enum(Role))
    # A police key speaks for one issuer (e.g. 宁边路派出所); an operator key for its fleets.
    issuer: str | None = Field(default=None, max_length=200)
    fleet_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    # sha256 of the key: keys are 32 random bytes, so a fast hash is enough and lookups stay O(1).
    key_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class KeyCreate(StrictInput, SQLModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    issuer: str | None = Field(default=None, min_length=1, max_length=200)
    fleet_ids: list[str] = Field(default_factory=list, max_length=1000)
    expires_at: datetime | None = None

    @field_validator("name", "issuer")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return None if value is None else clean_label(value)

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if value <= utcnow():
            raise ValueError("expires_at must be in the future")
        return value


class KeyPublic(SQLModel):
    id: int
    name: str
    role: Role
    issuer: str | None
    fleet_ids: list[str]
    created_at: LocalDateTime
    expires_at: LocalDateTime | None
    revoked_at: LocalDateTime | None
    last_used_at: LocalDateTime | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The key itself: shown only this once, stored only as a hash")

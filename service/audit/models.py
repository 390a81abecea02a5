from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from service.timeutil import LocalDateTime, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, with the values before and after. Written in the same transaction as the
    change; the API has no way to edit or delete it."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_key_id: int | None = None
    actor: str = Field(max_length=250)
    action: str = Field(max_length=10)  # create, update, delete
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=100)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class AuditPublic(SQLModel):
    id: int
    at: LocalDateTime
    actor_key_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

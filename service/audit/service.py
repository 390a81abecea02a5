"""The audit log, kept by a session hook: every flush that creates, changes or deletes an audited row adds
an AuditEntry to the same transaction, so no service can forget to record a change."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, SQLModel, col, select

from service.audit.models import AuditEntry
from service.auth.models import ApiKey
from service.campaigns.models import Campaign
from service.fleets.models import Fleet
from service.slogans.models import Slogan
from service.timeutil import local_iso, utcnow
from service.zones.models import Zone

AUDITED: dict[type[SQLModel], str] = {
    Slogan: "slogan",
    Campaign: "campaign",
    Zone: "zone",
    Fleet: "fleet",
    ApiKey: "key",
}
# Never copied into the log: a key's hash is as good as a password to anyone who can read the log.
SECRET_FIELDS = {"key_hash"}
# Changed on use, not by anyone: not worth an entry each time.
NOISE_FIELDS = {"last_used_at", "updated_at"}


def set_actor(session: Session, key_id: int | None, label: str) -> None:
    """Name who acts through this session (a request's key); sessions of the CLI act as "system"."""
    session.info["audit_actor"] = (key_id, label)


def _entry(session: Session, action: str, entity: str, obj: SQLModel, **values: Any) -> dict[str, Any]:
    key_id, actor = session.info.get("audit_actor", (None, "system"))
    return {"at": utcnow(), "actor_key_id": key_id, "actor": actor, "action": action, "entity": entity,
            "entity_id": str(getattr(obj, "id", None)), "before": None, "after": None, **values}  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_iso(value)  # as the API shows times
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _values(obj: SQLModel) -> dict[str, Any]:
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in SECRET_FIELDS
    }


def _before(obj: SQLModel) -> tuple[dict[str, Any], bool]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    changed = False
    for attr in state.mapper.column_attrs:
        if attr.key in SECRET_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            before[attr.key] = _plain(history.deleted[0]) if history.deleted else None
            changed = changed or attr.key not in NOISE_FIELDS
        else:
            before[attr.key] = _plain(getattr(obj, attr.key))
    return before, changed


def _record(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty):
        entity = AUDITED.get(type(obj))
        if entity and session.is_modified(obj, include_collections=False):
            before, changed = _before(obj)
            if changed:
                session.add(
                    AuditEntry(**_entry(session, "update", entity, obj, before=before, after=_values(obj)))
                )
    for obj in list(session.deleted):
        if entity := AUDITED.get(type(obj)):
            session.add(AuditEntry(**_entry(session, "delete", entity, obj, before=_values(obj))))
    created = [(entity, obj) for obj in list(session.new) if (entity := AUDITED.get(type(obj)))]
    if created:
        session.info.setdefault("audit_new", []).extend(created)


def _record_created(session: Session, _context: Any) -> None:
    """New rows get their id only at flush: their entries are written once the ids exist."""
    created = session.info.pop("audit_new", [])
    if created:
        rows = [_entry(session, "create", entity, obj, after=_values(obj)) for entity, obj in created]
        session.connection().execute(AuditEntry.__table__.insert(), rows)  # type: ignore[attr-defined]  # set by SQLModel on table models, not in its types


def install_audit() -> None:
    """Hook the audit log into every session of the process (idempotent)."""
    if not event.contains(Session, "before_flush", _record):
        event.listen(Session, "before_flush", _record)
        event.listen(Session, "after_flush", _record_created)


def list_entries(
    *,
    session: Session,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    return list(session.exec(query))

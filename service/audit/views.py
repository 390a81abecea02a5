from typing import Annotated, Literal

from fastapi import APIRouter, Query

from service.audit import service
from service.audit.models import AuditPublic
from service.auth.deps import AdminKey
from service.db import MAX_INT_ID
from service.deps import SessionDep

AuditedEntity = Literal["slogan", "campaign", "zone", "fleet", "key"]

router = APIRouter()


@router.get("", response_model=list[AuditPublic])
def list_audit(
    session: SessionDep,
    _admin: AdminKey,
    entity: Annotated[AuditedEntity | None, Query(description="which kind of record")] = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_INT_ID, description="for paging: entries older than")
    ] = None,
) -> list[AuditPublic]:
    """Newest first. Read-only: the API offers no way to change the log."""
    entries = service.list_entries(
        session=session, entity=entity, entity_id=entity_id, limit=limit, before_id=before_id
    )
    return [AuditPublic.model_validate(e) for e in entries]

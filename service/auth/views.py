from fastapi import APIRouter

from service.auth import service
from service.auth.deps import AdminKey
from service.auth.models import KeyCreate, KeyCreated, KeyPublic
from service.deps import IntId, SessionDep

router = APIRouter()


@router.post("", status_code=201, response_model=KeyCreated)
def create_key(key_in: KeyCreate, session: SessionDep, _admin: AdminKey) -> KeyCreated:
    """The new key is in `key`, shown this once; only its hash is stored."""
    api_key, plain = service.create_key(
        session=session,
        role=key_in.role,
        name=key_in.name,
        issuer=key_in.issuer,
        fleet_ids=key_in.fleet_ids,
        expires_at=key_in.expires_at,
    )
    return KeyCreated.model_validate(api_key, update={"key": plain})


@router.get("", response_model=list[KeyPublic])
def list_keys(session: SessionDep, _admin: AdminKey) -> list[KeyPublic]:
    return [KeyPublic.model_validate(k) for k in service.list_keys(session=session)]


@router.post("/{key_id}/revoke", response_model=KeyPublic)
def revoke_key(key_id: IntId, session: SessionDep, _admin: AdminKey) -> KeyPublic:
    return KeyPublic.model_validate(service.revoke_key(session=session, key_id=key_id))

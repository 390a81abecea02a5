import hashlib
import secrets

from sqlmodel import Session, select

from service.auth.models import ApiKey, Role
from service.errors import Invalid

KEY_PREFIX = "ebv_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    *, session: Session, role: Role, name: str, issuer: str | None = None, fleet_ids: list[str] | None = None
) -> tuple[ApiKey, str]:
    """Store a new key (hashed) and return it with the plain key, which is shown only once."""
    fleet_ids = list(fleet_ids or [])
    if role is Role.police and not issuer:
        raise Invalid("a police key needs an issuer (the police unit it speaks for)")
    if role is Role.operator and not fleet_ids:
        raise Invalid("an operator key needs at least one fleet")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(name=name, role=role, issuer=issuer, fleet_ids=fleet_ids, key_hash=hash_key(plain))
    session.add(api_key)
    session.commit()
    session.refresh(api_key)
    return api_key, plain


def find_key(*, session: Session, plain: str) -> ApiKey | None:
    api_key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(plain))).first()
    if api_key is None or api_key.revoked_at is not None:
        return None
    return api_key

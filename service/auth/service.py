import hashlib
import secrets
import time

from sqlalchemy.engine import Engine
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


class KeyCache:
    """Keys seen in the last `ttl_s` seconds, by hash, so the lock-event path skips a database lookup per
    request; a revoked key stops working within `ttl_s` (the snapshot has the same delay)."""

    def __init__(self, ttl_s: float = 1.0, max_keys: int = 10_000) -> None:
        self._ttl = ttl_s
        self._max = max_keys
        self._keys: dict[str, tuple[float, ApiKey | None]] = {}

    def get(self, digest: str) -> tuple[bool, ApiKey | None]:
        """(known, key): a fresh entry may say that no such key exists."""
        entry = self._keys.get(digest)
        if entry is None or time.monotonic() - entry[0] > self._ttl:
            return False, None
        return True, entry[1]

    def put(self, digest: str, api_key: ApiKey | None) -> None:
        if len(self._keys) >= self._max:
            self._keys.clear()
        self._keys[digest] = (time.monotonic(), api_key)


def load_key(*, engine: Engine, digest: str) -> ApiKey | None:
    with Session(engine) as session:
        api_key = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
        if api_key is None or api_key.revoked_at is not None:
            return None
        session.expunge(api_key)
        return api_key

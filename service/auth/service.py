import asyncio
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from service.auth.models import ApiKey, Role
from service.errors import Conflict, Invalid, NotFound
from service.fleets.models import Fleet
from service.timeutil import utcnow

KEY_PREFIX = "ebv_"
# last_used_at is a hint for admins, not an audit trail: write it at most this often per key.
LAST_USED_RESOLUTION_S = 60.0


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    *,
    session: Session,
    role: Role,
    name: str,
    issuer: str | None = None,
    fleet_ids: list[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key (hashed) and return it with the plain key, which is shown only once."""
    fleet_ids = list(dict.fromkeys(fleet_ids or []))
    if role is Role.police and not issuer:
        raise Invalid("a police key needs an issuer (the police unit it speaks for)")
    if role is Role.operator and not fleet_ids:
        raise Invalid("an operator key needs at least one fleet")
    if role is not Role.police and issuer:
        raise Invalid("only police keys have an issuer")
    if role is not Role.operator and fleet_ids:
        raise Invalid("only operator keys are bound to fleets")
    if fleet_ids:
        known = set(session.exec(select(Fleet.id).where(col(Fleet.id).in_(fleet_ids))))
        if unknown := [f for f in fleet_ids if f not in known]:
            raise Invalid(f"unknown fleets: {', '.join(unknown)}")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        name=name,
        role=role,
        issuer=issuer,
        fleet_ids=fleet_ids,
        key_hash=hash_key(plain),
        expires_at=expires_at,
    )
    session.add(api_key)
    session.commit()
    session.refresh(api_key)
    return api_key, plain


def live_key(*, session: Session, digest: str) -> ApiKey | None:
    """The key with this hash if it is live: it exists, has an id, is not revoked and has not expired (the
    one definition of a key that works)."""
    api_key = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if api_key is None or api_key.id is None or api_key.revoked_at is not None:
        return None
    if api_key.expires_at is not None and api_key.expires_at <= utcnow():
        return None
    return api_key


def find_key(*, session: Session, plain: str) -> ApiKey | None:
    return live_key(session=session, digest=hash_key(plain))


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))))


def revoke_key(*, session: Session, key_id: int) -> ApiKey:
    api_key = session.get(ApiKey, key_id)
    if api_key is None:
        raise NotFound(f"key {key_id} not found")
    if api_key.revoked_at is not None:
        raise Conflict(f"key {key_id} is already revoked")
    api_key.revoked_at = utcnow()
    session.add(api_key)
    session.commit()
    session.refresh(api_key)
    return api_key


class LastUsed:
    """Records when each key was last used, writing at most once per key per resolution period."""

    def __init__(self, resolution_s: float = LAST_USED_RESOLUTION_S) -> None:
        self._resolution = resolution_s
        self._written: dict[int, float] = {}
        self._lock = threading.Lock()

    def touch(self, session: Session, key_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._written.get(key_id, -self._resolution) < self._resolution:
                return
            self._written[key_id] = now
        session.exec(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=utcnow()))
        session.commit()


class KeyCache:
    """Keys seen in the last `ttl_s` seconds, by hash, so the lock-event path skips a database lookup per
    request; a revoked key stops working within `ttl_s` (the snapshot has the same delay)."""

    def __init__(self, ttl_s: float = 1.0, max_keys: int = 10_000) -> None:
        self._ttl = ttl_s
        self._max = max_keys
        self._keys: dict[str, tuple[float, ApiKey | None]] = {}
        self._loading: dict[str, asyncio.Future[ApiKey | None]] = {}

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

    async def get_or_load(self, digest: str, load: Callable[[], ApiKey | None]) -> ApiKey | None:
        """The key, from the cache or else from `load()`, run once off the event loop for every request
        waiting on this digest and cached. A failed load is raised to each of them and caches nothing."""
        known, api_key = self.get(digest)
        if known:
            return api_key
        pending = self._loading.get(digest)
        if pending is None:
            pending = self._loading[digest] = asyncio.ensure_future(run_in_threadpool(load))

            def loaded(done: asyncio.Future[ApiKey | None]) -> None:
                del self._loading[digest]
                if not done.cancelled() and done.exception() is None:
                    self.put(digest, done.result())

            pending.add_done_callback(loaded)
        return await asyncio.shield(pending)


def load_key(*, engine: Engine, digest: str, last_used: LastUsed) -> ApiKey | None:
    """The live key with this hash, its use recorded; None if there is none."""
    with Session(engine) as session:
        api_key = live_key(session=session, digest=digest)
        if api_key is None or api_key.id is None:
            return None
        session.expunge(api_key)
        last_used.touch(session, api_key.id)
        return api_key

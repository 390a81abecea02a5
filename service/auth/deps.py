"""Who is calling: `Authorization: Bearer <key>`, checked against the stored hashes; for reads from the
app's own pages, also the console's sign-in cookie."""

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import State

from service.audit.service import set_actor
from service.auth.models import ApiKey, Role
from service.auth.service import find_key, hash_key, load_key
from service.deps import SessionDep
from service.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An ebike-voice API key")

# The console keeps the key it was signed in with here (HttpOnly, SameSite=Strict, path /). The API takes
# it for reads only, so the pages the console links to (the coverage dashboard) need no second sign-in
# while no script can read the key, and nothing is changed on the strength of a cookie alone: every write
# needs the Authorization header (or goes through the console's own forms).
SESSION_COOKIE = "ebv_console_key"
_READS = frozenset({"GET", "HEAD"})


def current_key(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        plain = credentials.credentials
    elif request.method in _READS and (cookie := request.cookies.get(SESSION_COOKIE)):
        plain = cookie
    else:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    api_key = find_key(session=session, plain=plain)
    if api_key is None or api_key.id is None:
        raise Unauthorized("unknown, revoked or expired API key")
    session.expunge(api_key)
    request.app.state.last_used.touch(session, api_key.id)
    set_actor(session, api_key.id, f"{api_key.role.value}:{api_key.name}")
    return api_key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def require(*roles: Role) -> Callable[[ApiKey], ApiKey]:
    allowed = set(roles)

    def check(api_key: CurrentKey) -> ApiKey:
        if api_key.role not in allowed:
            names = " or ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"this needs {_article(names)} key; yours is {_article(api_key.role.value)} key")
        return api_key

    return check


AdminKey = Annotated[ApiKey, Depends(require(Role.admin))]
PoliceKey = Annotated[ApiKey, Depends(require(Role.police, Role.admin))]
OperatorKey = Annotated[ApiKey, Depends(require(Role.operator))]


async def operator_from_cache(state: State, authorization: str) -> ApiKey:
    """The operator key an `Authorization` header names, from the worker's KeyCache (no thread hop, no
    query per request), after its rate limit: for the lock-event routes, the lean one included."""
    scheme, _, plain = authorization.partition(" ")
    if scheme.lower() != "bearer" or not plain:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    digest = hash_key(plain)
    load = partial(load_key, engine=state.engine, digest=digest, last_used=state.last_used)
    api_key: ApiKey | None = await state.key_cache.get_or_load(digest, load)
    if api_key is None or api_key.id is None:
        raise Unauthorized("unknown, revoked or expired API key")
    if api_key.role is not Role.operator:
        raise Forbidden(f"this needs an operator key; yours is {_article(api_key.role.value)} key")
    state.event_rate.take(api_key.id)
    return api_key


async def cached_operator_key(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> ApiKey:
    """OperatorKey from the worker's KeyCache (operator_from_cache). `_credentials`: for the schema."""
    return await operator_from_cache(request.app.state, request.headers.get("authorization", ""))


CachedOperatorKey = Annotated[ApiKey, Depends(cached_operator_key)]

from datetime import datetime, timedelta

from fastapi import APIRouter

from service.auth.deps import AdminKey
from service.db import SessionDep
from service.errors import Invalid
from service.stats import service
from service.stats.models import Coverage
from service.timeutil import as_utc, utcnow

router = APIRouter()

DEFAULT_PERIOD = timedelta(days=30)


@router.get("/coverage", response_model=Coverage)
def get_coverage(
    session: SessionDep, _admin: AdminKey, since: datetime | None = None, until: datetime | None = None
) -> Coverage:
    """Plays per zone in [since, until); by default the last 30 days. Naive times are UTC."""
    try:
        until = as_utc(until) if until else utcnow()
        since = as_utc(since) if since else until - DEFAULT_PERIOD
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if since >= until:
        raise Invalid("since must be before until")
    return service.coverage(session=session, since=since, until=until)

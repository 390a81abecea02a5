from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service.auth.deps import AdminKey, PoliceKey
from service.auth.models import Role
from service.db import MAX_INT_ID
from service.deps import SessionDep
from service.errors import Forbidden, Invalid
from service.stats import service
from service.stats.csv import csv_response
from service.stats.models import Coverage, SloganStats, Timeseries
from service.stats.rollups import local_day
from service.timeutil import as_utc, utcnow

router = APIRouter()

DEFAULT_PERIOD = timedelta(days=30)
DEFAULT_HOURS = timedelta(hours=48)
Format = Literal["json", "csv"]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}
}


def _period(
    since: datetime | None, until: datetime | None, default: timedelta = DEFAULT_PERIOD
) -> tuple[datetime, datetime]:
    try:
        until = as_utc(until) if until else utcnow()
        since = as_utc(since) if since else until - default
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if since >= until:
        raise Invalid("since must be before until")
    return since, until


@router.get("/coverage", response_model=Coverage, responses=CSV)
def get_coverage(
    session: SessionDep,
    _admin: AdminKey,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    fleet_id: Annotated[str | None, Query(max_length=100)] = None,
    zone_kind: Annotated[str | None, Query(max_length=40)] = None,
    slogan_id: Annotated[int | None, Query(ge=1, le=MAX_INT_ID)] = None,
    format: Format = "json",
) -> Coverage | Response:
    """Plays per zone in [since, until); by default the last 30 days. Naive times are local."""
    since, until = _period(since, until)
    report = service.coverage(
        session=session,
        since=since,
        until=until,
        tz=request.app.state.settings.tz,
        fleet_id=fleet_id,
        zone_kind=zone_kind,
        slogan_id=slogan_id,
    )
    if format == "csv":
        header = ["zone_id", "name", "kind", "plays", "confirmed_plays", "unique_bikes", "slogans"]
        return csv_response(
            "coverage.csv",
            [*header, "last_play_at"],
            ([*(getattr(z, h) for h in header), z.last_play_at] for z in report.zones),
        )
    return report


@router.get("/timeseries", response_model=Timeseries, responses=CSV)
def get_timeseries(
    session: SessionDep,
    api_key: PoliceKey,
    request: Request,
    bucket: service.Bucket = "day",
    since: datetime | None = None,
    until: datetime | None = None,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    slogan_id: Annotated[int | None, Query(ge=1, le=MAX_INT_ID)] = None,
    fleet_id: Annotated[str | None, Query(max_length=100)] = None,
    format: Format = "json",
) -> Timeseries | Response:
    """Plays and confirmed plays per hour or per local day (EBIKE_VOICE_TIMEZONE), every bucket of the
    period included; the period is widened to whole buckets. Police see their own slogans only."""
    tz = request.app.state.settings.tz
    since, until = _period(since, until, DEFAULT_HOURS if bucket == "hour" else DEFAULT_PERIOD)
    since, until = service.align(since, until, bucket, tz)
    if len(service.bucket_starts(since, until, bucket, tz)) > service.MAX_BUCKETS:
        raise Invalid(f"at most {service.MAX_BUCKETS} buckets; ask for a shorter period or bigger buckets")
    slogan_ids = None if slogan_id is None else frozenset({slogan_id})
    if api_key.role is Role.police:
        own = service.issuer_slogan_ids(session=session, issuer=api_key.issuer or "")
        if slogan_id is not None and slogan_id not in own:
            raise Forbidden("police keys see the reach of their own slogans only")
        slogan_ids = slogan_ids or own
    filters = service.Filters(fleet_id=fleet_id, slogan_ids=slogan_ids)
    series = service.timeseries(
        session=session, since=since, until=until, bucket=bucket, tz=tz, zone_id=zone_id, filters=filters
    )
    if format == "csv":
        if bucket == "day":  # each day labelled by its local date, as people name it
            days = ([local_day(p.t, tz), p.plays, p.confirmed_plays] for p in series.points)
            return csv_response("timeseries-day.csv", ["day", "plays", "confirmed_plays"], days)
        rows = ([p.t, p.plays, p.confirmed_plays] for p in series.points)
        return csv_response(f"timeseries-{bucket}.csv", ["t", "plays", "confirmed_plays"], rows)
    return series


@router.get("/slogans", response_model=SloganStats, responses=CSV)
def get_slogans(
    session: SessionDep,
    api_key: PoliceKey,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Format = "json",
) -> SloganStats | Response:
    """Per slogan: plays, confirmed plays, zones reached, distinct bikes, first and last play in
    [since, until) (default the last 30 days). Police see their own slogans only."""
    since, until = _period(since, until)
    issuer = api_key.issuer or "" if api_key.role is Role.police else None
    stats = service.slogan_stats(
        session=session, since=since, until=until, tz=request.app.state.settings.tz, issuer=issuer
    )
    if format == "csv":
        header = ["slogan_id", "text", "issuer", "plays", "confirmed_plays", "zones_reached", "unique_bikes"]
        rows = ([*(getattr(s, h) for h in header), s.first_play_at, s.last_play_at] for s in stats.slogans)
        return csv_response("slogans.csv", [*header, "first_play_at", "last_play_at"], rows)
    return stats

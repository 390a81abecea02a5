"""Time: aware UTC datetimes inside (Python and both databases); the deployment's local time
(EBIKE_VOICE_TIMEZONE, default Asia/Shanghai) at the edges. A time a client sends without an offset is read
on the local clock, and every time the API answers with carries the local offset (RFC 3339)."""

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, WithJsonSchema
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class _LocalZone:
    """The deployment's time zone: the app sets it from its settings at start (use_local_zone); scripts get
    the environment's."""

    zone: ZoneInfo | None = None


def use_local_zone(zone: ZoneInfo) -> None:
    _LocalZone.zone = zone


def local_zone() -> ZoneInfo:
    if _LocalZone.zone is None:
        from service.config import get_settings

        _LocalZone.zone = get_settings().tz
    return _LocalZone.zone


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """A time a client sent: naive is read on the local clock, aware is converted. Times outside the years
    2000-2099 are refused (ValueError): they are typing errors, and some overflow when converted."""
    try:
        value = (value.replace(tzinfo=local_zone()) if value.tzinfo is None else value).astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range: use a date in the years 2000 to 2099") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError("time out of range: use a date in the years 2000 to 2099")
    return value


# How people type and read a local time in the pages: 2026-12-01 08:00, whatever their browser's locale.
LOCAL_INPUT_FORMAT = "%Y-%m-%d %H:%M"
_TYPED = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"  # the date
    r"(?:(?:\s+|\s*T\s*)(\d{1,2}):(\d{2}))?"  # the time of day, if any
)


def parse_typed_time(value: str, zone: ZoneInfo) -> datetime:
    """A time a person typed, on the clock of `zone`: 2026-12-01 08:00, also 2026/12/1 8:00, 2026年12月1日
    8:00, full-width digits or colon (a Chinese input method's), or a date alone (its midnight).
    ValueError for anything else: never guessed from a locale (01/12 is January in one, December in
    another)."""
    match = _TYPED.fullmatch(unicodedata.normalize("NFKC", value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a time YYYY-MM-DD HH:MM")
    year, month, day, hour, minute = (int(part) if part else 0 for part in match.groups())
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def local_iso(value: datetime, timespec: str = "auto") -> str:
    """RFC 3339 with the local offset: 2026-12-01T08:00:00+08:00."""
    return value.astimezone(local_zone()).isoformat(timespec=timespec)


def not_ahead(value: datetime, name: str, limit: timedelta) -> datetime:
    """A client's time (as as_utc reads it) no further than `limit` ahead of the server's clock; the error
    says how it was read, since a naive time read on the wrong clock is the usual cause."""
    at = as_utc(value)
    ahead = at - utcnow()
    if ahead > limit:
        minutes, hours = round(ahead.total_seconds() / 60), ahead.total_seconds() / 3600
        amount = f"{minutes} min" if minutes < 60 else f"{hours:.1f} h".replace(".0 h", " h")
        naive = " (no offset given: read on the local clock)" if value.tzinfo is None else ""
        raise ValueError(
            f"{name} read as {local_iso(at.replace(microsecond=0))}{naive}, {amount} ahead of the server's "
            f"clock; at most {limit.total_seconds() / 60:.0f} min ahead is taken"
        )
    return at


def _json_time(value: datetime) -> str:
    return local_iso(value)


# Every datetime the API answers with: shown on the local clock, with its offset.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(_json_time, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as UTC (SQLite keeps no zone), always read back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _to_utc(value)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else _to_utc(value)

"""Aware UTC datetimes everywhere: in the API, in Python and in both databases."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """A time a client sent: naive is taken as UTC, aware is converted. Times outside the years 2000-2099
    are refused (ValueError): they are typing errors, and some overflow when converted."""
    try:
        value = _to_utc(value)
    except OverflowError:
        raise ValueError("time out of range: use a date in the years 2000 to 2099") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError("time out of range: use a date in the years 2000 to 2099")
    return value


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as UTC (SQLite keeps no zone), always read back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]  # noqa: ARG002
        if value is None:
            return None
        value = _to_utc(value)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]  # noqa: ARG002
        return None if value is None else _to_utc(value)

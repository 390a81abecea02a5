"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL for scale."""

from enum import StrEnum

from sqlalchemy import Enum as SAEnum
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine


def normalize_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        # A connection per request thread (up to 40) plus the event writer, kept open: opening one costs a
        # file open and the pragmas below.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=48,
            max_overflow=0,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]  # SQLAlchemy's event hooks are untyped
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: an answered event survives power loss, not only a process crash.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def str_enum(enum_cls: type[StrEnum]) -> SAEnum:
    """A StrEnum stored as its value in a plain VARCHAR: no native PostgreSQL ENUM types to migrate."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


# Integer keys as clients may send them: SQLite and PostgreSQL INTEGER columns stop at 2**31 - 1.
MAX_INT_ID = 2_147_483_647

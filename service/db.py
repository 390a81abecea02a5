"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL for scale."""

import fcntl
import os
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
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: an answered event survives power loss, not only a process crash.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class WriterTurn:
    """Whole-process turns at writing an SQLite database, for writers that write in rounds (the event
    pipeline of each worker process). SQLite lets one connection write at a time and makes the others
    retry on a sleeping timer (1, 2, 5, 10 ms, …), which with several workers made rounds wait far longer
    than the round they waited for. An exclusive lock on a file next to the database hands the turn over
    the moment it is released. Nothing to do on other databases (PostgreSQL locks rows)."""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        in_memory = not database or database == ":memory:" or engine.url.query.get("mode") == "memory"
        self._path = None if in_memory else f"{database}-writer.lock"
        self._fd: int | None = None
        self._held = False

    def __enter__(self) -> None:
        if self._path is None:
            return
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # no database directory (yet): the round fails on SQLite's own error
                return
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # waits without holding the interpreter lock
        self._held = True

    def __exit__(self, *_exc: object) -> None:
        if self._held:
            self._held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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

"""The hot statements that skip SQLAlchemy's value processing must store exactly what SQLAlchemy stores:
the same text for a time on SQLite (the stats compare and sort it as text), the same JSON, enum values."""

import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Engine

from service.clips.models import LockEvent
from service.fastsql import FastStatement, lock_for_writing, select_keys
from service.fleets.models import Bike
from service.stats.models import PlayHourly

hourly: Any = PlayHourly.__table__  # type: ignore[attr-defined]
bikes: Any = Bike.__table__  # type: ignore[attr-defined]


def _fast_insert(table: Any) -> FastStatement:
    return FastStatement(lambda _dialect: insert(table).values({c.name: bindparam(c.name) for c in table.c}))


def _raw(engine: Engine, table: str, order: str) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them: no SQLAlchemy type processing on the way back either."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}")]


@pytest.mark.usefixtures("fleet")
def test_fast_rows_are_stored_as_sqlalchemy_stores_them(engine: Engine) -> None:
    east8 = timezone(timedelta(hours=8))
    at = datetime(2026, 11, 29, 16, 5, 7, tzinfo=east8)  # 08:05:07 UTC, no microseconds: the tricky case
    values = {"zone_id": "home", "slogan_id": 3, "fleet_id": "beiting", "event": LockEvent.unlock,
              "plays": 2, "confirmed_plays": 1, "first_play_at": at,
              "last_play_at": at + timedelta(seconds=1)}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(hourly), [{**values, "hour": datetime(2026, 11, 29, 8, tzinfo=UTC)}])
        _fast_insert(hourly).run(conn, [{**values, "hour": datetime(2026, 11, 29, 9, tzinfo=UTC)}])
        conn.execute(insert(bikes), [{"fleet_id": "beiting", "bike_id": "a", "plays_day": date(2026, 11, 29),
                                      "plays_today": {"3": 2}, "last_seen_at": at}])  # fmt: skip
        _fast_insert(bikes).run(conn, [{"fleet_id": "beiting", "bike_id": "b", "last_slogan_id": None,
                                        "last_zone_id": None, "plays_day": date(2026, 11, 29),
                                        "plays_today": {"3": 2}, "last_seen_at": at}])  # fmt: skip
    (core_hour, *core), (fast_hour, *fast) = _raw(engine, "play_hourly", "hour")
    assert fast == core
    assert type(fast_hour) is type(core_hour) and str(fast_hour) == str(core_hour).replace(" 08:", " 09:")
    core_bike, fast_bike = _raw(engine, "bike", "bike_id")
    assert fast_bike[2:] == core_bike[2:]
    with engine.connect() as conn:  # and read back through SQLAlchemy, as aware UTC
        first = conn.execute(select(hourly.c.first_play_at).order_by(hourly.c.hour)).scalars().all()
    assert first == [at.astimezone(UTC)] * 2


def test_select_keys_finds_exactly_the_keys_asked_for(
    client: TestClient, admin: dict[str, str], engine: Engine
) -> None:
    for fleet in ("f", "g"):
        response = client.post(
            "/v1/fleets", json={"id": fleet, "name": fleet, "operator": "o"}, headers=admin
        )
        assert response.status_code == 201, response.text
    with engine.begin() as conn:
        _fast_insert(bikes).run(
            conn,
            [
                {
                    "fleet_id": f,
                    "bike_id": b,
                    "last_slogan_id": n,
                    "last_zone_id": None,
                    "plays_day": None,
                    "plays_today": {},
                    "last_seen_at": None,
                }  # fmt: skip
                for n, (f, b) in enumerate([("f", "a"), ("f", "b"), ("g", "a"), ("g", "b")])
            ],
        )
        found = select_keys(
            conn, "bike", ("fleet_id", "bike_id"), ("last_slogan_id",), [("f", "a"), ("g", "b"), ("h", "z")]
        )
    # (f, b) and (g, a) match each column's IN list but are not keys asked for.
    assert found == {("f", "a"): (0,), ("g", "b"): (3,)}


def test_a_transaction_locked_for_writing_keeps_other_writers_out_from_its_first_read(
    engine: Engine,
) -> None:
    """What the event pipeline reads before it writes cannot be changed by another writer meanwhile
    (SQLite: BEGIN IMMEDIATE; without it the driver begins the transaction at the first write)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL locks the rows it reads (FOR UPDATE)")  # the PG run tests those
    with engine.connect() as pipeline:
        lock_for_writing(pipeline)
        select_keys(pipeline, "bike", ("fleet_id", "bike_id"), ("last_slogan_id",), [("f", "a")])
        other = sqlite3.connect(engine.url.database, timeout=0.2)  # type: ignore[arg-type]
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO fleet (id, name, operator) VALUES ('x', 'x', 'x')")
        finally:
            other.close()
        pipeline.rollback()

"""PostgreSQL's event log: one partition per month, made when needed, idempotent across months through
event_key, dropped whole by retention while the stats stay; and migration 0006 keeps the rows."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import Session

from service.db import make_engine
from service.events.models import EventKey, LockEventLog
from service.events.partitions import month_of, next_month, partition_name
from service.events.service import drop_old_events
from service.events.writer import write_events
from service.migrate import alembic_config
from service.stats.models import PlayHourly, ZoneDaily
from service.timeutil import utcnow
from tests.conftest import postgres_database, postgres_only
from tests.events.test_events import event, world  # noqa: F401  (world: a fixture)
from tests.events.test_group_commit import TZ, _count, _row
from tests.helpers import months_ago

pytestmark = postgres_only

_KIND = text("SELECT relkind FROM pg_class WHERE relname = 'lock_event'")
_INSERT = (
    "INSERT INTO lock_event (operator, event_id, fleet_id, bike_id, event, lat, lon, occurred_at, "
    "received_at, zone_id, bike_no) VALUES "
)


def _partition_of(engine: Any, event_id: str) -> list[str]:
    with engine.connect() as conn:
        query = text("SELECT tableoid::regclass::text FROM lock_event WHERE event_id = :id")
        return list(conn.execute(query, {"id": event_id}).scalars())


def _exists(engine: Any, table: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar_one()


@pytest.mark.usefixtures("world")
def test_the_log_is_partitioned_and_events_land_in_their_month(
    client: TestClient, operator: dict[str, str], engine: Any
) -> None:
    with engine.connect() as conn:
        assert conn.execute(_KIND).scalar_one() == "p"
    last_month = months_ago(1)
    assert client.post("/v1/events", json=event(1), headers=operator).status_code == 200
    late = event(2, occurred_at=last_month.isoformat())  # an offline lock's backlog
    assert client.post("/v1/events", json=late, headers=operator).status_code == 200
    now = datetime.fromisoformat(event(1)["occurred_at"])
    assert _partition_of(engine, "e1") == [partition_name(month_of(now))]
    assert _partition_of(engine, "e2") == [partition_name(month_of(last_month))]


@pytest.mark.usefixtures("world")
def test_an_event_in_a_month_without_a_partition_makes_it(
    client: TestClient, operator: dict[str, str], engine: Any
) -> None:
    assert not _exists(engine, "lock_event_y2003m05")
    body = event(1, occurred_at="2003-05-31T23:59:59+00:00")
    response = client.post("/v1/events", json=body, headers=operator)
    assert response.status_code == 200, response.text
    assert _partition_of(engine, "e1") == ["lock_event_y2003m05"]
    # The same month again, from the batch route: the partition is there, nothing to make.
    batch = {"events": [event(2, occurred_at="2003-05-01T00:00:00+00:00")]}
    assert "error" not in client.post("/v1/events/batch", json=batch, headers=operator).json()["results"][0]
    assert _partition_of(engine, "e2") == ["lock_event_y2003m05"]


@pytest.mark.usefixtures("world")
def test_an_event_id_again_in_another_month_is_logged_once(
    client: TestClient, operator: dict[str, str], engine: Any
) -> None:
    first = client.post("/v1/events", json=event(1), headers=operator)
    assert first.status_code == 200
    # Another time (another month): the first answer, as for any retry of the same bike and event.
    later = event(1, occurred_at="2003-06-01T08:00:00+00:00")
    again = client.post("/v1/events", json=later, headers=operator)
    assert again.json() == first.json()
    other_bike = event(1, bike="B2", occurred_at="2003-07-01T08:00:00+00:00")
    assert client.post("/v1/events", json=other_bike, headers=operator).status_code == 409
    # Both in one batch, months apart: one is logged, the other answers the first answer.
    pair = [event(2, occurred_at=f"2003-{month:02d}-01T08:00:00+00:00") for month in (8, 9)]
    results = client.post("/v1/events/batch", json={"events": pair}, headers=operator).json()["results"]
    assert results[0] == results[1] and "error" not in results[0]
    for event_id in ("e1", "e2"):
        assert len(_partition_of(engine, event_id)) == 1
    assert _count(engine, select(func.count()).select_from(EventKey)) == 2
    assert _count(engine, select(func.sum(PlayHourly.plays))) == 2


@pytest.mark.usefixtures("fleet")
def test_two_workers_racing_on_the_same_ids_in_different_months_log_each_once(engine: Any) -> None:
    """Two workers (or nodes) log the same event ids at once, one with this month's time and one with an
    old one: the rows would go to different partitions, and still only one of each is logged."""
    start = threading.Barrier(2)

    def log(days_ago: int) -> list[bool]:
        at = utcnow() - timedelta(days=days_ago)
        start.wait()
        new = []
        for n in range(0, 40, 4):
            rows = [{**_row(f"e{n + i}", bike=f"B{(n + i) % 7}"), "occurred_at": at} for i in range(4)]
            with engine.begin() as conn:
                new += write_events(conn, rows, TZ)
        return new

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(log, [0, 400])
    assert [a != b for a, b in zip(first, second, strict=True)] == [True] * 40
    assert _count(engine, select(func.count()).select_from(LockEventLog)) == 40
    assert _count(engine, select(func.count()).select_from(EventKey)) == 40
    assert _count(engine, select(func.sum(PlayHourly.plays))) == 40


@pytest.mark.usefixtures("world")
def test_retention_drops_old_months_whole_and_the_stats_stay(
    client: TestClient, admin: dict[str, str], engine: Any
) -> None:
    ages = (0, 1, 3, 5)  # months before this one
    rows = [{**_row(f"e{n}", bike=f"B{n}"), "occurred_at": months_ago(age)} for n, age in enumerate(ages)]
    rows[0]["occurred_at"] = utcnow() - timedelta(minutes=5)
    with engine.begin() as conn:
        assert write_events(conn, rows, TZ) == [True] * 4
    # Whole local days, so the answer comes from the rollups alone.
    today = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = today - timedelta(days=200), today + timedelta(days=1)
    period = {"since": since.isoformat(), "until": until.isoformat()}
    coverage = client.get("/v1/stats/coverage", params=period, headers=admin).json()
    assert next(z for z in coverage["zones"] if z["zone_id"] == "home")["plays"] == 4
    old = [partition_name(month_of(months_ago(age))) for age in (5, 3)]

    with Session(engine) as session:
        dropped = drop_old_events(session=session, months=2, now=utcnow())
    assert dropped.events == 2
    assert set(old) <= set(dropped.partitions)
    assert not any(_exists(engine, name) for name in old)
    this_month = month_of(utcnow())
    for month in (this_month, next_month(this_month), month_of(months_ago(1))):
        assert _exists(engine, partition_name(month))
    assert sorted(r.event_id for r in _logged(engine)) == ["e0", "e1"]
    assert _count(engine, select(func.count()).select_from(EventKey)) == 2
    assert _count(engine, select(func.sum(ZoneDaily.plays))) == 4
    assert client.get("/v1/stats/coverage", params=period, headers=admin).json() == coverage
    # A retry of a dropped event is no longer known: it is logged again, as new.
    with engine.begin() as conn:
        assert write_events(conn, [rows[3]], TZ) == [True]


def _logged(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(LockEventLog.event_id)))


def test_migration_0006_keeps_the_rows_and_goes_back() -> None:
    with postgres_database() as url:
        engine = make_engine(url)
        config = alembic_config(url)
        try:
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "0005")
                rows = (
                    "('op', 'a', 'f', 'b1', 'unlock', 44, 89, '2025-01-31 23:59:59+00', now(), 'z', 1), "
                    "('op', 'b', 'f', 'b1', 'lock', 44, 89, '2026-02-01 00:00:00+00', now(), NULL, 1), "
                    "('op', 'c', 'f', 'b2', 'unlock', 44, 89, now(), now(), 'z', 2)"
                )
                conn.execute(text(_INSERT + rows))
                before = conn.execute(text("SELECT * FROM lock_event ORDER BY id")).all()
                command.upgrade(config, "head")
                assert conn.execute(_KIND).scalar() == "p"
                assert conn.execute(text("SELECT * FROM lock_event ORDER BY id")).all() == before
                assert conn.execute(text("SELECT count(*) FROM event_key")).scalar_one() == 3
            assert _partition_of(engine, "a") == ["lock_event_y2025m01"]
            assert _partition_of(engine, "b") == ["lock_event_y2026m02"]
            with engine.begin() as conn:
                added = _INSERT + "('op', 'd', 'f', 'b1', 'lock', 44, 89, now(), now(), NULL, 1) RETURNING id"
                new_id = conn.execute(text(added)).scalar_one()
                claim = "INSERT INTO event_key VALUES ('op', 'a', now()) ON CONFLICT DO NOTHING RETURNING 1"
                assert conn.execute(text(claim)).all() == []  # logged before the migration: taken
            assert new_id > max(r.id for r in before)
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.downgrade(config, "0005")
                assert conn.execute(_KIND).scalar() == "r"
                assert conn.execute(text("SELECT count(*) FROM lock_event")).scalar_one() == 4
                assert conn.execute(text("SELECT to_regclass('event_key')")).scalar() is None
        finally:
            engine.dispose()

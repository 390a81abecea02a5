"""Group commit: concurrent events share transactions, duplicates sink nothing, counts stay exact."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from service.auth.models import ApiKey, Role
from service.clips.models import LockEvent
from service.errors import ServiceError
from service.events.models import EventIn, LockEventLog
from service.events.service import EventPipeline, drop_old_events
from service.events.writer import write_events
from service.fleets.models import Bike
from service.stats.models import PlayHourly, ZoneDaily
from service.targeting.snapshot import SnapshotHolder
from tests.events.test_events import event, world  # noqa: F401  (world: a fixture)

TZ = ZoneInfo("Asia/Shanghai")


def _row(event_id: str, bike: str = "B1", minutes_ago: float = 10, clip: int | None = 1) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "operator": "北庭出行公司", "event_id": event_id, "fleet_id": "beiting", "bike_id": bike,
        "event": LockEvent.unlock, "lat": 44.0, "lon": 89.18, "occurred_at": at, "received_at": at,
        "zone_id": "home", "campaign_id": 1, "slogan_id": 1, "clip_id": clip,
    }  # fmt: skip


def _count(engine: Any, query: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(query).one()[0] or 0)


@pytest.mark.usefixtures("world")
def test_concurrent_events_share_commits_and_all_count(
    client: TestClient, operator: dict[str, str], admin: dict[str, str], engine: Any
) -> None:
    pipeline: EventPipeline = client.app.state.event_pipeline  # type: ignore[attr-defined]
    before = pipeline.rounds
    with ThreadPoolExecutor(16) as pool:
        responses = list(
            pool.map(
                lambda n: client.post("/v1/events", json=event(n, bike=f"B{n}"), headers=operator), range(60)
            )
        )
    assert all(r.status_code == 200 for r in responses)
    assert pipeline.rounds - before < 60, "every event paid its own commit"
    assert _count(engine, select(func.count()).select_from(LockEventLog)) == 60
    assert _count(engine, select(func.sum(PlayHourly.plays))) == 60
    home = next(
        z for z in client.get("/v1/stats/coverage", headers=admin).json()["zones"] if z["zone_id"] == "home"
    )
    assert (home["plays"], home["unique_bikes"]) == (60, 60)


@pytest.mark.usefixtures("fleet")
def test_a_duplicate_in_a_batch_sinks_nothing(engine: Any) -> None:
    rows = [_row("a"), _row("b", bike="B2"), _row("a"), _row("c", bike="B3", clip=None)]
    with engine.begin() as conn:
        assert write_events(conn, rows, TZ) == [True, True, False, True]
    with engine.begin() as conn:
        assert write_events(conn, [_row("b", bike="B2"), _row("d")], TZ) == [False, True]
    assert _count(engine, select(func.count()).select_from(LockEventLog)) == 4
    assert _count(engine, select(func.sum(PlayHourly.plays))) == 3  # c had no clip
    assert _count(engine, select(func.sum(ZoneDaily.plays))) == 3


@pytest.mark.usefixtures("world")
def test_two_workers_racing_on_the_same_ids_log_each_once(client: TestClient, engine: Any) -> None:
    """Two workers' pipelines (two threads, two connections, their own snapshots) receive the same client
    retries at the same time: each event is logged and counted once, and both answer it alike."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    key = ApiKey(id=1, name="op", role=Role.operator, key_hash="x", fleet_ids=["beiting"])
    pipelines = [
        EventPipeline(engine, SnapshotHolder(engine, settings), random.Random(n), TZ) for n in range(2)
    ]
    start = threading.Barrier(2)

    def send(pipeline: EventPipeline) -> list[Any]:
        start.wait()
        answers = []
        for n in range(0, 40, 4):
            events = [EventIn.model_validate(event(n + i, bike=f"B{(n + i) % 7}")) for i in range(4)]
            answers += pipeline.call([(e, key) for e in events])
        return answers

    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(send, pipelines)
    finally:
        for pipeline in pipelines:
            pipeline.close()
    assert [a.model_dump() for a in first] == [b.model_dump() for b in second]
    assert _count(engine, select(func.count()).select_from(LockEventLog)) == 40
    assert _count(engine, select(func.sum(PlayHourly.plays))) == 40
    assert _count(engine, select(func.count()).select_from(Bike)) == 7


@pytest.mark.usefixtures("fleet")
def test_an_old_event_does_not_move_the_bike_back(engine: Any) -> None:
    with engine.begin() as conn:
        write_events(conn, [_row("new", minutes_ago=1)], TZ)
        write_events(conn, [{**_row("old", minutes_ago=600), "zone_id": "station", "slogan_id": 2}], TZ)
    with Session(engine) as session:
        bike = session.get(Bike, ("beiting", "B1"))
        assert bike is not None and (bike.last_zone_id, bike.last_slogan_id) == ("home", 1)


@pytest.mark.usefixtures("fleet")
def test_retention_drops_old_months_of_the_log_and_keeps_the_stats(engine: Any) -> None:
    now = datetime(2026, 11, 15, tzinfo=UTC)
    rows = [
        {**_row(f"e{n}", bike=f"B{n}"), "occurred_at": now - timedelta(days=days)}
        for n, days in enumerate((1, 20, 40, 70, 100))
    ]
    with engine.begin() as conn:
        write_events(conn, rows, TZ)
    with Session(engine) as session:
        with pytest.raises(ServiceError):
            drop_old_events(session=session, months=0, now=now)
        assert drop_old_events(session=session, months=2, now=now).events == 2  # before October
    assert _count(engine, select(func.count()).select_from(LockEventLog)) == 3
    assert _count(engine, select(func.sum(ZoneDaily.plays))) == 5

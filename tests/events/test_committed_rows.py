"""The event pipeline's memory of the rows it wrote (service.fastsql.CommittedRows, SQLite): it is what the
database holds, it yields to any other writer's commit, and a failed round forgets it."""

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyroaring import BitMap
from sqlalchemy import text
from sqlmodel import Session

from service.auth.models import ApiKey, Role
from service.errors import ServiceError
from service.events import writer
from service.events.models import EventIn
from service.events.service import EventPipeline
from service.events.writer import LogRace, read_bikes
from service.stats.models import ZoneDaily
from service.targeting.snapshot import SnapshotHolder
from tests.events.test_events import NOW, event, world  # noqa: F401  (world: a fixture)
from tests.events.test_group_commit import TZ

KEY = ApiKey(id=1, name="op", role=Role.operator, key_hash="x", fleet_ids=["beiting"])
ROLLUP_KEYS = {"play_daily": ("day", "zone_id", "fleet_id", "slogan_id"), "zone_daily": ("day", "zone_id")}


@pytest.fixture
def pipeline(client: TestClient, engine: Any) -> Iterator[EventPipeline]:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL every round reads the rows it locks")  # the PG run tests that
    settings = client.app.state.settings  # type: ignore[attr-defined]
    pipeline = EventPipeline(engine, SnapshotHolder(engine, settings), random.Random(1), TZ)
    yield pipeline
    pipeline.close()


def _send(pipeline: EventPipeline, *events: dict[str, Any]) -> list[Any]:
    return pipeline.call([(EventIn.model_validate(e), KEY) for e in events])


def _remembered(pipeline: EventPipeline) -> dict[tuple[str, Any], Any]:
    return dict(pipeline._rounds._cache._rows)  # type: ignore[union-attr]


def _zone_bikes(engine: Any, zone: str) -> BitMap:
    with engine.connect() as conn:
        (blob,) = conn.execute(text("SELECT bikes FROM zone_daily WHERE zone_id = :z"), {"z": zone}).one()
    return BitMap.deserialize(blob)


@pytest.mark.usefixtures("world")
def test_what_a_pipeline_remembers_is_what_the_database_holds(pipeline: EventPipeline, engine: Any) -> None:
    late = (NOW - timedelta(hours=5)).isoformat()  # an offline lock's backlog: must not move the bike back
    yesterday = (NOW - timedelta(days=1)).isoformat()
    _send(pipeline, *[event(n, bike=f"B{n % 3}") for n in range(6)])  # each bike twice in one round
    _send(pipeline, event(10, bike="B1"), event(11, bike="B3", occurred_at=late))
    _send(pipeline, event(12, bike="B1", occurred_at=late), event(13, bike="B2", occurred_at=yesterday))
    remembered = _remembered(pipeline)
    bikes = {key: row for (table, key), row in remembered.items() if table == "bike"}
    assert set(bikes) == {("beiting", f"B{n}") for n in range(4)}
    with engine.connect() as conn:
        assert read_bikes(conn, list(bikes)) == bikes
        for table in ("play_daily", "zone_daily"):
            kept = {key: bitmaps for (name, key), bitmaps in remembered.items() if name == table}
            assert kept, f"nothing remembered of {table}"
            columns = "bikes, slogans" if table == "zone_daily" else "bikes"
            for key, bitmaps in kept.items():
                where = " AND ".join(f"{column} = :k{i}" for i, column in enumerate(ROLLUP_KEYS[table]))
                params = {f"k{i}": part.isoformat() if i == 0 else part for i, part in enumerate(key)}
                stored = conn.execute(text(f"SELECT {columns} FROM {table} WHERE {where}"), params).one()
                assert tuple(BitMap.deserialize(blob) for blob in stored) == bitmaps


@pytest.mark.usefixtures("world")
def test_another_writers_commit_is_not_overwritten(pipeline: EventPipeline, engine: Any) -> None:
    _send(pipeline, event(1, bike="B1"))
    first = _zone_bikes(engine, "home")
    assert len(first) == 1
    # Another worker (another connection) counts bike number 999 into the same zone and day.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE zone_daily SET bikes = :b WHERE zone_id = 'home'"),
            {"b": (first | BitMap([999])).serialize()},
        )
    _send(pipeline, event(2, bike="B2"))
    after = _zone_bikes(engine, "home")
    assert 999 in after and first <= after and len(after) == 3


@pytest.mark.usefixtures("world")
def test_a_failed_round_forgets_everything(
    pipeline: EventPipeline, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = NOW - timedelta(minutes=30)  # one day for all three events, even just after midnight in Shanghai
    _send(pipeline, event(1, bike="B1", occurred_at=at.isoformat()))
    assert _remembered(pipeline)

    class Racing:
        def run(self, *_args: Any) -> int:
            raise LogRace("another writer logged an id meanwhile")

    monkeypatch.setattr(writer, "_log_checked", Racing())
    with pytest.raises(ServiceError) as failed:
        _send(pipeline, event(2, bike="B2", occurred_at=at.isoformat()))
    assert failed.value.status_code == 503
    assert _remembered(pipeline) == {}
    monkeypatch.undo()
    _send(pipeline, event(3, bike="B3", occurred_at=at.isoformat()))
    assert len(_zone_bikes(engine, "home")) == 2  # B1 and B3: read again from the database
    with Session(engine) as session:
        assert session.get(ZoneDaily, (at.astimezone(TZ).date(), "home")) is not None

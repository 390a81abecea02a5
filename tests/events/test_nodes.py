"""Two nodes (two real server processes) on one PostgreSQL database, behind a round-robin balancer: every
event is logged and counted once, whichever node got it first, and a change made through one node is in
the other's answers within the snapshot check interval."""

import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from service.config import Settings
from service.events.models import EventKey, LockEventLog
from service.stats.models import PlayHourly
from tests.conftest import postgres_only
from tests.events.test_crash import _start
from tests.events.test_events import LAT, LON
from tests.helpers import approved_slogan, collection, feature, square
from tests.test_serve import _free_port

pytestmark = postgres_only

EVENTS = 150
BIKES = 30
CHECK_INTERVAL_S = 0.5


@pytest.fixture
def nodes(settings: Settings, tmp_path: Path) -> Iterator[list[httpx.Client]]:
    """Two servers on the test database and data dir (so they serve the clips the test made), and a
    client for each."""
    env = {
        **os.environ,
        "EBIKE_VOICE_DATA_DIR": str(settings.data_dir),
        "EBIKE_VOICE_DATABASE_URL": settings.effective_database_url,
        "EBIKE_VOICE_TTS_ENGINES": "espeak",
        "EBIKE_VOICE_SNAPSHOT_CHECK_INTERVAL_S": str(CHECK_INTERVAL_S),
    }
    servers = []
    clients = []
    try:
        for port in (_free_port(), _free_port()):
            servers.append(_start(env, port, tmp_path / f"node-{port}.log"))
            clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30))
        yield clients
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def _event(n: int, at: datetime) -> dict[str, Any]:
    return {"event_id": f"n-{n}", "bike_id": f"B{n % BIKES}", "fleet_id": "beiting", "event": "unlock",
            "lat": LAT, "lon": LON, "occurred_at": at.isoformat()}  # fmt: skip


def test_two_nodes_log_every_event_once_and_see_each_others_changes(
    client: TestClient,
    admin: dict[str, str],
    police: dict[str, str],
    operator: dict[str, str],
    engine: Any,
    nodes: list[httpx.Client],
) -> None:
    zones = collection(feature("home", square(LON, LAT)))
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    first = approved_slogan(client, police, admin, "网络汇款需谨慎。")["id"]
    second = approved_slogan(client, police, admin, "网恋交友谈钱的都是骗子。")["id"]
    created = client.post("/v1/campaigns", json={"name": "常规", "slogan_ids": [first]}, headers=admin)
    assert created.status_code == 201
    node_a, node_b = nodes

    # Each event id goes to both nodes at once, first to one, then to the other, like a client retrying
    # through a round-robin balancer.
    start = datetime.now(UTC) - timedelta(minutes=30)
    sends = [
        (n, node) for n in range(EVENTS) for node in ((node_a, node_b) if n % 2 == 0 else (node_b, node_a))
    ]
    with ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(lambda s: s[1].post("/v1/events", json=_event(s[0], start), headers=operator), sends)
        )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    for n in range(EVENTS):
        assert answers[2 * n].json() == answers[2 * n + 1].json(), "the two nodes answered differently"
        assert answers[2 * n].json()["slogan_id"] == first

    with Session(engine) as session:
        logged = Counter(session.exec(select(LockEventLog.event_id)).scalars())
        keys = session.exec(select(func.count()).select_from(EventKey)).one()[0]
        plays = session.exec(select(func.sum(PlayHourly.plays))).one()[0]
    assert logged == Counter({f"n-{n}": 1 for n in range(EVENTS)})
    assert (keys, plays) == (EVENTS, EVENTS)
    coverage = node_b.get("/v1/stats/coverage", headers=admin).json()
    home = next(z for z in coverage["zones"] if z["zone_id"] == "home")
    assert (home["plays"], home["unique_bikes"]) == (EVENTS, BIKES)

    # A campaign made through node A: node B plays it within its snapshot check interval.
    def slogan_from_b(number: int) -> int:
        answer = node_b.post("/v1/events", json=_event(number, datetime.now(UTC)), headers=operator)
        return int(answer.json()["slogan_id"])

    urgent = {"name": "紧急", "slogan_ids": [second], "priority": "urgent"}
    made = node_a.post("/v1/campaigns", json=urgent, headers=admin)
    assert made.status_code == 201, made.text
    changed = time.monotonic()
    n = EVENTS
    while slogan_from_b(n) != second:
        assert time.monotonic() - changed < CHECK_INTERVAL_S + 1.5, "node B still answers the old campaign"
        n += 1
        time.sleep(0.02)
    assert [slogan_from_b(n + i) for i in range(1, 6)] == [second] * 5

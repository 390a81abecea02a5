"""Lock events decided and logged by a writer process (service/events/writer_process.py), as `ebike-voice
serve` runs them: the same answers as the in-process pipeline, a dead child replaced, and the worker's
changes seen by the child at once."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from service.auth.models import ApiKey, Role
from service.config import Settings
from service.errors import RETRY_AFTER_S, ServiceError
from service.events.models import EventIn, EventResult, LockEventLog
from service.events.writer_process import WriterProcess
from service.interpreter import python_command, python_env
from tests.events.test_events import LAT, LON, event, world  # noqa: F401  (world: a fixture)
from tests.helpers import collection, feature, square

KEY = ApiKey(id=7, name="op", role=Role.operator, key_hash="x", fleet_ids=["beiting"])


@pytest.fixture
def writer(client: TestClient, settings: Settings) -> Iterator[WriterProcess]:
    # An hour between the child's own checks for changes: only the worker's invalidation can show them.
    slow = settings.model_copy(update={"snapshot_check_interval_s": 3600.0})
    process = WriterProcess(slow, client.app.state.snapshots)  # type: ignore[attr-defined]
    yield process
    process.close()


def _send(writer: WriterProcess, *events: dict[str, Any], key: ApiKey = KEY) -> list[Any]:
    return writer.call([(EventIn.model_validate(e), key) for e in events])


def _logged(engine: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(LockEventLog)).one()[0])


@pytest.mark.usefixtures("world")
def test_events_are_decided_and_logged_in_the_writer_process(writer: WriterProcess, engine: Any) -> None:
    assert writer.pid is not None and writer.pid != os.getpid()
    first, second = _send(writer, event(1, bike="B1"), event(2, bike="B2", kind="lock"))
    assert isinstance(first, EventResult) and first.zone_id == "home" and first.clip is not None
    assert first.clip.url == f"/v1/audio/{first.clip.sha256}.mp3" and first.text
    assert isinstance(second, EventResult) and second.event_id == "e2"
    (again,) = _send(writer, event(1, bike="B1"))  # a retry: the first answer, logged once
    assert again.model_dump() == first.model_dump()
    stranger = ApiKey(id=8, name="other", role=Role.operator, key_hash="y", fleet_ids=["tingzhou"])
    (refused,) = _send(writer, event(3, bike="B3"), key=stranger)
    assert isinstance(refused, ServiceError) and refused.status_code == 403
    assert _logged(engine) == 2


@pytest.mark.usefixtures("world")
def test_a_dead_writer_process_is_replaced(writer: WriterProcess, engine: Any) -> None:
    _send(writer, event(1, bike="B1"))
    dead = writer.pid
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    with pytest.raises(ServiceError) as lost:  # the round it would have run: retry
        _send(writer, event(2, bike="B2"))
    assert lost.value.status_code == 503 and lost.value.headers == {"Retry-After": str(RETRY_AFTER_S)}
    deadline = time.monotonic() + 60
    while True:  # a lock retries; while the new child starts it is told to retry later
        try:
            (answer,) = _send(writer, event(2, bike="B2"))
            break
        except ServiceError as busy:
            assert busy.status_code == 503 and time.monotonic() < deadline
            time.sleep(0.2)
    assert isinstance(answer, EventResult) and answer.zone_id == "home"
    assert writer.pid not in (None, dead)
    assert _logged(engine) == 2


@pytest.mark.usefixtures("world")
def test_the_workers_changes_reach_the_writer_at_once(
    writer: WriterProcess, client: TestClient, admin: dict[str, str]
) -> None:
    far = {"lon": LON + 0.5, "lat": LAT}
    (before,) = _send(writer, event(1, bike="B1", **far))
    assert before.zone_id is None
    zones = collection(feature("far", square(far["lon"], far["lat"])))
    assert client.post("/v1/zones/import", json=zones, headers=admin).status_code == 200
    (after,) = _send(writer, event(2, bike="B1", **far))
    assert after.zone_id == "far"


def test_the_writer_process_loads_none_of_the_web_app() -> None:
    """What the child imports (it starts with `import service.events.writer_process`) holds none of the
    web app (FastAPI, uvicorn), the speech engines or Alembic: each would cost every worker's writer MBs."""
    code = "import sys, service.events.writer_process; print(' '.join(sys.modules))"
    done = subprocess.run(python_command(code), env=python_env(), capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert {"sqlalchemy", "shapely", "service"} <= loaded  # what the rounds need
    web_and_speech = {"fastapi", "starlette", "uvicorn", "alembic", "edge_tts", "aiohttp", "cn2an", "pydub"}
    assert not loaded & web_and_speech

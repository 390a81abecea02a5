"""Crash safety: SIGKILL the real server in the middle of a load, restart it, and check that every event
answered 200 is in the log, once, and counted once, although the clients retried everything unanswered."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from service.db import make_engine
from service.events.models import LockEventLog
from service.stats.models import PlayHourly
from tests.test_serve import _free_port

CLIENTS = 8
EVENTS_PER_CLIENT = 60


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--no-access-log"],
            env=env,
            stdout=output,
            stderr=output,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "server did not start in 60 s"
            time.sleep(0.1)


def test_acknowledged_events_survive_sigkill(tmp_path: Path, database_url: str) -> None:
    env = {
        **os.environ,
        "EBIKE_VOICE_DATA_DIR": str(tmp_path / "data"),
        "EBIKE_VOICE_DATABASE_URL": database_url,
        "EBIKE_VOICE_TTS_ENGINES": "espeak",
    }
    demo = subprocess.run(
        [sys.executable, "-m", "service", "demo"], env=env, check=True, capture_output=True, text=True
    )
    key = re.search(r"operator key:\s+(\S+)", demo.stdout).group(1)  # type: ignore[union-attr]
    port = _free_port()
    log = tmp_path / "serve.log"
    server = _start(env, port, log)
    acked: dict[str, set[str]] = {f"c{n}": set() for n in range(CLIENTS)}
    failures: list[str] = []
    at = datetime.now(UTC).isoformat()

    def client(name: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for n in range(EVENTS_PER_CLIENT):
                body = {"event_id": f"crash-{name}-{n}", "bike_id": f"BE{n % 300 + 1:05d}",
                        "fleet_id": "beiting", "event": "unlock", "lat": 44.0, "lon": 89.18,
                        "occurred_at": at}  # fmt: skip
                while True:  # a lock retries until it gets an answer
                    try:
                        response = http.post(
                            "/v1/events", json=body, headers={"Authorization": f"Bearer {key}"}
                        )
                    except httpx.TransportError:
                        time.sleep(0.05)
                        continue
                    if response.status_code == 200:
                        acked[name].add(body["event_id"])
                        break
                    if response.status_code != 503:
                        failures.append(f"{response.status_code} {response.text}")
                        return
                    time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(name,)) for name in acked]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 120
        while sum(len(ids) for ids in acked.values()) < CLIENTS * EVENTS_PER_CLIENT // 4:
            assert not failures, failures[0]
            assert time.monotonic() < deadline, "the load did not get going"
            time.sleep(0.01)
        acked_before_kill = {i for ids in acked.values() for i in ids}
        server.send_signal(signal.SIGKILL)
        server.wait()
        # Acknowledged before the kill: already in the log, with no server running.
        engine = make_engine(database_url)
        with Session(engine) as session:
            logged = set(
                session.exec(select(LockEventLog.event_id).where(col(LockEventLog.event_id).like("crash-%")))
            )
        assert acked_before_kill <= logged
        server = _start(env, port, log)
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert not failures, failures[0]
    all_acked = {i for ids in acked.values() for i in ids}
    assert len(all_acked) == CLIENTS * EVENTS_PER_CLIENT
    with Session(engine) as session:
        rows = session.exec(
            select(LockEventLog.event_id).where(col(LockEventLog.event_id).like("crash-%"))
        ).all()
        plays = session.exec(
            select(func.count())
            .select_from(LockEventLog)
            .where(col(LockEventLog.event_id).like("crash-%"), col(LockEventLog.clip_id).is_not(None))
        ).one()
        counted = session.exec(select(func.sum(PlayHourly.plays))).one()
        all_plays = session.exec(
            select(func.count()).select_from(LockEventLog).where(col(LockEventLog.clip_id).is_not(None))
        ).one()
    engine.dispose()
    assert sorted(rows) == sorted(all_acked), "an acknowledged event is missing, or one is logged twice"
    assert plays > 0 and counted == all_plays, "the rollups disagree with the log"

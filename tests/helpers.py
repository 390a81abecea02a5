"""Small builders shared by the tests."""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient


def wait_for_clips(
    client: TestClient, slogan_id: int, headers: dict[str, str], timeout: float = 60
) -> dict[str, Any]:
    """Synthesis runs in the background: poll until no clip is pending."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/slogans/{slogan_id}", headers=headers).json()
        if body["clips"] and all(c["status"] != "pending" for c in body["clips"]):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"clips still pending after {timeout} s: {body}")
        time.sleep(0.05)


def approved_slogan(
    client: TestClient, police: dict[str, str], admin: dict[str, str], text: str, **extra: Any
) -> dict[str, Any]:
    created = client.post("/v1/slogans", json={"text": text, **extra}, headers=police)
    assert created.status_code == 201, created.text
    slogan_id = created.json()["id"]
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=admin).status_code == 200
    return wait_for_clips(client, slogan_id, admin)


def square(lon: float, lat: float, half_deg: float = 0.001) -> dict[str, Any]:
    ring = [
        [lon - half_deg, lat - half_deg],
        [lon + half_deg, lat - half_deg],
        [lon + half_deg, lat + half_deg],
        [lon - half_deg, lat + half_deg],
        [lon - half_deg, lat - half_deg],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(
    zone_id: str, geometry: dict[str, Any], kind: str = "residential", **props: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"id": zone_id, "name": f"区域{zone_id}", "kind": kind, **props},
        "geometry": geometry,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def operator_key(client: TestClient, fleet_ids: list[str]) -> dict[str, str]:
    from sqlmodel import Session

    from service.auth.models import Role
    from service.auth.service import create_key

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        _, plain = create_key(session=session, role=Role.operator, name="test operator", fleet_ids=fleet_ids)
    return {"Authorization": f"Bearer {plain}"}


def months_ago(n: int) -> datetime:
    """The 15th, noon UTC, of the month n months before the current one."""
    now = datetime.now(UTC)
    year, month = divmod(now.year * 12 + now.month - 1 - n, 12)
    return datetime(year, month + 1, 15, 12, tzinfo=UTC)


# The `ebike-voice` command as installed next to this Python (pip install -e .).
EBIKE_VOICE = str(Path(sys.executable).with_name("ebike-voice"))
# Any terminal escape sequence (colours, cursor moves): what must never reach a pipe or a JSON log.
ESCAPE = re.compile(rb"\x1b[\[\]()]")


def run_in_terminal(
    args: list[str],
    env: dict[str, str],
    *,
    stop_when: Callable[[bytes], bool] | None = None,
    timeout: float = 300,
) -> bytes:
    """Runs a command with standard input, output and error on a pseudo-terminal, as in a terminal window,
    and returns everything it wrote there. With `stop_when`, Ctrl-C (SIGINT) once the output satisfies it."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"}
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    interrupted = False
    try:
        while True:
            assert time.monotonic() < deadline, f"no end after {timeout} s: {output[-3000:]!r}"
            if not interrupted and stop_when is not None and stop_when(output):
                process.send_signal(signal.SIGINT)
                interrupted = True
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the command has ended: the terminal is gone
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        os.close(master)
    return output

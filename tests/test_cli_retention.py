"""`ebike-voice retention`, run as a user would: it says what it dropped."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service.events.partitions import month_of, partition_name
from service.events.writer import write_events
from tests.conftest import PG_URL
from tests.events.test_group_commit import TZ, _row
from tests.helpers import months_ago


@pytest.mark.usefixtures("fleet")
def test_retention_prints_what_it_dropped(tmp_path: Path, database_url: str, engine: Any) -> None:
    rows = [{**_row(f"e{n}", bike=f"B{n}"), "occurred_at": months_ago(age)} for n, age in enumerate((0, 4))]
    with engine.begin() as conn:
        write_events(conn, rows, TZ)
    env = {**os.environ, "EBIKE_VOICE_DATA_DIR": str(tmp_path), "EBIKE_VOICE_DATABASE_URL": database_url}

    def retention(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service", "retention"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert "EVENT_RETENTION_MONTHS is not set" in retention().stderr
    result = retention(EBIKE_VOICE_EVENT_RETENTION_MONTHS="3")
    assert result.returncode == 0, result.stderr
    assert "deleted 1 events older than 3 months" in result.stdout
    if PG_URL is not None:
        assert f"dropped partition {partition_name(month_of(months_ago(4)))}" in result.stdout

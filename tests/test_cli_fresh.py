"""Every `ebike-voice` command a new user may run first, on a fresh data dir (and, on PostgreSQL, an empty
database): each creates or upgrades the schema itself, as `serve` does, and answers without a traceback."""

import subprocess
from pathlib import Path

import pytest

from tests.helpers import EBIKE_VOICE
from tests.test_serve import _free_port


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [EBIKE_VOICE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_keys_create_on_a_fresh_data_dir_creates_the_schema_and_prints_a_working_key(
    fresh_env: dict[str, str],
) -> None:
    first = _run(["keys", "create", "--role", "admin", "--name", "first admin"], fresh_env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "created admin key 1 (first admin); it is shown only this once:"
    assert first.stdout.splitlines()[-1].startswith("ebv_")
    assert "created the database schema" in first.stderr
    second = _run(
        ["keys", "create", "--role", "police", "--name", "p", "--issuer", "宁边路派出所"], fresh_env
    )
    assert second.returncode == 0, second.stderr
    assert "created police key 2 (p)" in second.stdout
    assert "database schema" not in second.stderr  # at the latest schema already: nothing to say


@pytest.mark.parametrize(
    ("args", "extra_env", "returncode", "expected"),
    [
        (["migrate"], {}, 0, "database is at the latest schema"),
        (
            ["retention"],
            {"EBIKE_VOICE_EVENT_RETENTION_MONTHS": "3"},
            0,
            "deleted 0 events older than 3 months",
        ),
        (["resynthesize", "--engine", "espeak"], {}, 0, "remade with espeak: 0 slogans"),
        (["simulate", "--days", "1"], {}, 1, "error: no zones: import some (POST /v1/zones/import)"),
    ],
)
def test_every_command_that_needs_the_schema_creates_it(
    fresh_env: dict[str, str], args: list[str], extra_env: dict[str, str], returncode: int, expected: str
) -> None:
    done = _run(args, fresh_env | extra_env)
    assert done.returncode == returncode, done.stderr
    assert expected in done.stdout + done.stderr
    assert "created the database schema" in done.stderr
    if "EBIKE_VOICE_DATABASE_URL" not in fresh_env:
        assert (Path(fresh_env["EBIKE_VOICE_DATA_DIR"]) / "ebike-voice.db").is_file()


def test_commands_that_only_read_work_on_a_fresh_data_dir(fresh_env: dict[str, str], tmp_path: Path) -> None:
    spoken = _run(["normalize", "请拨打96110"], fresh_env)
    assert (spoken.returncode, spoken.stdout) == (0, "请拨打九六一一零\n")
    clip = tmp_path / "clip.wav"
    made = _run(["synth", "网络刷单全是骗", "--profile", "wav-16k", "-o", str(clip)], fresh_env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"{clip}: wav-16k, ")
    assert clip.read_bytes()[:4] == b"RIFF"


def test_an_unreachable_database_is_one_line_without_the_password(fresh_env: dict[str, str]) -> None:
    url = f"postgresql+psycopg://ebike:s3cret@127.0.0.1:{_free_port()}/ebike"
    done = _run(
        ["keys", "create", "--role", "admin", "--name", "a"], fresh_env | {"EBIKE_VOICE_DATABASE_URL": url}
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: the database postgresql+psycopg://ebike:***@127.0.0.1:")
    assert "Connection refused" in done.stderr and "s3cret" not in done.stderr

"""Logs as a user sees them: human-readable lines in a terminal; JSON lines when not a terminal or with
EBIKE_VOICE_LOG_FORMAT=json, and never a terminal escape code in JSON (uvicorn's `color_message`)."""

import json
import logging
import re
import subprocess
import time
from pathlib import Path

from service.observability.logs import JsonFormatter, TextFormatter
from tests.helpers import EBIKE_VOICE, ESCAPE, run_in_terminal
from tests.test_serve import _free_port

_TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (INFO|WARNING|ERROR) +[\w.]+: ")
_RUNNING = b"Uvicorn running on"


def _serve_in_terminal(env: dict[str, str]) -> list[str]:
    port = str(_free_port())
    shown = run_in_terminal(
        [EBIKE_VOICE, "serve", "--port", port], env, stop_when=lambda out: _RUNNING in out
    )
    return [line for line in shown.decode().replace("\r\n", "\n").splitlines() if line]


def _json_lines(lines: list[str]) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    for entry in entries:
        assert "color_message" not in entry, entry
        assert not any("\x1b" in str(value) for value in entry.values()), entry
    return entries


def test_logs_in_a_terminal_are_human_readable_lines(fresh_env: dict[str, str]) -> None:
    lines = _serve_in_terminal(fresh_env)
    logged = [line for line in lines if _TEXT_LINE.match(line)]
    assert any(
        re.search(r"INFO  service\.migrate: created the database schema \(revision \w+\)$", line)
        for line in logged
    )
    running = next(line for line in logged if "Uvicorn running" in line)
    assert re.search(
        r"INFO  uvicorn\.error: Uvicorn running on http://127\.0\.0\.1:\d+ \(Press CTRL\+C to quit\)$",
        running,
    )
    assert not any(line.lstrip().startswith("{") for line in lines), lines
    assert not ESCAPE.search(running.encode())


def test_logs_in_a_terminal_are_json_when_asked(fresh_env: dict[str, str]) -> None:
    lines = _serve_in_terminal(fresh_env | {"EBIKE_VOICE_LOG_FORMAT": "json"})
    entries = _json_lines(lines)
    messages = [entry["message"] for entry in entries]
    assert any(str(m).startswith("Uvicorn running on http://127.0.0.1:") for m in messages), lines
    assert not any(_TEXT_LINE.match(line) for line in lines)


def test_logs_not_in_a_terminal_are_json_lines_without_escape_codes(
    fresh_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [EBIKE_VOICE, "serve", "--port", str(_free_port())], env=fresh_env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 60
        while _RUNNING not in log.read_bytes():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(30)
    written = log.read_bytes()
    assert not ESCAPE.search(written) and b"\\u001b" not in written
    lines = [line for line in written.decode().splitlines() if line != "database is at the latest schema"]
    entries = _json_lines(lines)
    assert len(entries) == len(lines), lines  # every line of the log is one JSON object
    running = next(e for e in entries if str(e["message"]).startswith("Uvicorn running on"))
    assert running["logger"] == "uvicorn.error" and running["level"] == "info"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", str(running["ts"]))  # Beijing time


def _record(message: str, **extra: object) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "x", "msg": message, "levelname": "INFO", **extra})


def test_escape_codes_in_messages_and_fields_never_reach_a_log_line() -> None:
    """A client's text in a log line (a hostile slogan, a path) cannot recolour a reader's terminal."""
    record = _record(
        "GET /\x1b[2J\x1b]0;owned\x07x 404", route="/a\x1b[31m", color_message="\x1b[1mGET\x1b[0m"
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /x 404" and entry["route"] == "/a" and "color_message" not in entry
    text = TextFormatter(colour=True).format(record)
    assert text.endswith("INFO  x: GET /x 404  route=/a")
    warning = TextFormatter(colour=True).format(_record("disk full", levelname="WARNING"))
    assert "\x1b[33mWARNING\x1b[0m x: disk full" in warning  # only the level is coloured, in a terminal
    assert "\x1b" not in TextFormatter(colour=False).format(_record("disk full", levelname="WARNING"))

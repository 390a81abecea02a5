"""Logs on standard error, each line carrying the request id of the request it belongs to: human-readable
on a terminal, JSON (one object a line) otherwise or with EBIKE_VOICE_LOG_FORMAT=json; never terminal
escape codes in either (uvicorn's `color_message` is dropped, escapes in messages are removed)."""

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime, tzinfo
from typing import Any, TextIO

from service.config import Settings

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Extras that repeat the message with terminal colours (uvicorn's), or that no reader needs.
_DROPPED = {"color_message"}
# ANSI/VT escape sequences (CSI ... final byte, OSC ... BEL/ST, and two-character ones), and the other C0
# controls but tab and newline: a message must not move a reader's cursor or recolour their terminal.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f]"
)
_LEVEL_COLOURS = {"WARNING": "\x1b[33m", "ERROR": "\x1b[31m", "CRITICAL": "\x1b[1;31m"}


def strip_escapes(text: str) -> str:
    return _ESCAPES.sub("", text)


def _clean(value: Any) -> Any:
    return strip_escapes(value) if isinstance(value, str) else value


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed in `extra=`, and the request id."""
    fields: dict[str, Any] = {}
    if (rid := request_id.get()) is not None:
        fields["request_id"] = rid
    fields.update(
        (k, _clean(v)) for k, v in record.__dict__.items() if k not in _STANDARD and k not in _DROPPED
    )
    return fields


class JsonFormatter(logging.Formatter):
    def __init__(self, tz: tzinfo = UTC) -> None:
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, self.tz).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": strip_escapes(record.getMessage()),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = strip_escapes(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=lambda value: strip_escapes(str(value)))


class TextFormatter(logging.Formatter):
    """`2026-12-03 21:37:00.932 INFO  uvicorn.error: Uvicorn running on … request_id=…`, in local time; the
    level in colour when `colour` (a terminal)."""

    def __init__(self, tz: tzinfo = UTC, *, colour: bool = False) -> None:
        super().__init__()
        self.tz = tz
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, self.tz)
        level = f"{record.levelname:<5}"
        if self.colour and record.levelname in _LEVEL_COLOURS:
            level = f"{_LEVEL_COLOURS[record.levelname]}{level}\x1b[0m"
        line = f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond // 1000:03d} {level} {record.name}: "
        line += strip_escapes(record.getMessage())
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + strip_escapes(self.formatException(record.exc_info))
        return line


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a line is logged (a progress display may hold it meanwhile)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]  # read-only on purpose: sys.stderr at each write
        return sys.stderr


def log_format(settings: Settings, stream: TextIO) -> str:
    """`json` or `text`: EBIKE_VOICE_LOG_FORMAT, where `auto` (the default) is text on a terminal."""
    if settings.log_format != "auto":
        return settings.log_format
    return "text" if stream.isatty() else "json"


def configure_logging(settings: Settings) -> None:
    handler = _StderrHandler()
    if log_format(settings, sys.stderr) == "json":
        handler.setFormatter(JsonFormatter(settings.tz))
    else:
        handler.setFormatter(TextFormatter(settings.tz, colour=sys.stderr.isatty()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Our middleware logs each request once, with its id; uvicorn's access log would say it again.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # `serve --no-access-log` (load tests) sets EBIKE_VOICE_ACCESS_LOG=false for every worker.
    logging.getLogger("ebike_voice.access").setLevel(logging.INFO if settings.access_log else logging.WARNING)

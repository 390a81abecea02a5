"""Local wall-clock time for dayparts and quiet hours: windows of the day that may wrap past midnight."""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_hhmm(value: str) -> int:
    """'07:30' -> minutes after midnight; '24:00' is the end of the day."""
    match = _HHMM.match(value.strip()) if isinstance(value, str) else None
    minutes = int(match[1]) * 60 + int(match[2]) if match else -1
    if not 0 <= minutes <= 24 * 60:
        raise ValueError(f"{value!r} is not a time of day HH:MM between 00:00 and 24:00")
    return minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class LocalMoment:
    """An instant as the deployment's clocks show it."""

    weekday: int  # 0 Monday … 6 Sunday
    minute: int  # minutes after local midnight
    day: date


def local_moment(at: datetime, tz: zoneinfo.ZoneInfo) -> LocalMoment:
    local = at.astimezone(tz)
    return LocalMoment(local.weekday(), local.hour * 60 + local.minute, local.date())


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """[start, end) in minutes of the local day; start > end wraps past midnight (22:00–07:00)."""

    start: int
    end: int

    @classmethod
    def parse(cls, start: str, end: str) -> "TimeWindow":
        window = cls(parse_hhmm(start), parse_hhmm(end))
        if window.start == window.end or window.start == 24 * 60:
            raise ValueError(f"the window {start}–{end} is empty")
        return window

    @property
    def wraps(self) -> bool:
        return self.start > self.end

    def contains(self, minute: int) -> bool:
        if self.wraps:
            return minute >= self.start or minute < self.end
        return self.start <= minute < self.end

    def __str__(self) -> str:
        return f"{format_hhmm(self.start)}-{format_hhmm(self.end)}"


@dataclass(frozen=True, slots=True)
class Daypart:
    """A window on some weekdays. A window that wraps belongs to the day it starts on: Friday 22:00–02:00
    covers Saturday 01:00."""

    days: frozenset[int]
    window: TimeWindow

    def contains(self, moment: LocalMoment) -> bool:
        window = self.window
        if not window.wraps:
            return moment.weekday in self.days and window.start <= moment.minute < window.end
        if moment.minute >= window.start:
            return moment.weekday in self.days
        return moment.minute < window.end and (moment.weekday - 1) % 7 in self.days


@dataclass(frozen=True, slots=True)
class QuietHours:
    """At night lock speakers play softer: `volume` (0–7) inside `window`."""

    window: TimeWindow
    volume: int


def parse_window_text(value: str) -> TimeWindow:
    """'22:00-07:00' -> a TimeWindow."""
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"{value!r} is not a window HH:MM-HH:MM")
    return TimeWindow.parse(start, end)

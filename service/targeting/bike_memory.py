"""What the decision remembers per bike — the last slogan it heard and its plays per slogan on the local
day — kept on the Bike row (so it holds across restarts and worker processes) and, for a bike's later
events in the same round (logged only when the round commits), in the round's BikeMemo."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from service.fleets.models import Bike

Plays = Mapping[int, int]  # slogan id -> plays on one local day


@dataclass(frozen=True, slots=True)
class BikeState:
    bike: Bike | None  # None: first event of this bike
    day: date  # the event's local day
    last_slogan_id: int | None
    plays_today: Plays


def peek_bike_state(*, session: Session, fleet_id: str, bike_id: str, day: date) -> BikeState:
    """The bike as the log has it, for a look that changes nothing (explain)."""
    bike = session.get(Bike, (fleet_id, bike_id))
    last, plays = plays_on(bike, None, day)
    return BikeState(bike, day, last, plays)


@dataclass(frozen=True, slots=True)
class _Memo:
    seen_at: datetime
    last_slogan_id: int | None
    day: date
    plays: Plays


class BikeMemo:
    """A round's decisions per bike so far, newer than the Bike rows the round read."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Memo] = {}

    def get(self, key: tuple[str, str]) -> _Memo | None:
        return self._entries.get(key)

    def remember(
        self,
        key: tuple[str, str],
        at: datetime,
        day: date,
        slogan_id: int | None,
        last_slogan_id: int | None,
        plays: Plays,
    ) -> None:
        current = self._entries.get(key)
        if current is not None and current.seen_at > at:
            return  # a late upload from earlier: the bike has moved on
        after = dict(plays)
        if slogan_id is not None:
            after[slogan_id] = after.get(slogan_id, 0) + 1
        self._entries[key] = _Memo(at, slogan_id if slogan_id is not None else last_slogan_id, day, after)


def plays_on(bike: Any, memo: _Memo | None, day: date) -> tuple[int | None, Plays]:
    """(last slogan, plays on `day`) from the bike's row (an ORM Bike or a plain row) or, where newer, the
    worker's memo."""
    if memo is not None and (bike is None or bike.last_seen_at is None or memo.seen_at >= bike.last_seen_at):
        return memo.last_slogan_id, memo.plays if memo.day == day else {}
    if bike is None:
        return None, {}
    plays = {int(k): v for k, v in (bike.plays_today or {}).items()} if bike.plays_day == day else {}
    return bike.last_slogan_id, plays


def count_play(
    plays_day: date | None, plays: Mapping[str, int], day: date, slogan_id: int
) -> tuple[date, dict[str, int]]:
    """The bike's counters after a play on `day`: a new day starts from zero; a late play from an earlier
    day leaves the current day's counters as they are."""
    if plays_day is not None and day < plays_day:
        return plays_day, dict(plays)
    counters = dict(plays) if plays_day == day else {}
    counters[str(slogan_id)] = counters.get(str(slogan_id), 0) + 1
    return day, counters

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
class BikeRow:
    """What the decision reads of a bike's row (service.events.writer reads and writes it); the round's
    memo holds the same, as the round's earlier events leave it."""

    last_slogan_id: int | None
    last_seen_at: datetime | None
    plays_day: date | None
    plays_today: dict[str, int]  # slogan id (as text, as the row's JSON keeps it) -> plays on plays_day


class BikeMemo:
    """A round's decisions per bike so far, newer than the Bike rows the round read."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], BikeRow] = {}

    def get(self, key: tuple[str, str]) -> BikeRow | None:
        return self._entries.get(key)

    def remember(
        self, key: tuple[str, str], stored: Any, at: datetime, day: date, slogan_id: int | None
    ) -> None:
        """The bike after this event, as the log will have it once the round commits (`stored`: its row
        as the round read it)."""
        current = self._entries.get(key) or stored
        if current is not None and current.last_seen_at is not None and current.last_seen_at > at:
            return  # a late upload from earlier: the bike has moved on
        last = current.last_slogan_id if current is not None else None
        plays_day, plays = (
            (current.plays_day, current.plays_today or {}) if current is not None else (None, {})
        )
        if slogan_id is not None:
            last = slogan_id
            plays_day, plays = count_play(plays_day, plays, day, slogan_id)
        self._entries[key] = BikeRow(last, at, plays_day, dict(plays))


def plays_on(bike: Any, memo: BikeRow | None, day: date) -> tuple[int | None, Plays]:
    """(last slogan, plays on `day`) from the bike's row (an ORM Bike or a BikeRow) or, where newer, the
    round's memo."""
    if memo is not None and (
        bike is None or bike.last_seen_at is None or memo.last_seen_at >= bike.last_seen_at
    ):
        bike = memo
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

"""What the decision remembers per bike — the last slogan it heard and its plays per slogan today — kept on
the Bike row, so it holds across restarts and worker processes and costs no query beyond reading the row."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from service.fleets.models import Bike


@dataclass
class BikeState:
    bike: Bike | None  # None: first event of this bike
    day: date  # the event's local day
    last_slogan_id: int | None
    plays_today: Mapping[int, int]  # slogan id -> plays on `day`


def read_bike_state(*, session: Session, fleet_id: str, bike_id: str, day: date) -> BikeState:
    """Read in the event's transaction; on PostgreSQL the row stays locked until commit, so two workers
    handling the same bike at once count its plays one after the other."""
    return _state(session.get(Bike, (fleet_id, bike_id), with_for_update=True), day)


def peek_bike_state(*, session: Session, fleet_id: str, bike_id: str, day: date) -> BikeState:
    """The same, for a look that changes nothing (explain): no lock."""
    return _state(session.get(Bike, (fleet_id, bike_id)), day)


def _state(bike: Bike | None, day: date) -> BikeState:
    if bike is None:
        return BikeState(None, day, None, {})
    plays = {int(k): v for k, v in bike.plays_today.items()} if bike.plays_day == day else {}
    return BikeState(bike, day, bike.last_slogan_id, plays)


def remember_event(
    *,
    session: Session,
    state: BikeState,
    fleet_id: str,
    bike_id: str,
    zone_id: str | None,
    at: datetime,
    slogan_id: int | None,
) -> Bike:
    """Update (or register) the bike after an event, in the caller's transaction."""
    bike = state.bike
    if bike is None:
        bike = Bike(fleet_id=fleet_id, bike_id=bike_id)
        session.add(bike)
    if bike.last_seen_at is None or at >= bike.last_seen_at:  # a late upload does not move the bike back
        bike.last_zone_id = zone_id
        bike.last_seen_at = at
    if slogan_id is not None:
        bike.last_slogan_id = slogan_id
        # A late event from an earlier day leaves today's counters alone.
        if bike.plays_day is None or state.day >= bike.plays_day:
            plays = {str(k): v for k, v in state.plays_today.items()}
            plays[str(slogan_id)] = plays.get(str(slogan_id), 0) + 1
            bike.plays_day, bike.plays_today = state.day, plays
    return bike

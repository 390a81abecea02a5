from sqlmodel import Session, select

from service.clips.synthesis import ensure_profile_clips, profiles_in_use
from service.errors import Conflict
from service.events.snapshot import bump_version
from service.fleets.models import Fleet, FleetCreate


def create_fleet(*, session: Session, fleet_in: FleetCreate) -> Fleet:
    if session.get(Fleet, fleet_in.id) is not None:
        raise Conflict(f"fleet {fleet_in.id!r} already exists")
    fleet = Fleet.model_validate(fleet_in)
    new_profile = fleet.profile not in profiles_in_use(session)
    session.add(fleet)
    if new_profile:
        session.flush()
        ensure_profile_clips(session=session)
    bump_version(session)
    session.commit()
    session.refresh(fleet)
    return fleet


def list_fleets(*, session: Session) -> list[Fleet]:
    return list(session.exec(select(Fleet).order_by(Fleet.id)))  # type: ignore[arg-type]

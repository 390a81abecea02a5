from sqlmodel import Session, select

from service.errors import Conflict
from service.events.snapshot import bump_version
from service.fleets.models import Fleet, FleetCreate


def create_fleet(*, session: Session, fleet_in: FleetCreate) -> Fleet:
    if session.get(Fleet, fleet_in.id) is not None:
        raise Conflict(f"fleet {fleet_in.id!r} already exists")
    fleet = Fleet.model_validate(fleet_in)
    session.add(fleet)
    bump_version(session)
    session.commit()
    session.refresh(fleet)
    return fleet


def list_fleets(*, session: Session) -> list[Fleet]:
    return list(session.exec(select(Fleet).order_by(Fleet.id)))  # type: ignore[arg-type]

from fastapi import APIRouter, Request

from service.auth.deps import AdminKey
from service.db import SessionDep
from service.fleets import service
from service.fleets.models import FleetCreate, FleetPublic

router = APIRouter()


@router.post("", status_code=201, response_model=FleetPublic)
def create_fleet(
    fleet_in: FleetCreate, session: SessionDep, _admin: AdminKey, request: Request
) -> FleetPublic:
    fleet = service.create_fleet(session=session, fleet_in=fleet_in)
    # A profile no fleet used before: its renditions of every approved slogan are made in the background.
    request.app.state.synthesizer.resume_pending()
    request.app.state.snapshots.invalidate()
    return FleetPublic.model_validate(fleet)


@router.get("", response_model=list[FleetPublic])
def list_fleets(session: SessionDep, _admin: AdminKey) -> list[FleetPublic]:
    return [FleetPublic.model_validate(f) for f in service.list_fleets(session=session)]

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from service.auth.deps import AdminKey, CurrentKey
from service.auth.models import Role
from service.coords import CoordSystem
from service.db import MAX_INT_ID
from service.deps import SessionDep
from service.errors import Forbidden
from service.fleets import service
from service.fleets.models import (
    BikeImportResult,
    BikePublic,
    Fleet,
    FleetCreate,
    FleetDeleted,
    FleetPublic,
    FleetUpdate,
)

router = APIRouter()


@router.post("", status_code=201, response_model=FleetPublic)
def create_fleet(
    fleet_in: FleetCreate, session: SessionDep, _admin: AdminKey, request: Request
) -> FleetPublic:
    fleet = service.create_fleet(session=session, fleet_in=fleet_in)
    # A profile no fleet used before: its renditions of every approved slogan are made in the background.
    request.app.state.synthesizer.resume_pending()
    return FleetPublic.model_validate(fleet)


@router.get("", response_model=list[FleetPublic])
def list_fleets(session: SessionDep, api_key: CurrentKey) -> list[FleetPublic]:
    """Admins see every fleet, operators their own; police keys have no fleets."""
    if api_key.role is Role.police:
        raise Forbidden("police keys have no fleets")
    fleets = service.list_fleets(session=session)
    if api_key.role is Role.operator:
        fleets = [f for f in fleets if f.id in api_key.fleet_ids]
    return [FleetPublic.model_validate(f) for f in fleets]


def _visible_fleet(fleet_id: str, session: SessionDep, api_key: CurrentKey) -> Fleet:
    return service.get_fleet_for(session=session, fleet_id=fleet_id, api_key=api_key)


VisibleFleet = Annotated[Fleet, Depends(_visible_fleet)]


@router.patch("/{fleet_id}", response_model=FleetPublic)
def update_fleet(
    fleet_id: str, fleet_in: FleetUpdate, session: SessionDep, admin: AdminKey, request: Request
) -> FleetPublic:
    """Change a fleet's name, operator, region or device profile."""
    fleet = service.get_fleet_for(session=session, fleet_id=fleet_id, api_key=admin)
    fleet = service.update_fleet(session=session, fleet=fleet, fleet_in=fleet_in)
    request.app.state.synthesizer.resume_pending()
    return FleetPublic.model_validate(fleet)


@router.delete("/{fleet_id}", response_model=FleetDeleted)
def delete_fleet(
    fleet_id: str,
    session: SessionDep,
    admin: AdminKey,
    force: Annotated[
        bool, Query(description="delete even if campaigns name it or plays were logged")
    ] = False,
) -> FleetDeleted:
    """Refused (409) while a campaign names the fleet or plays were logged to its bikes, unless
    `force=true`: then its bikes are deleted and the campaigns forget it (one left with no fleet is ended,
    not widened to every fleet). The stats of past plays stay."""
    fleet = service.get_fleet_for(session=session, fleet_id=fleet_id, api_key=admin)
    result = service.delete_fleet(session=session, fleet=fleet, force=force)
    return result


_CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.post("/{fleet_id}/bikes/import", response_model=BikeImportResult, openapi_extra=_CSV_BODY)
async def import_bikes(
    session: SessionDep, fleet: VisibleFleet, request: Request, coord_system: CoordSystem | None = None
) -> BikeImportResult:
    """Register bikes in bulk from a CSV with a `bike_id` column and optionally `lat` and `lon` (admin, or
    the fleet's operator); positions are in `coord_system`, by default the fleet's."""
    data = await request.body()
    return await run_in_threadpool(
        service.import_bikes,
        session=session,
        fleet=fleet,
        data=data,
        coord_system=coord_system,
        locate=request.app.state.snapshots.zone_ids_at,
    )


@router.get("/{fleet_id}/bikes", response_model=list[BikePublic])
def list_bikes(
    session: SessionDep,
    fleet: VisibleFleet,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_INT_ID)] = 0,
) -> list[BikePublic]:
    """The fleet's bikes with the zone each was last seen in and when."""
    bikes = service.list_bikes(session=session, fleet=fleet, limit=limit, offset=offset)
    return [BikePublic.model_validate(b, from_attributes=True) for b in bikes]

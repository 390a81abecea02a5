from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from service.auth.deps import AdminKey, CurrentKey
from service.deps import SessionDep
from service.zones import service
from service.zones.models import GbfsImportOptions, ZoneImportResult, ZonePublic

router = APIRouter()


@router.post("/import", response_model=ZoneImportResult)
def import_zones(
    session: SessionDep,
    _admin: AdminKey,
    request: Request,
    payload: dict[str, Any] = Body(description="A GeoJSON FeatureCollection of parking zones"),
) -> ZoneImportResult:
    result = service.import_zones(session=session, payload=payload)
    request.app.state.snapshots.invalidate()
    return result


@router.post("/import/gbfs", response_model=ZoneImportResult)
def import_gbfs(
    session: SessionDep,
    _admin: AdminKey,
    request: Request,
    options: Annotated[GbfsImportOptions, Query()],
    payload: dict[str, Any] = Body(description="A GBFS station_information.json (v2.3 or v3)"),
) -> ZoneImportResult:
    result = service.import_gbfs(session=session, payload=payload, options=options)
    request.app.state.snapshots.invalidate()
    return result


@router.get("", response_model=list[ZonePublic])
def list_zones(session: SessionDep, _key: CurrentKey) -> list[ZonePublic]:
    return [ZonePublic.model_validate(z) for z in service.list_zones(session=session)]

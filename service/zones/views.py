from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from service.auth.deps import AdminKey, CurrentKey
from service.deps import SessionDep
from service.zones import service
from service.zones.models import GbfsImportOptions, ZoneImportOptions, ZoneImportResult, ZonePublic

router = APIRouter()


@router.post("/import", response_model=ZoneImportResult)
def import_zones(
    session: SessionDep,
    _admin: AdminKey,
    request: Request,
    options: Annotated[ZoneImportOptions, Query()],
    payload: dict[str, Any] = Body(description="A GeoJSON FeatureCollection of parking zones"),
) -> ZoneImportResult:
    result = service.import_zones(session=session, payload=payload, options=options)
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


_GEOJSON = {
    200: {"content": {"application/geo+json": {}}, "description": "JSON, or GeoJSON with ?format=geojson"}
}


@router.get("", response_model=list[ZonePublic], responses=_GEOJSON)
def list_zones(
    session: SessionDep, _key: CurrentKey, format: Literal["json", "geojson"] = "json"
) -> list[ZonePublic] | JSONResponse:
    """Every zone; with ?format=geojson a FeatureCollection in WGS-84 that imports back unchanged."""
    zones = service.list_zones(session=session)
    if format == "geojson":
        return JSONResponse(service.zones_geojson(zones), media_type="application/geo+json")
    return [ZonePublic.model_validate(z) for z in zones]

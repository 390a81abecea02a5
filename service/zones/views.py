from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse

from service.auth.deps import AdminKey, CurrentKey
from service.deps import SessionDep
from service.zones import service
from service.zones.models import (
    GbfsImportOptions,
    ZoneDeleted,
    ZoneImportOptions,
    ZoneImportResult,
    ZonePublic,
    ZoneUpdate,
)

router = APIRouter()


@router.post("/import", response_model=ZoneImportResult)
def import_zones(
    session: SessionDep,
    _admin: AdminKey,
    options: Annotated[ZoneImportOptions, Query()],
    payload: dict[str, Any] = Body(description="A GeoJSON FeatureCollection of parking zones"),
) -> ZoneImportResult:
    result = service.import_zones(session=session, payload=payload, options=options)
    return result


@router.post("/import/gbfs", response_model=ZoneImportResult)
def import_gbfs(
    session: SessionDep,
    _admin: AdminKey,
    options: Annotated[GbfsImportOptions, Query()],
    payload: dict[str, Any] = Body(description="A GBFS station_information.json (v2.3 or v3)"),
) -> ZoneImportResult:
    result = service.import_gbfs(session=session, payload=payload, options=options)
    return result


_GEOJSON: dict[int | str, dict[str, Any]] = {
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


# Zone ids come from outside data and may hold "/" (e.g. "county/station-12"): the route takes the rest of
# the path. (POST /import and /import/gbfs are other methods, so no zone id can shadow them.)
ZoneId = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/{zone_id:path}", response_model=ZonePublic)
def get_zone(zone_id: ZoneId, session: SessionDep, _key: CurrentKey) -> ZonePublic:
    return ZonePublic.model_validate(service.get_zone(session=session, zone_id=zone_id))


@router.patch("/{zone_id:path}", response_model=ZonePublic)
def update_zone(zone_id: ZoneId, zone_in: ZoneUpdate, session: SessionDep, _admin: AdminKey) -> ZonePublic:
    """Change a zone's name, kind, region, police unit, languages, volume or quiet hours (its shape: import
    it again)."""
    zone = service.get_zone(session=session, zone_id=zone_id)
    zone = service.update_zone(session=session, zone=zone, zone_in=zone_in)
    return ZonePublic.model_validate(zone)


@router.delete("/{zone_id:path}", response_model=ZoneDeleted)
def delete_zone(
    zone_id: ZoneId,
    session: SessionDep,
    _admin: AdminKey,
    force: Annotated[
        bool, Query(description="delete even if campaigns name it or plays were logged")
    ] = False,
) -> ZoneDeleted:
    """Refused (409) while a campaign names the zone or plays were logged in it, unless `force=true`: then
    the campaigns forget it (one left with no place to play is ended, not widened to everywhere). The
    stats of past plays stay."""
    zone = service.get_zone(session=session, zone_id=zone_id)
    result = service.delete_zone(session=session, zone=zone, force=force)
    return result

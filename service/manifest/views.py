import hashlib

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.auth.deps import CachedOperatorKey
from service.manifest import service
from service.manifest.models import Manifest
from service.timeutil import utcnow

router = APIRouter()


@router.get("/{fleet_id}/manifest", response_model=Manifest, responses={304: {"description": "unchanged"}})
async def get_manifest(
    fleet_id: str, request: Request, api_key: CachedOperatorKey, zone_id: str | None = None
) -> Response:
    """The clips a bike of this fleet may be asked to play in the next day, in a zone (or outside every
    zone without zone_id), to fetch ahead. With an ETag: send it back in If-None-Match to get a 304."""
    snapshot = await run_in_threadpool(request.app.state.snapshots.get)  # may query the database
    manifest = service.fleet_manifest(
        snapshot=snapshot,
        fleet_id=fleet_id,
        zone_id=zone_id,
        api_key=api_key,
        now=utcnow(),
    )
    body = manifest.model_dump_json().encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from service.clips.models import MEDIA_TYPES, ClipFormat
from service.clips.storage import SHA256_HEX, clip_path
from service.errors import NotFound

router = APIRouter()

# Content-addressed: the bytes behind a URL never change.
IMMUTABLE = "public, max-age=31536000, immutable"


@router.head("/{name}", include_in_schema=False)
@router.get(
    "/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"audio/mpeg": {}, "audio/wav": {}}}, 304: {"description": "unchanged"}},
)
def get_audio(name: str, request: Request) -> Response:
    """The clip's bytes, content-addressed: a URL never changes meaning, so caches may keep it for good
    (If-None-Match answers 304; Range requests are answered)."""
    sha256, _, ext = name.partition(".")
    if not SHA256_HEX.match(sha256) or ext not in ClipFormat.__members__:
        raise NotFound("no such clip")
    path = clip_path(request.app.state.settings.clips_dir, sha256, ext)
    if not path.is_file():
        raise NotFound("no such clip")
    fmt = ClipFormat(ext)
    etag = f'"{sha256}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        headers={"ETag": etag, "Cache-Control": IMMUTABLE},
    )

"""The coverage dashboard: one page and its assets, all served by the app (police networks are often
isolated, so nothing comes from outside). The page signs in with an API key and reads the public API."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

router = APIRouter()


@router.get("", include_in_schema=False)
def dashboard() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


assets = StaticFiles(directory=STATIC)

"""The coverage dashboard: one page and its assets, all served by the app (police networks are often
isolated, so nothing comes from outside). The page reads the public API with the console's sign-in (its
cookie), or with a key typed into the page."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from service.zones.kinds import KIND_NAMES

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter()


@router.get("", include_in_schema=False)
def dashboard(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "index.html", {"kind_names": KIND_NAMES}, headers={"Cache-Control": "no-cache"}
    )


assets = StaticFiles(directory=HERE / "static")

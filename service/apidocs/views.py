"""/docs (Swagger UI) and /redoc with their scripts and styles served by the app, from the fastapi-offline
package: on an isolated police network FastAPI's defaults (a CDN) would leave a blank page."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
assets = StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static")

# The pages may load only what the app serves: ReDoc's sidebar shows a logo from its makers' CDN, which an
# isolated network cannot reach (and need not try to). Swagger UI and ReDoc start from inline scripts and
# ReDoc runs its search in a blob: worker.
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
          "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'")  # fmt: skip
HIDE_ATTRIBUTION = "<style>a[href*='redocly.com'] { display: none; }</style></head>"

router = APIRouter()


def _offline(page: HTMLResponse, extra_head: str = "") -> HTMLResponse:
    body = bytes(page.body).decode()
    if extra_head:
        body = body.replace("</head>", extra_head, 1)
    return HTMLResponse(body, headers={"Content-Security-Policy": POLICY})


@router.get("/docs", include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        # Swagger UI would otherwise send the schema to an online validator for its badge.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _offline(page)


@router.get("/docs/oauth2-redirect", include_in_schema=False)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )
    return _offline(page, HIDE_ATTRIBUTION)

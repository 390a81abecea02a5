"""The console: server-rendered pages (Jinja2) for police and admins, signed in with their API key (kept in
an HttpOnly cookie, which the API also takes for reads, so the dashboard opens without a second sign-in).
Every action calls the API's own route functions, so the console follows exactly the rules, checks, audit
and snapshot refreshes that outside clients get; their English errors are shown in Chinese
(service/console/messages.py)."""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from service.audio.profiles import PROFILES
from service.auth import views as key_views
from service.auth.deps import SESSION_COOKIE, current_key
from service.auth.models import ApiKey, KeyCreate, Role
from service.auth.service import find_key
from service.campaigns import views as campaign_views
from service.campaigns.models import CampaignCreate, CampaignPublic, CampaignUpdate
from service.console import forms
from service.console.forms import text
from service.console.map import zone_map
from service.console.messages import field_errors, service_field, zh, zh_import
from service.deps import IntId, SessionDep
from service.errors import ServiceError, Unauthorized
from service.fleets import service as fleet_service
from service.fleets import views as fleet_views
from service.fleets.models import FleetCreate, FleetUpdate
from service.preview import views as preview_views
from service.preview.models import PreviewIn
from service.slogans import service as slogan_service
from service.slogans import views as slogan_views
from service.slogans.models import LANGUAGES, MAX_TEXT_CHARS, RejectIn, SloganCreate, SloganStatus
from service.stats import views as stats_views
from service.targeting import views as decision_views
from service.targeting.models import DRAFT_ID, DraftExplainQuery
from service.targeting.service import campaigns_in_force, campaigns_reaching
from service.timeutil import utcnow
from service.zones import service as zone_service
from service.zones import views as zone_views
from service.zones.kinds import KIND_NAMES, kind_name
from service.zones.models import GbfsImportOptions, ZoneImportOptions, ZoneUpdate

HERE = Path(__file__).parent
assets = StaticFiles(directory=HERE / "static")
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["kind"] = kind_name
templates.env.globals["KIND_NAMES"] = KIND_NAMES

STATUS_TEXT = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回", "withdrawn": "已撤回"}
LANGUAGE_TEXT = {"zh-CN": "中文", "ug": "维吾尔语", "kk": "哈萨克语"}
ROLE_TEXT = {"admin": "管理员", "police": "派出所", "operator": "运营方"}
PRIORITY_TEXT = {"urgent": "紧急", "normal": "普通", "fallback": "兜底"}
EVENT_TEXT = {"unlock": "开锁", "lock": "还车"}
DAY_TEXT = {"mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五", "sat": "六", "sun": "日"}

router = APIRouter()
FormDep = Annotated[FormData, Depends(forms.read_form)]


def _to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _sign_in_first() -> HTTPException:
    return HTTPException(status_code=303, headers={"Location": "/console/signin"})


def console_key(request: Request, session: SessionDep) -> ApiKey:
    """The key in the console's cookie, checked as the API checks a bearer key (and named as the actor in
    the audit log)."""
    plain = request.cookies.get(SESSION_COOKIE)
    if not plain:
        raise _sign_in_first()
    try:
        api_key = current_key(
            request, session, HTTPAuthorizationCredentials(scheme="Bearer", credentials=plain)
        )
    except Unauthorized:
        raise _sign_in_first() from None
    if api_key.role is Role.operator:
        raise _sign_in_first()
    return api_key


def admin_key(api_key: Annotated[ApiKey, Depends(console_key)]) -> ApiKey:
    """Admin pages: a police key is sent to its own pages."""
    if api_key.role is not Role.admin:
        raise HTTPException(status_code=303, headers={"Location": "/console/slogans"})
    return api_key


ConsoleKey = Annotated[ApiKey, Depends(console_key)]
ConsoleAdmin = Annotated[ApiKey, Depends(admin_key)]


def _local(value: datetime | None, request: Request) -> str:
    return value.astimezone(request.app.state.settings.tz).strftime("%Y-%m-%d %H:%M") if value else ""


def render(
    request: Request, name: str, api_key: ApiKey | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("errors", {})
    context.setdefault("form", {})
    return templates.TemplateResponse(
        request,
        name,
        {
            "key": api_key,
            "local": lambda value: _local(value, request),
            "STATUS": STATUS_TEXT,
            "LANG": LANGUAGE_TEXT,
            "ROLE": ROLE_TEXT,
            "PRIORITY": PRIORITY_TEXT,
            "EVENT": EVENT_TEXT,
            "DAYS": DAY_TEXT,
            "timezone": request.app.state.settings.timezone,
            **context,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


# Signing in ---------------------------------------------------------------------------------------------


@router.get("/signin", include_in_schema=False)
def signin_page(request: Request) -> HTMLResponse:
    return render(request, "signin.html", None)


@router.post("/signin", include_in_schema=False)
def signin(request: Request, session: SessionDep, form: FormDep) -> Response:
    plain = text(form, "key")
    api_key = find_key(session=session, plain=plain) if plain else None
    if api_key is None:
        error = "请输入密钥" if not plain else "密钥无效、已停用或已过期"
        return render(request, "signin.html", None, 401, errors={"key": error})
    if api_key.role is Role.operator:
        errors = {"key": "控制台供派出所和管理员使用；运营方请通过接口接入"}
        return render(request, "signin.html", None, 403, errors=errors)
    response = _to("/console/")
    # HttpOnly: no script on the page can read the key; SameSite=Strict: no other site's form can use it.
    # Path /: the dashboard's reads of the API are signed in by it too (service/auth/deps.py).
    response.set_cookie(SESSION_COOKIE, plain, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/signout", include_in_schema=False)
def signout() -> Response:
    response = _to("/console/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", include_in_schema=False)
def home(api_key: ConsoleKey) -> Response:
    return _to("/console/review" if api_key.role is Role.admin else "/console/slogans")


# Slogans: police write, hear and follow them ------------------------------------------------------------


def _reach(request: Request, session: SessionDep, api_key: ApiKey) -> dict[int, Any]:
    stats = stats_views.get_slogans(session, api_key, request, since=None, until=None, format="json")
    return {s.slogan_id: s for s in stats.slogans}  # type: ignore[union-attr]  # format=json: never the CSV Response


def _scheduled_slogans(request: Request) -> set[int]:
    snapshot = request.app.state.snapshots.get()
    return {s for c in campaigns_in_force(snapshot=snapshot, at=utcnow()) for s in c.slogan_ids}


@router.get("/slogans", include_in_schema=False)
def slogans_page(request: Request, session: SessionDep, api_key: ConsoleKey) -> HTMLResponse:
    slogans = slogan_views.list_slogans(session, api_key)
    return render(
        request,
        "slogans.html",
        api_key,
        slogans=sorted(slogans, key=lambda s: -s.id),
        reach=_reach(request, session, api_key),
        scheduled=_scheduled_slogans(request),
        created=request.query_params.get("created"),
    )


def _slogan_form(form: FormData, api_key: ApiKey, tz: Any) -> dict[str, Any]:
    values = {
        "text": text(form, "text"),
        "language": text(form, "language") or "zh-CN",
        "category": forms.optional(form, "category"),
        "valid_from": forms.local_time(text(form, "valid_from"), tz),
        "valid_until": forms.local_time(text(form, "valid_until"), tz),
    }
    if api_key.role is Role.admin:
        values["issuer"] = forms.optional(form, "issuer")
    return values


SLOGAN_FIELDS = {"text", "language", "category", "valid_from", "valid_until", "issuer"}


def _new_slogan_page(
    request: Request, api_key: ApiKey, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return render(request, "slogan_new.html", api_key, status_code, languages=LANGUAGES,
                  max_chars=MAX_TEXT_CHARS, **context)  # fmt: skip


@router.get("/slogans/new", include_in_schema=False)
def new_slogan_page(request: Request, api_key: ConsoleKey) -> HTMLResponse:
    return _new_slogan_page(request, api_key, form={"language": "zh-CN"})


@router.post("/slogans/new", include_in_schema=False)
def new_slogan(request: Request, session: SessionDep, api_key: ConsoleKey, form: FormDep) -> Response:
    """「试听」 speaks the text through POST /v1/preview; 「提交审核」 posts it as POST /v1/slogans does."""
    tz = request.app.state.settings.tz
    values = _slogan_form(form, api_key, tz)
    shown = {**values, "valid_from": text(form, "valid_from"), "valid_until": text(form, "valid_until")}
    duplicates = (
        slogan_service.find_duplicates(session=session, text=values["text"]) if values["text"] else []
    )
    context: dict[str, Any] = {"form": shown, "duplicates": duplicates}
    if text(form, "action") == "preview":
        try:
            preview_in = PreviewIn(text=values["text"], language=values["language"])
            context["preview"] = preview_views.preview(preview_in, session, api_key, request)
        except ValidationError as exc:
            return _new_slogan_page(
                request, api_key, 422, errors=field_errors(exc, SLOGAN_FIELDS, "text"), **context
            )
        except ServiceError as exc:
            return _new_slogan_page(
                request, api_key, exc.status_code, errors={"text": zh(exc.message)}, **context
            )
        return _new_slogan_page(request, api_key, **context)
    try:
        slogan_in = SloganCreate.model_validate({k: v for k, v in values.items() if v is not None})
        slogan = slogan_views.create_slogan(slogan_in, session, api_key)
    except ValidationError as exc:
        return _new_slogan_page(request, api_key, 422, errors=field_errors(exc, SLOGAN_FIELDS), **context)
    except ServiceError as exc:
        errors = {service_field(exc.message, SLOGAN_FIELDS): zh(exc.message)}
        return _new_slogan_page(request, api_key, exc.status_code, errors=errors, **context)
    return _to(f"/console/slogans?created={slogan.id}")


@router.get("/slogans/{slogan_id}/preview.mp3", include_in_schema=False)
def slogan_audio(slogan_id: IntId, request: Request, session: SessionDep, api_key: ConsoleKey) -> Response:
    """A slogan's text as it will sound (for the review queue, before its clips exist)."""
    slogan = slogan_views.load_slogan(slogan_id, session)
    slogan_views.get_slogan(slogan, session, api_key)  # police: their own issuer's only
    preview_in = PreviewIn(text=slogan.text, language=slogan.language)
    return _to(preview_views.preview(preview_in, session, api_key, request).url)


@router.post("/slogans/{slogan_id}/withdraw", include_in_schema=False)
def withdraw(slogan_id: IntId, session: SessionDep, api_key: ConsoleKey) -> Response:
    slogan = slogan_views.load_slogan(slogan_id, session)
    try:
        slogan_views.withdraw_slogan(slogan, session, api_key)
    except ServiceError as exc:
        return _to(f"/console/slogans?error={quote(zh(exc.message))}")
    return _to("/console/slogans")


# Review (admins) ----------------------------------------------------------------------------------------


def _review_page(request: Request, session: SessionDep, api_key: ApiKey, status_code: int = 200,
                 **context: Any) -> HTMLResponse:  # fmt: skip
    slogans = slogan_views.list_slogans(session, api_key)
    pending = [s for s in slogans if s.status is SloganStatus.pending]
    scheduled = _scheduled_slogans(request)
    idle = [s for s in slogans if s.status is SloganStatus.approved and s.id not in scheduled]
    return render(request, "review.html", api_key, status_code, pending=pending, idle=idle, **context)


@router.get("/review", include_in_schema=False)
def review_page(request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _review_page(request, session, api_key, done=request.query_params.get("done"))


@router.post("/slogans/{slogan_id}/approve", include_in_schema=False)
def approve(slogan_id: IntId, request: Request, session: SessionDep, api_key: ConsoleAdmin) -> Response:
    slogan = slogan_views.load_slogan(slogan_id, session)
    try:
        slogan_views.approve_slogan(slogan, session, api_key, request)
    except ServiceError as exc:
        return _review_page(request, session, api_key, exc.status_code, errors={slogan_id: zh(exc.message)})
    return _to(f"/console/review?done=approved-{slogan_id}")


@router.post("/slogans/{slogan_id}/reject", include_in_schema=False)
def reject(
    slogan_id: IntId, request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    slogan = slogan_views.load_slogan(slogan_id, session)
    reason = " ".join(text(form, "reason").split())  # a reason is one line
    try:
        slogan_views.reject_slogan(RejectIn(reason=reason), slogan, session, api_key)
    except ValidationError:
        errors = {slogan_id: "请填写驳回理由（500 字以内），作者会看到它"}
        return _review_page(request, session, api_key, 422, errors=errors)
    except ServiceError as exc:
        return _review_page(request, session, api_key, exc.status_code, errors={slogan_id: zh(exc.message)})
    return _to(f"/console/review?done=rejected-{slogan_id}")


# Zones --------------------------------------------------------------------------------------------------


def _zones_page(request: Request, session: SessionDep, api_key: ApiKey, status_code: int = 200,
                **context: Any) -> HTMLResponse:  # fmt: skip
    zones = zone_service.list_zones(session=session)
    snapshot = request.app.state.snapshots.get()
    reaching = campaigns_reaching(snapshot=snapshot, at=utcnow())
    unreached = [z.id for z in zones if not reaching.get(z.id)]
    return render(request, "zones.html", api_key, status_code, zones=zones, map=zone_map(zones),
                  reaching=reaching, unreached=unreached, **context)  # fmt: skip


@router.get("/zones", include_in_schema=False)
def zones_page(request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _zones_page(request, session, api_key, done=request.query_params.get("done"))


@router.post("/zones/import", include_in_schema=False)
def import_zones(request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep) -> Response:
    """A GeoJSON file (POST /v1/zones/import) or a GBFS station_information.json (…/import/gbfs)."""
    gbfs = text(form, "format") == "gbfs"
    try:
        payload = forms.upload_json(form)
        if gbfs:
            options = GbfsImportOptions.model_validate(
                {
                    f: v
                    for f in ("kind", "radius_m", "region", "police_unit", "id_prefix")
                    if (v := text(form, f))
                }
            )
            result = zone_views.import_gbfs(session, api_key, options, payload)
        else:
            result = zone_views.import_zones(session, api_key, ZoneImportOptions(), payload)
    except ValidationError as exc:
        errors = {"gbfs" if gbfs else "geojson": "；".join(field_errors(exc, set()).values())}
        return _zones_page(request, session, api_key, 422, errors=errors)
    except ServiceError as exc:
        errors = {"gbfs" if gbfs else "geojson": zh_import(exc.message)}
        return _zones_page(request, session, api_key, exc.status_code, errors=errors)
    return _to(f"/console/zones?done=imported-{result.created}-{result.updated}")


def _zone_page(request: Request, session: SessionDep, api_key: ApiKey, zone_id: str, status_code: int = 200,
               **context: Any) -> HTMLResponse:  # fmt: skip
    zone = zone_service.get_zone(session=session, zone_id=zone_id)
    context.setdefault("form", zone.model_dump())
    return render(request, "zone.html", api_key, status_code, zone=zone, languages=LANGUAGES,
                  map=zone_map([zone]), **context)  # fmt: skip


# A zone id may hold "/" (ids come from outside data), hence {zone_id:path}; the edit and delete forms post
# to the zone's own URL with an `action`, so that no zone id can be read as another zone's delete URL.
@router.get("/zones/{zone_id:path}", include_in_schema=False)
def zone_page(zone_id: str, request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _zone_page(request, session, api_key, zone_id)


ZONE_FIELDS = {"name", "kind", "region", "police_unit", "languages", "volume"}


@router.post("/zones/{zone_id:path}", include_in_schema=False)
def zone_action(
    zone_id: str, request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    if text(form, "action") == "delete":
        return _delete_zone(zone_id, request, session, api_key, form)
    values: dict[str, Any] = {f: forms.optional(form, f) for f in ("name", "kind", "region", "police_unit")}
    values["volume"] = forms.optional(form, "volume")
    values["languages"] = forms.many(form, "languages")
    try:
        zone_views.update_zone(zone_id, ZoneUpdate.model_validate(values), session, api_key)
    except ValidationError as exc:
        return _zone_page(
            request, session, api_key, zone_id, 422, form=values, errors=field_errors(exc, ZONE_FIELDS)
        )
    except ServiceError as exc:
        errors = {next((f for f in ZONE_FIELDS if exc.message.startswith(f)), "_form"): zh(exc.message)}
        return _zone_page(request, session, api_key, zone_id, exc.status_code, form=values, errors=errors)
    return _to(f"/console/zones?done=saved-{quote(zone_id)}")


def _delete_zone(
    zone_id: str, request: Request, session: SessionDep, api_key: ApiKey, form: FormData
) -> Response:
    try:
        zone_views.delete_zone(zone_id, session, api_key, force=text(form, "force") == "true")
    except ServiceError as exc:
        error = zh(exc.message)
        if exc.status_code == 409:
            error = ("该区域仍被投放计划引用，或已有播放记录。勾选「仍要删除」后再删除：投放计划将不再包含它"
                     "（只投放到此区域的计划会被结束），过去的播放统计保留。")  # fmt: skip
        return _zone_page(request, session, api_key, zone_id, exc.status_code, errors={"delete": error})
    return _to(f"/console/zones?done=deleted-{quote(zone_id)}")


# Fleets -------------------------------------------------------------------------------------------------

FLEET_FIELDS = {"id", "name", "operator", "region", "profile"}


def _fleets_page(request: Request, session: SessionDep, api_key: ApiKey, status_code: int = 200,
                 **context: Any) -> HTMLResponse:  # fmt: skip
    fleets = fleet_views.list_fleets(session, api_key)
    return render(
        request, "fleets.html", api_key, status_code, fleets=fleets, profiles=list(PROFILES), **context
    )


@router.get("/fleets", include_in_schema=False)
def fleets_page(request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _fleets_page(request, session, api_key, done=request.query_params.get("done"))


@router.post("/fleets", include_in_schema=False)
def create_fleet(request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep) -> Response:
    values = {f: v for f in FLEET_FIELDS if (v := text(form, f))}
    try:
        fleet = fleet_views.create_fleet(FleetCreate.model_validate(values), session, api_key, request)
    except ValidationError as exc:
        return _fleets_page(
            request, session, api_key, 422, form=values, errors=field_errors(exc, FLEET_FIELDS)
        )
    except ServiceError as exc:
        return _fleets_page(
            request, session, api_key, exc.status_code, form=values, errors={"id": zh(exc.message)}
        )
    return _to(f"/console/fleets/{fleet.id}")


def _fleet_page(request: Request, session: SessionDep, api_key: ApiKey, fleet_id: str, status_code: int = 200,
                **context: Any) -> HTMLResponse:  # fmt: skip
    fleet = fleet_service.get_fleet_for(session=session, fleet_id=fleet_id, api_key=api_key)
    bikes = fleet_views.list_bikes(session, fleet, limit=200, offset=0)
    context.setdefault("form", fleet.model_dump())
    return render(request, "fleet.html", api_key, status_code, fleet=fleet, bikes=bikes,
                  profiles=list(PROFILES), **context)  # fmt: skip


@router.get("/fleets/{fleet_id}", include_in_schema=False)
def fleet_page(fleet_id: str, request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _fleet_page(request, session, api_key, fleet_id, done=request.query_params.get("done"))


@router.post("/fleets/{fleet_id}", include_in_schema=False)
def edit_fleet(
    fleet_id: str, request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    values: dict[str, Any] = {f: text(form, f) for f in ("name", "operator", "profile")}
    values["region"] = forms.optional(form, "region")
    try:
        fleet_views.update_fleet(fleet_id, FleetUpdate.model_validate(values), session, api_key, request)
    except ValidationError as exc:
        errors = field_errors(exc, FLEET_FIELDS)
        return _fleet_page(request, session, api_key, fleet_id, 422, form=values, errors=errors)
    return _to(f"/console/fleets/{fleet_id}?done=saved")


@router.post("/fleets/{fleet_id}/bikes", include_in_schema=False)
def import_bikes(
    fleet_id: str, request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    """As POST /v1/fleets/{id}/bikes/import, from an uploaded CSV file."""
    fleet = fleet_service.get_fleet_for(session=session, fleet_id=fleet_id, api_key=api_key)
    try:
        result = fleet_service.import_bikes(
            session=session,
            fleet=fleet,
            data=forms.upload_bytes(form),
            coord_system=None,
            locate=request.app.state.snapshots.zone_ids_at,
        )
    except ServiceError as exc:
        return _fleet_page(
            request, session, api_key, fleet_id, exc.status_code, errors={"bikes": zh(exc.message)}
        )
    return _to(f"/console/fleets/{fleet_id}?done=bikes-{result.created}-{result.existing}")


@router.post("/fleets/{fleet_id}/delete", include_in_schema=False)
def delete_fleet(
    fleet_id: str, request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    try:
        fleet_views.delete_fleet(fleet_id, session, api_key, force=text(form, "force") == "true")
    except ServiceError as exc:
        error = zh(exc.message)
        if exc.status_code == 409:
            error = ("该车队仍被投放计划引用，或已有播放记录。勾选「仍要删除」后再删除：其车辆一并删除，"
                     "过去的播放统计保留。")  # fmt: skip
        return _fleet_page(request, session, api_key, fleet_id, exc.status_code, errors={"delete": error})
    return _to(f"/console/fleets?done=deleted-{fleet_id}")


# Campaigns ----------------------------------------------------------------------------------------------

CAMPAIGN_FIELDS = set(CampaignCreate.model_fields)


def _campaign_status(campaign: CampaignPublic) -> str:
    now = utcnow()
    if campaign.ends_at is not None and campaign.ends_at <= now:
        return "ended"
    return "upcoming" if campaign.starts_at is not None and campaign.starts_at > now else "active"


@router.get("/campaigns", include_in_schema=False)
def campaigns_page(request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    campaigns = campaign_views.list_campaigns(session, api_key)
    return render(request, "campaigns.html", api_key, campaigns=sorted(campaigns, key=lambda c: -c.id),
                  status={c.id: _campaign_status(c) for c in campaigns},
                  done=request.query_params.get("done"))  # fmt: skip


def _campaign_page(request: Request, session: SessionDep, api_key: ApiKey, campaign: CampaignPublic | None,
                   status_code: int = 200, **context: Any) -> HTMLResponse:  # fmt: skip
    tz = request.app.state.settings.tz
    zones = zone_service.list_zones(session=session)
    slogans = [s for s in slogan_views.list_slogans(session, api_key)
               if s.status in (SloganStatus.approved, SloganStatus.pending)]  # fmt: skip
    if "form" not in context:
        current = campaign.model_dump() if campaign else {"events": ["unlock", "lock"], "weight": 1.0}
        current["starts_at"] = forms.input_time(campaign.starts_at if campaign else None, tz)
        current["ends_at"] = forms.input_time(campaign.ends_at if campaign else None, tz)
        context["form"] = current
    regions = sorted({z.region for z in zones if z.region})
    return render(request, "campaign.html", api_key, status_code, campaign=campaign, zones=zones,
                  map=zone_map(zones), slogans=slogans, fleets=fleet_views.list_fleets(session, api_key),
                  kinds=sorted({z.kind for z in zones}), regions=regions,
                  rows=range(forms.DAYPART_ROWS), state=_campaign_status(campaign) if campaign else None,
                  draft_id=campaign.id if campaign else DRAFT_ID, **context)  # fmt: skip


@router.get("/campaigns/new", include_in_schema=False)
def new_campaign_page(request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _campaign_page(request, session, api_key, None)


@router.get("/campaigns/{campaign_id}", include_in_schema=False)
def campaign_page(
    campaign_id: IntId, request: Request, session: SessionDep, api_key: ConsoleAdmin
) -> HTMLResponse:
    campaign = campaign_views.get_campaign(campaign_id, session, api_key)
    return _campaign_page(request, session, api_key, campaign, done=request.query_params.get("done"))


EXPLAIN_HINT = "请在地图上点选位置或填写经纬度，并选择车队；时间按 2026-12-01 08:00 填写"


def _explain(request: Request, session: SessionDep, api_key: ApiKey, form: FormData,
             values: dict[str, Any], campaign: CampaignPublic | None) -> dict[str, Any]:  # fmt: skip
    """POST /v1/decisions/explain with the form as it stands as the draft: what the campaign would do at
    the point picked (and what would play there), by the decision's own rules, before it is saved."""
    query = {
        "fleet_id": text(form, "explain_fleet"),
        "bike_id": "console",
        "lat": text(form, "lat"),
        "lon": text(form, "lon"),
        "event": text(form, "explain_event") or "unlock",
        "at": forms.local_time(text(form, "explain_at"), request.app.state.settings.tz),
        # A draft may be tried before it has a name.
        "campaign": {**values, "name": values["name"] or "未命名草稿"},
        "campaign_id": campaign.id if campaign else None,
    }
    try:
        draft = DraftExplainQuery.model_validate({k: v for k, v in query.items() if v is not None})
        return {"explanation": decision_views.explain_draft(draft, session, api_key, request)}
    except ValidationError as exc:
        errors = field_errors(exc, CAMPAIGN_FIELDS, "explain")
    except ServiceError as exc:
        field = (
            "explain"
            if exc.message.startswith("unknown fleet ")
            else service_field(exc.message, CAMPAIGN_FIELDS)
        )
        errors = {field: zh(exc.message)}
    if "explain" in errors:
        errors["explain"] = EXPLAIN_HINT
    else:
        errors["explain"] = "投放设置有误，请先修正标出的项目再试算"
    return {"errors": errors}


def _minute(value: datetime | None) -> datetime | None:
    return value.replace(second=0, microsecond=0) if value else None


def _changed(values: dict[str, Any], campaign: CampaignPublic) -> dict[str, Any]:
    """The fields the edit form changes, so a PATCH carries only those (and an ended campaign's past end
    is not sent again as new). Times are compared to the minute, as the form shows them."""
    new = CampaignCreate.model_validate(values).model_dump()
    old = campaign.model_dump()
    changes = {}
    for field, value in new.items():
        if field in ("starts_at", "ends_at"):
            same = _minute(value) == _minute(old[field])
        elif field == "events":
            same = sorted(value) == sorted(old[field])
        else:
            same = value == old[field]
        if not same:
            changes[field] = values[field]
    return changes


@router.post("/campaigns/new", include_in_schema=False)
def save_new_campaign(
    request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    return _save_campaign(request, session, api_key, form, None)


@router.post("/campaigns/{campaign_id}", include_in_schema=False)
def save_campaign(
    campaign_id: IntId, request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep
) -> Response:
    return _save_campaign(request, session, api_key, form, campaign_id)


def _save_campaign(
    request: Request, session: SessionDep, api_key: ApiKey, form: FormData, campaign_id: int | None
) -> Response:
    """Saves as POST /v1/campaigns or PATCH /v1/campaigns/{id}; 「试算」 shows the explain result first."""
    campaign = campaign_views.get_campaign(campaign_id, session, api_key) if campaign_id else None
    values = forms.campaign_fields(form, request.app.state.settings.tz)
    typed = ("starts_at", "ends_at", "lat", "lon", "explain_fleet", "explain_event", "explain_at")
    shown = {**values, **{f: text(form, f) for f in typed}}
    if text(form, "action") == "explain":
        explained = _explain(request, session, api_key, form, values, campaign)
        status_code = 422 if "errors" in explained else 200
        return _campaign_page(request, session, api_key, campaign, status_code, form=shown, **explained)
    try:
        if campaign is None:
            saved = campaign_views.create_campaign(CampaignCreate.model_validate(values), session, api_key)
        else:
            changes = _changed(values, campaign)
            saved = campaign_views.update_campaign(
                campaign.id, CampaignUpdate.model_validate(changes), session, api_key
            )
    except ValidationError as exc:
        errors = field_errors(exc, CAMPAIGN_FIELDS)
        return _campaign_page(request, session, api_key, campaign, 422, form=shown, errors=errors)
    except ServiceError as exc:
        errors = {service_field(exc.message, CAMPAIGN_FIELDS): zh(exc.message)}
        return _campaign_page(request, session, api_key, campaign, exc.status_code, form=shown, errors=errors)
    return _to(f"/console/campaigns/{saved.id}?done=saved")


@router.post("/campaigns/{campaign_id}/end", include_in_schema=False)
def end_campaign(
    campaign_id: IntId, request: Request, session: SessionDep, api_key: ConsoleAdmin
) -> Response:
    try:
        campaign_views.end_campaign(campaign_id, session, api_key)
    except ServiceError as exc:
        campaign = campaign_views.get_campaign(campaign_id, session, api_key)
        return _campaign_page(
            request, session, api_key, campaign, exc.status_code, errors={"end": zh(exc.message)}
        )
    return _to(f"/console/campaigns/{campaign_id}?done=ended")


@router.post("/campaigns/{campaign_id}/delete", include_in_schema=False)
def delete_campaign(campaign_id: IntId, session: SessionDep, api_key: ConsoleAdmin) -> Response:
    campaign_views.delete_campaign(campaign_id, session, api_key)
    return _to(f"/console/campaigns?done=deleted-{campaign_id}")


# Keys ---------------------------------------------------------------------------------------------------

KEY_FIELDS = {"name", "role", "issuer", "fleet_ids", "expires_at"}


def _keys_page(request: Request, session: SessionDep, api_key: ApiKey, status_code: int = 200,
               **context: Any) -> HTMLResponse:  # fmt: skip
    return render(request, "keys.html", api_key, status_code, keys=key_views.list_keys(session, api_key),
                  fleets=fleet_views.list_fleets(session, api_key), **context)  # fmt: skip


@router.get("/keys", include_in_schema=False)
def keys_page(request: Request, session: SessionDep, api_key: ConsoleAdmin) -> HTMLResponse:
    return _keys_page(request, session, api_key)


@router.post("/keys", include_in_schema=False)
def create_key(request: Request, session: SessionDep, api_key: ConsoleAdmin, form: FormDep) -> Response:
    values = {
        "name": text(form, "name"),
        "role": text(form, "role"),
        "issuer": forms.optional(form, "issuer"),
        "fleet_ids": forms.many(form, "fleet_ids"),
        "expires_at": forms.local_time(text(form, "expires_at"), request.app.state.settings.tz),
    }
    shown = {**values, "expires_at": text(form, "expires_at")}
    try:
        created = key_views.create_key(KeyCreate.model_validate(values), session, api_key)
    except ValidationError as exc:
        return _keys_page(request, session, api_key, 422, form=shown, errors=field_errors(exc, KEY_FIELDS))
    except ServiceError as exc:
        errors = {service_field(exc.message, KEY_FIELDS): zh(exc.message)}
        return _keys_page(request, session, api_key, exc.status_code, form=shown, errors=errors)
    return _keys_page(request, session, api_key, created=created)


@router.post("/keys/{key_id}/revoke", include_in_schema=False)
def revoke_key(key_id: IntId, request: Request, session: SessionDep, api_key: ConsoleAdmin) -> Response:
    key_views.revoke_key(key_id, session, api_key)
    return _keys_page(request, session, api_key, done="revoked")

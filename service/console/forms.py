"""What the console's forms send, made into the API's input: local times with the deployment's offset,
blank fields left out, lists from checkboxes. Nothing here decides anything: the API's models do."""

import json
import unicodedata
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from service.errors import Invalid
from service.timeutil import LOCAL_INPUT_FORMAT, parse_typed_time

DAYPART_ROWS = 3
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


async def read_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form; its uploaded files are closed once the page is answered."""
    form = await request.form(max_files=2, max_fields=20_000)
    try:
        yield form
    finally:
        await form.close()


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def many(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def local_time(value: str, tz: ZoneInfo) -> str | None:
    """A time typed in a form's text field (Beijing time: 2026-12-01 08:00; see timeutil.parse_typed_time)
    as ISO 8601 with the deployment's offset, so the API reads the time meant whatever it assumes of naive
    times. The pages use text fields, not datetime-local ones, because a browser shows and takes those in
    its own locale's order (12/01/2026, 01.12.2026, AM/PM) rather than the one a Chinese user expects.
    Unparseable text goes on as it is, for the API's model to refuse."""
    if not value:
        return None
    try:
        return parse_typed_time(value, tz).isoformat()
    except ValueError:
        return value


def input_time(value: datetime | None, tz: ZoneInfo) -> str:
    """A time as the forms' text fields show it, in the deployment's time zone: 2026-12-01 08:00."""
    return value.astimezone(tz).strftime(LOCAL_INPUT_FORMAT) if value else ""


def upload_json(form: FormData, name: str = "file") -> Any:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("请选择要上传的文件")
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid("文件太大（上限 50 MB）")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise Invalid("not valid JSON") from None


def upload_bytes(form: FormData, name: str = "file") -> bytes:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("请选择要上传的文件")
    return upload.file.read(MAX_UPLOAD_BYTES)


def dayparts(form: FormData) -> list[dict[str, Any]]:
    parts = []
    for row in range(DAYPART_ROWS):
        start, end = (
            unicodedata.normalize("NFKC", text(form, f"daypart_{row}_{edge}")) for edge in ("start", "end")
        )
        if start or end:
            part: dict[str, Any] = {"start": start, "end": end}
            if days := many(form, f"daypart_{row}_days"):
                part["days"] = days
            parts.append(part)
    return parts


def campaign_fields(form: FormData, tz: ZoneInfo) -> dict[str, Any]:
    """Every field of the campaign form, as CampaignCreate takes them."""
    cap = text(form, "max_plays_per_bike_per_day")
    return {
        "name": text(form, "name"),
        "slogan_ids": [int(v) for v in many(form, "slogan_ids") if v.isdigit()],
        "zone_ids": many(form, "zone_ids"),
        "zone_kinds": many(form, "zone_kinds"),
        "regions": many(form, "regions"),
        "fleet_ids": many(form, "fleet_ids"),
        "exclude_zone_ids": many(form, "exclude_zone_ids"),
        "exclude_zone_kinds": many(form, "exclude_zone_kinds"),
        "exclude_regions": many(form, "exclude_regions"),
        "exclude_fleet_ids": many(form, "exclude_fleet_ids"),
        "events": many(form, "events"),
        "starts_at": local_time(text(form, "starts_at"), tz),
        "ends_at": local_time(text(form, "ends_at"), tz),
        "weight": text(form, "weight") or "1",
        "priority": text(form, "priority") or "normal",
        "dayparts": dayparts(form),
        "max_plays_per_bike_per_day": cap or None,
    }

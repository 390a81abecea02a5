"""Local time at the edges: naive input read on EBIKE_VOICE_TIMEZONE's clock (Asia/Shanghai here), every
output time with its offset, CSV cells without fractions of a second, daily CSV rows named by local date."""

import csv
import io
import typing
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, PlainSerializer, ValidationError

from service.config import Settings
from service.main import create_app
from service.timeutil import LocalDateTime, parse_typed_time
from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0


def test_naive_times_are_read_on_the_local_clock(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    slogan = approved_slogan(client, police, admin, "网络刷单全是骗")
    body = {"name": "十二月", "slogan_ids": [slogan["id"]], "starts_at": "2026-12-01T00:00:00"}
    created = client.post("/v1/campaigns", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["starts_at"] == "2026-12-01T00:00:00+08:00"  # midnight in Beijing, not 08:00
    assert created.json()["created_at"].endswith("+08:00")
    (audited,) = client.get("/v1/audit", params={"entity": "campaign"}, headers=admin).json()
    assert audited["at"].endswith("+08:00") and audited["after"]["starts_at"] == "2026-12-01T00:00:00+08:00"
    aware = {**body, "starts_at": "2026-12-01T00:00:00Z"}
    assert (
        client.post("/v1/campaigns", json=aware, headers=admin).json()["starts_at"]
        == "2026-12-01T08:00:00+08:00"
    )


def _serializer() -> PlainSerializer:
    (found,) = [m for m in typing.get_args(LocalDateTime) if isinstance(m, PlainSerializer)]
    return found


def _plain_datetimes(annotation: typing.Any, models: list[type[BaseModel]]) -> bool:
    """Whether the annotation holds a datetime not shown on the local clock; collects the models in it."""
    if annotation is datetime:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        if base is datetime:
            return _serializer() not in metadata
        return _plain_datetimes(base, models)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        models.append(annotation)
        return False
    found = [_plain_datetimes(arg, models) for arg in typing.get_args(annotation)]  # every model collected
    return any(found)


def _datetime_fields_without_local_time(model: type[BaseModel], seen: set[type]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    missing = []
    for name, field in model.model_fields.items():
        models: list[type[BaseModel]] = []
        local = field.annotation is datetime and _serializer() in field.metadata
        if _plain_datetimes(field.annotation, models) and not local:
            missing.append(f"{model.__name__}.{name}")
        for inner in models:
            missing += _datetime_fields_without_local_time(inner, seen)
    return missing


def _api_routes(routes: typing.Iterable[typing.Any]) -> typing.Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _api_routes(route.original_router.routes)


def test_every_answer_model_shows_its_times_on_the_local_clock() -> None:
    seen: set[type] = set()
    missing: list[str] = []
    for route in _api_routes(create_app().routes):
        model = route.response_model
        for arg in {model, *typing.get_args(model)}:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                missing += _datetime_fields_without_local_time(arg, seen)
    assert len(seen) > 20  # the walk reached the answers' models
    assert missing == []


def test_csv_times_are_local_whole_seconds_and_days_are_local_dates(
    client: TestClient, admin: dict[str, str], police: dict[str, str], operator: dict[str, str], fleet: str
) -> None:
    client.post("/v1/zones/import", json=collection(feature("home", square(LON, LAT))), headers=admin)
    slogan = approved_slogan(client, police, admin, "网络刷单全是骗")
    assert (
        client.post(
            "/v1/campaigns", json={"name": "全域", "slogan_ids": [slogan["id"]]}, headers=admin
        ).status_code
        == 201
    )
    event = {"event_id": "e1", "bike_id": "B1", "fleet_id": fleet, "event": "unlock", "lat": LAT, "lon": LON}
    # 00:30 on 1 December in Beijing is still 30 November in UTC.
    answer = client.post(
        "/v1/events", json={**event, "occurred_at": "2026-12-01T00:30:00.250"}, headers=operator
    )
    assert answer.status_code == 200 and answer.json()["clip"] is not None

    period = {"since": "2026-11-30T00:00:00", "until": "2026-12-02T00:00:00", "format": "csv"}
    text = client.get("/v1/stats/coverage", params=period, headers=admin).text.lstrip("\ufeff")
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["last_play_at"] == "2026-12-01T00:30:00+08:00"
    series = client.get("/v1/stats/timeseries", params={**period, "bucket": "day"}, headers=admin)
    days = list(csv.DictReader(io.StringIO(series.text.lstrip("\ufeff"))))
    assert [(d["day"], d["plays"]) for d in days] == [("2026-11-30", "0"), ("2026-12-01", "1")]
    hours = client.get(
        "/v1/stats/timeseries", params={**period, "bucket": "hour", "format": "json"}, headers=admin
    )
    assert hours.json()["since"] == "2026-11-30T00:00:00+08:00"
    assert hours.json()["points"][24] == {"t": "2026-12-01T00:00:00+08:00", "plays": 1, "confirmed_plays": 0}


def test_an_unknown_time_zone_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        Settings(timezone="Mars/Olympus")


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-01 08:05",
        "2026/12/1 8:05",
        "2026年12月1日 8:05",
        "２０２６-１２-０１ ０８：０５",
        "2026-12-01T08:05",
    ],
)
def test_a_typed_time_is_read_on_the_given_clock_whatever_its_writing(typed: str) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert parse_typed_time(typed, shanghai) == datetime(2026, 12, 1, 8, 5, tzinfo=shanghai)
    assert parse_typed_time("2026-12-01", shanghai) == datetime(2026, 12, 1, tzinfo=shanghai)


@pytest.mark.parametrize(
    "typed", ["12/01/2026", "01.12.2026 08:00", "2026-12-01 8", "2026-13-01", "明天", ""]
)
def test_a_typed_time_in_a_locale_order_or_no_time_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_typed_time(typed, ZoneInfo("Asia/Shanghai"))

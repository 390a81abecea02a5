"""Stats from the rollups: exact for any period, filters, police scope, CSV."""

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from service.auth.models import Role
from service.clips.models import LockEvent
from service.events.writer import write_events
from tests.conftest import make_key
from tests.helpers import approved_slogan, collection, feature, square

LON, LAT = 89.18, 44.0
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 10, 1, 0, 0, tzinfo=TZ)  # a local midnight


@pytest.fixture
def logged(client: TestClient, admin: dict[str, str], police: dict[str, str], fleet: str, engine: Any) -> Any:
    """Three zones, two fleets, three slogans (one of another issuer), 600 plays over 6 days."""
    zones = collection(
        feature("a", square(LON, LAT)),
        feature("b", square(LON + 0.01, LAT), kind="station"),
        feature("c", square(LON + 0.02, LAT)),
    )
    client.post("/v1/zones/import", json=zones, headers=admin)
    client.post("/v1/fleets", json={"id": "other", "name": "其他", "operator": "别家"}, headers=admin)
    mine = [approved_slogan(client, police, admin, t)["id"] for t in ("网络汇款需谨慎。", "-1 刷单是诈骗。")]
    author = make_key(client, Role.admin)  # nobody approves their own slogan
    theirs = approved_slogan(client, author, admin, "陌生来电要警惕。", issuer="北庭派出所")["id"]
    rng = random.Random(5)
    rows = []
    for n in range(600):
        at = START + timedelta(minutes=rng.uniform(0, 6 * 24 * 60))
        zone = rng.choice(["a", "b", None])
        rows.append({
            "operator": "x", "event_id": f"e{n}", "fleet_id": rng.choice([fleet, "other"]),
            "bike_id": f"B{rng.randrange(40)}", "event": rng.choice(list(LockEvent)), "lat": LAT, "lon": LON,
            "occurred_at": at.astimezone(UTC), "received_at": at.astimezone(UTC), "zone_id": zone,
            "campaign_id": 1, "slogan_id": rng.choice([*mine, theirs]), "clip_id": None if n % 10 == 0 else 1,
        })  # fmt: skip
    with engine.begin() as conn:
        write_events(conn, rows, TZ)
    return {"rows": [r for r in rows if r["clip_id"]], "mine": mine, "theirs": theirs}


def _expected(rows: list[dict[str, Any]], since: datetime, until: datetime, **match: Any) -> dict[str, Any]:
    by_zone: dict[str, Any] = {}
    for r in rows:
        if not since <= r["occurred_at"] < until or r["zone_id"] is None:
            continue
        if any(r[k] != v for k, v in match.items()):
            continue
        z = by_zone.setdefault(r["zone_id"], {"plays": 0, "bikes": set(), "slogans": set(), "last": None})
        z["plays"] += 1
        z["bikes"].add((r["fleet_id"], r["bike_id"]))
        z["slogans"].add(r["slogan_id"])
        z["last"] = max(z["last"] or r["occurred_at"], r["occurred_at"])
    return {
        k: (v["plays"], len(v["bikes"]), len(v["slogans"]), v["last"]) for k, v in sorted(by_zone.items())
    }


def _got(report: dict[str, Any]) -> dict[str, Any]:
    return {
        z["zone_id"]: (z["plays"], z["unique_bikes"], z["slogans"], datetime.fromisoformat(z["last_play_at"]))
        for z in report["zones"]
        if z["plays"]
    }


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (START, START + timedelta(days=6)),  # whole days: rollups only
        (START + timedelta(hours=5, minutes=17), START + timedelta(days=4, hours=3)),  # ragged edges
        (START + timedelta(days=1, hours=2), START + timedelta(days=1, hours=9)),  # inside one day
    ],
)
def test_coverage_is_exact_for_any_period(
    client: TestClient, admin: dict[str, str], logged: dict[str, Any], since: datetime, until: datetime
) -> None:
    params = {"since": since.isoformat(), "until": until.isoformat()}
    report = client.get("/v1/stats/coverage", params=params, headers=admin).json()
    assert _got(report) == _expected(logged["rows"], since, until)
    filtered = client.get(
        "/v1/stats/coverage",
        params={**params, "fleet_id": "other", "slogan_id": logged["mine"][0]},
        headers=admin,
    ).json()
    assert _got(filtered) == _expected(
        logged["rows"], since, until, fleet_id="other", slogan_id=logged["mine"][0]
    )


def test_coverage_by_zone_kind(client: TestClient, admin: dict[str, str], logged: dict[str, Any]) -> None:
    params = {
        "since": START.isoformat(),
        "until": (START + timedelta(days=6)).isoformat(),
        "zone_kind": "station",
    }
    report = client.get("/v1/stats/coverage", params=params, headers=admin).json()
    assert [z["zone_id"] for z in report["zones"]] == ["b"]
    assert report["zones_total"] == 1
    assert report["zones"][0]["plays"] == sum(1 for r in logged["rows"] if r["zone_id"] == "b")


def test_timeseries_has_every_bucket_and_matches_the_log(
    client: TestClient, admin: dict[str, str], logged: dict[str, Any]
) -> None:
    params = {"bucket": "day", "since": START.isoformat(), "until": (START + timedelta(days=8)).isoformat()}
    series = client.get("/v1/stats/timeseries", params=params, headers=admin).json()
    assert series["bucket"] == "day"
    starts = [datetime.fromisoformat(p["t"]) for p in series["points"]]
    assert starts == [START + timedelta(days=i) for i in range(8)]
    per_day = [
        sum(1 for r in logged["rows"] if t <= r["occurred_at"] < t + timedelta(days=1)) for t in starts
    ]
    assert [p["plays"] for p in series["points"]] == per_day
    assert per_day[-1] == 0

    hours = {
        "bucket": "hour",
        "since": (START + timedelta(minutes=30)).isoformat(),
        "until": (START + timedelta(hours=5)).isoformat(),
        "zone_id": "a",
        "fleet_id": "other",
    }
    series = client.get("/v1/stats/timeseries", params=hours, headers=admin).json()
    assert datetime.fromisoformat(series["since"]) == START
    assert len(series["points"]) == 5
    expected = [
        sum(1 for r in logged["rows"] if t <= r["occurred_at"] < t + timedelta(hours=1)
            and r["zone_id"] == "a" and r["fleet_id"] == "other")
        for t in (START + timedelta(hours=i) for i in range(5))
    ]  # fmt: skip
    assert [p["plays"] for p in series["points"]] == expected


def test_police_see_their_own_slogans_only(
    client: TestClient, police: dict[str, str], admin: dict[str, str], logged: dict[str, Any]
) -> None:
    period = {"since": START.isoformat(), "until": (START + timedelta(days=6)).isoformat()}
    mine = client.get("/v1/stats/slogans", params=period, headers=police).json()["slogans"]
    assert sorted(s["slogan_id"] for s in mine) == sorted(logged["mine"])
    every = client.get("/v1/stats/slogans", params=period, headers=admin).json()["slogans"]
    assert len(every) == 3
    for s in every:
        rows = [r for r in logged["rows"] if r["slogan_id"] == s["slogan_id"]]
        assert s["plays"] == len(rows)
        assert s["unique_bikes"] == len({(r["fleet_id"], r["bike_id"]) for r in rows})
        assert s["zones_reached"] == len({r["zone_id"] for r in rows if r["zone_id"]})
        assert datetime.fromisoformat(s["first_play_at"]) == min(r["occurred_at"] for r in rows)

    series = client.get("/v1/stats/timeseries", params=period, headers=police).json()
    assert sum(p["plays"] for p in series["points"]) == sum(
        1 for r in logged["rows"] if r["slogan_id"] in logged["mine"]
    )
    foreign = {**period, "slogan_id": logged["theirs"]}
    assert client.get("/v1/stats/timeseries", params=foreign, headers=police).status_code == 403
    assert client.get("/v1/stats/coverage", headers=police).status_code == 403


@pytest.mark.usefixtures("logged")
def test_csv_exports_open_in_excel_and_defuse_formulas(client: TestClient, admin: dict[str, str]) -> None:
    period = {"since": START.isoformat(), "until": (START + timedelta(days=6)).isoformat(), "format": "csv"}
    for path in ("coverage", "timeseries", "slogans"):
        response = client.get(f"/v1/stats/{path}", params=period, headers=admin)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
    text = client.get("/v1/stats/slogans", params=period, headers=admin).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "'-1 刷单是诈骗。" in [r["text"] for r in rows]
    assert {r["text"] for r in rows} >= {"网络汇款需谨慎。"}
    assert (
        client.get("/v1/stats/slogans", params={**period, "format": "xls"}, headers=admin).status_code == 422
    )

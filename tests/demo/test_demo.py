from collections import Counter

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from service.clips.models import Clip, ClipStatus
from service.clips.synthesis import build_synthesizer
from service.config import Settings
from service.demo.service import load_demo
from service.events.models import LockEventLog
from service.fleets.models import Bike


def test_demo_loads_a_county_that_plays_and_reports(client: TestClient, settings: Settings) -> None:
    db = client.app.state.engine  # type: ignore[attr-defined]
    synthesizer = build_synthesizer(settings, db)
    try:
        keys = load_demo(db=db, synthesizer=synthesizer, ride_days=2)
        again = load_demo(db=db, synthesizer=synthesizer, ride_days=2)  # a second `make run` must work too
    finally:
        synthesizer.shutdown()
    admin = {"Authorization": f"Bearer {keys.admin}"}

    zones = client.get("/v1/zones", headers=admin).json()
    assert len(zones) == 65
    assert set(Counter(z["kind"] for z in zones)) == {"residential", "commercial", "station", "village"}
    for zone in zones:  # around Jimusar county seat
        lon, lat = (
            zone["geometry"]["coordinates"]
            if zone["geometry"]["type"] == "Point"
            else zone["geometry"]["coordinates"][0][0]
        )
        assert 43.6 < lat < 44.4 and 88.8 < lon < 89.6
    assert len(client.get("/v1/fleets", headers=admin).json()) == 2
    assert len(client.get("/v1/campaigns", headers=admin).json()) == 4
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Bike)).one() == 500
        statuses = Counter(c.status for c in session.exec(select(Clip)))
    assert statuses == {ClipStatus.ready: 12 * 4}

    coverage = client.get("/v1/stats/coverage", headers=admin).json()
    assert coverage["zones_total"] == 65
    assert 45 <= coverage["zones_covered"] <= 65 - 6  # six zones are left out of the rides on purpose
    # Two days of rides up to now: how many fall in the window depends on the time of day (about 1,000
    # to 2,000 plays). Every logged play in a zone is counted.
    with Session(db) as session:
        logged = session.exec(
            select(func.count())
            .select_from(LockEventLog)
            .where(col(LockEventLog.clip_id).is_not(None), col(LockEventLog.zone_id).is_not(None))
        ).one()
    assert sum(z["plays"] for z in coverage["zones"]) == logged > 1000

    operator = {"Authorization": f"Bearer {again.operator}"}
    station = next(z for z in zones if z["kind"] == "station")
    lon, lat = station["geometry"]["coordinates"][0][0]
    body = {
        "event_id": "try-1", "bike_id": "BE00001", "fleet_id": "beiting", "event": "unlock",
        "lat": lat + 0.0001, "lon": lon + 0.0001, "occurred_at": "2026-11-29T08:00:00+08:00",
    }  # fmt: skip
    answer = client.post("/v1/events", json=body, headers=operator).json()
    assert answer["zone_id"] == station["id"]
    assert answer["clip"]["url"].endswith(".mp3")
    assert client.get(answer["clip"]["url"]).status_code == 200

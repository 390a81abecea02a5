"""Coverage over 30 days of a big log: from the rollups, against the same question asked of the raw log.

Builds a SQLite database (file, WAL, as served) with 1,000 zones and EBIKE_VOICE_BENCH_EVENTS events
(default 10,000,000) spread over 30 days, 100,000 bikes, 2 fleets and 10 slogans, with bulk SQL (the log)
and one pass of Python over grouped rows (the rollups' bike bitmaps) — not through HTTP. Then times
GET /v1/stats/coverage's service call for 30 whole days, for 30 days with ragged edges (partial days come
from the log), and the raw-log GROUP BY that coverage used before the rollups.
"""

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pyroaring import BitMap
from sqlalchemy import text
from sqlmodel import Session

from service.db import make_engine
from service.migrate import upgrade
from service.stats.service import coverage

EVENTS = int(os.environ.get("EBIKE_VOICE_BENCH_EVENTS", "10000000"))
ZONES = 1000
BIKES = 100_000
DAYS = 30
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 10, 1, tzinfo=TZ)  # a local midnight
SERIES = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT :count) "


def build(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    start_utc = START.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    seconds = DAYS * 86400
    with engine.begin() as conn:
        conn.execute(
            text(
                SERIES + "INSERT INTO zone (id, name, kind, geometry, created_at, updated_at) "
                "SELECT printf('z%04d', i), 'zone ' || i, "
                "CASE WHEN i % 10 = 0 THEN 'village' ELSE 'residential' END, "
                "'{\"type\": \"Point\", \"coordinates\": [89.0, 44.0]}', datetime('now'), datetime('now') "
                "FROM n"
            ),
            {"count": ZONES},
        )
        # Zones are visited unevenly (the product of two uniform numbers skews towards low ids); a tenth of
        # the events had nothing to play. A bike (and its fleet) follows from its number.
        at = (
            "strftime('%Y-%m-%d %H:%M:%S', :start, '+' || (i * :seconds / :count) || ' seconds') || '.000000'"
        )
        conn.execute(
            text(
                SERIES + "INSERT INTO lock_event (operator, event_id, fleet_id, bike_id, event, lat, lon, "
                "occurred_at, received_at, zone_id, campaign_id, slogan_id, clip_id, bike_no) "
                "SELECT 'op', 'e' || i, CASE WHEN b % 3 = 0 THEN 'f2' ELSE 'f1' END, 'b' || b, "
                f"CASE WHEN i % 2 = 0 THEN 'lock' ELSE 'unlock' END, 44.0, 89.0, {at}, {at}, "
                "printf('z%04d', 1 + (abs(random()) % 1000) * (abs(random()) % 1000) / 1000), 1, "
                "1 + abs(random()) % 10, CASE WHEN i % 10 = 0 THEN NULL ELSE 1 END, 1 + b "
                "FROM (SELECT i, i * 7919 % :bikes AS b FROM n)"
            ),
            {"count": EVENTS, "bikes": BIKES, "start": start_utc, "seconds": seconds},
        )
        _rollups(conn)
    engine.dispose()


def _rollups(conn) -> None:  # type: ignore[no-untyped-def]
    """The daily rollups, as the writer would have left them (local days: the log is in UTC, +8 h)."""
    day = "date(occurred_at, '+8 hours')"
    rows = conn.execute(
        text(
            f"SELECT {day}, zone_id, fleet_id, slogan_id, count(*), min(occurred_at), max(occurred_at), "
            f"group_concat(bike_no) FROM lock_event WHERE clip_id IS NOT NULL "
            f"GROUP BY {day}, zone_id, fleet_id, slogan_id"
        )
    ).all()
    daily = []
    by_zone_day: dict[tuple[str, str], list] = {}  # type: ignore[type-arg]
    for d, zone, fleet, slogan, plays, first, last, bikes in rows:
        bitmap = BitMap(map(int, bikes.split(",")))
        daily.append((d, zone, fleet, slogan, plays, first, last, bitmap.serialize()))
        z = by_zone_day.setdefault((d, zone), [0, first, last, BitMap(), BitMap()])
        z[0] += plays
        z[1], z[2] = min(z[1], first), max(z[2], last)
        z[3] |= bitmap
        z[4].add(slogan)
    raw = conn.connection.driver_connection
    raw.executemany("INSERT INTO play_daily VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)", daily)
    raw.executemany(
        "INSERT INTO zone_daily VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
        [
            (d, zone, z[0], z[1], z[2], z[3].serialize(), z[4].serialize())
            for (d, zone), z in by_zone_day.items()
        ],
    )


def _median_ms(fn: Callable[[], object], runs: int = 5) -> float:
    fn()  # warm the page cache and the statement caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ebike-coverage-"))
    url = f"sqlite:///{work / 'coverage.db'}"
    try:
        started = time.perf_counter()
        build(url)
        size = (work / "coverage.db").stat().st_size / 1e9
        print(
            f"built {EVENTS:,} events over {DAYS} days, {ZONES} zones, {BIKES:,} bikes on SQLite "
            f"({size:.1f} GB) in {time.perf_counter() - started:.0f} s"
        )
        engine = make_engine(url)
        since, until = START.astimezone(UTC), (START + timedelta(days=DAYS)).astimezone(UTC)
        ragged = (since + timedelta(hours=5, minutes=17), until - timedelta(hours=7, minutes=3))
        with Session(engine) as session:
            whole = coverage(session=session, since=since, until=until, tz=TZ)
            rollup_ms = _median_ms(lambda: coverage(session=session, since=since, until=until, tz=TZ))
            ragged_ms = _median_ms(lambda: coverage(session=session, since=ragged[0], until=ragged[1], tz=TZ))
            filtered_ms = _median_ms(
                lambda: coverage(session=session, since=since, until=until, tz=TZ, fleet_id="f2")
            )
            raw = text(
                "SELECT zone_id, count(*), count(DISTINCT fleet_id || ':' || bike_id), "
                "count(DISTINCT slogan_id), max(occurred_at) FROM lock_event "
                "WHERE clip_id IS NOT NULL AND zone_id IS NOT NULL "
                "AND occurred_at >= :since AND occurred_at < :until GROUP BY zone_id"
            )
            params = {
                "since": since.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "until": until.strftime("%Y-%m-%d %H:%M:%S.%f"),
            }
            raw_rows = session.connection().execute(raw, params).all()
            raw_ms = _median_ms(lambda: session.connection().execute(raw, params).all(), runs=1)
        engine.dispose()
        by_zone = {z.zone_id: (z.plays, z.unique_bikes, z.slogans) for z in whole.zones if z.plays}
        assert by_zone == {r[0]: (r[1], r[2], r[3]) for r in raw_rows}, "the rollups disagree with the log"
        print(f"coverage, 30 whole days, from the rollups:     {rollup_ms:8.1f} ms (target 200 ms)")
        print(
            f"coverage, 30 days with ragged edges:          {ragged_ms:8.1f} ms (partial days from the log)"
        )
        print(f"coverage, 30 whole days, one fleet:           {filtered_ms:8.1f} ms")
        print(f"the same question from the raw log (GROUP BY): {raw_ms:8.1f} ms")
        print(f"raw log / rollups: {raw_ms / rollup_ms:.0f}x; both give the same figures for every zone")
    finally:
        shutil.rmtree(work, ignore_errors=True)

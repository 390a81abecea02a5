"""The pure lock-event decision and the zone lookup at the issue's scale: 100,000 zones and 1,000 active
campaigns. Baselines measured in the same run: a brute-force test of every zone for the lookup, the same
decision scanning every campaign (the spine's way) for the indexed decision, and an empty call."""

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import shapely
from shapely.geometry import box

from service.targeting.decision import (
    ClipInfo,
    CompiledCampaign,
    EventQuery,
    PlayableSlogan,
    Snapshot,
    choose_clip,
)
from service.timewindows import Daypart, TimeWindow
from service.zones.geometry import ZoneIndex, ZoneInfo, circle

ROUNDS = 20_000
KINDS = ("residential", "commercial", "station", "village", "scenic", "school")
REGIONS = tuple(f"region-{i}" for i in range(12))
FLEETS = ("f1", "f2", "f3")
LON0, LAT0 = 87.0, 43.0  # a 4° x 2° patch of Changji prefecture


def _zones(count: int, rng: random.Random) -> list[tuple[ZoneInfo, shapely.Geometry]]:
    zones = []
    for i in range(count):
        lon, lat = LON0 + rng.random() * 4, LAT0 + rng.random() * 2
        info = ZoneInfo(f"z{i}", f"z{i}", rng.choice(KINDS), rng.choice(REGIONS))
        if i % 5 == 0:
            geom = circle(lon, lat, rng.uniform(20, 200))
        else:
            geom = box(lon, lat, lon + rng.uniform(0.0005, 0.003), lat + rng.uniform(0.0005, 0.002))
        zones.append((info, geom))
    return zones


def _campaigns(count: int, zone_count: int, rng: random.Random) -> list[CompiledCampaign]:
    """A county's worth of campaigns, all live now: most on a few zones, some on kinds or regions, a few
    everywhere; some with fleets, exclusions, dayparts (one wrapping past midnight) and daily caps."""
    now = datetime.now(UTC)
    campaigns = []
    for i in range(count):
        share = i / count
        targets: dict = {}
        if share < 0.85:
            targets["zone_ids"] = frozenset(
                f"z{rng.randrange(zone_count)}" for _ in range(rng.randint(1, 20))
            )
        elif share < 0.93:
            targets["zone_kinds"] = frozenset({rng.choice(KINDS)})
            targets["exclude_zone_ids"] = frozenset({f"z{rng.randrange(zone_count)}"})
        elif share < 0.97:
            targets["regions"] = frozenset({rng.choice(REGIONS)})
            targets["exclude_zone_kinds"] = frozenset({"school"})
        if i % 7 == 0:
            targets["fleet_ids"] = frozenset({rng.choice(FLEETS)})
        if i % 11 == 0:
            targets["dayparts"] = (Daypart(frozenset(range(7)), TimeWindow(22 * 60, 7 * 60)),)
        elif i % 13 == 0:
            targets["dayparts"] = (Daypart(frozenset(range(5)), TimeWindow(7 * 60, 9 * 60)),)
        campaigns.append(
            CompiledCampaign(
                id=i,
                rank=2 if i % 97 == 0 and share < 0.93 else (0 if i % 50 == 0 else 1),
                weight=rng.choice((0.5, 1.0, 2.0, 5.0)),
                events=frozenset({"unlock", "lock"} if i % 3 else {"unlock"}),
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                zone_ids=targets.pop("zone_ids", frozenset()),
                zone_kinds=targets.pop("zone_kinds", frozenset()),
                fleet_ids=targets.pop("fleet_ids", frozenset()),
                slogan_ids=tuple(rng.sample(range(200), rng.randint(1, 4))),
                max_plays_per_bike_per_day=3 if i % 5 == 0 else None,
                **targets,
            )
        )
    return campaigns


def _snapshot(zones: list[tuple[ZoneInfo, shapely.Geometry]], campaigns: list[CompiledCampaign]) -> Snapshot:
    slogans = {}
    for i in range(200):
        clips = {
            (e, "mp3-16k"): ClipInfo(i * 2 + n, f"/v1/audio/{i}.mp3", "0" * 64, 5000, "mp3", "mp3-16k")
            for n, e in enumerate(("unlock", "lock"))
        }
        slogans[i] = PlayableSlogan(i, f"s{i}", None, None, clips, ("zh-CN", "ug", "kk")[i % 3])
    ordered = tuple(sorted(campaigns, key=lambda c: -c.rank))
    return Snapshot(1, ZoneIndex(zones), ordered, slogans, dict.fromkeys(FLEETS, "op"), {"f1": REGIONS[0]})


def _median_us(fn, rounds: int = ROUNDS) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for n in range(rounds):
        start = time.perf_counter_ns()
        fn(n)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    rng = random.Random(1)
    started = time.perf_counter()
    zones = _zones(100_000, rng)
    snap = _snapshot(zones, _campaigns(1_000, len(zones), rng))
    print(f"built 100,000 zones and 1,000 campaigns in {time.perf_counter() - started:.1f} s")

    # Three in four bikes stand in a zone (a point inside one), the rest anywhere in the patch.
    points = []
    for n in range(1_000):
        if n % 4:
            p = zones[rng.randrange(len(zones))][1].representative_point()
            points.append((p.x, p.y))
        else:
            points.append((LON0 + rng.random() * 4, LAT0 + rng.random() * 2))
    geoms = [g for _, g in zones]
    for g in geoms:
        shapely.prepare(g)
    located = [snap.zones.locate(x, y) for x, y in points]
    assert sum(z is not None for z in located) >= 700

    empty = _median_us(lambda _n: None)
    locate = _median_us(lambda n: snap.zones.locate(*points[n % 1000]))
    brute = _median_us(lambda n: shapely.contains_xy(geoms, *points[n % 1000]), rounds=200)
    print(
        f"zone lookup among 100,000 zones: median {locate:.1f} us "
        f"(target <= 20 us); testing every zone {brute:.0f} us, {brute / locate:.0f}x slower"
    )

    at = datetime.now(UTC)
    queries = [
        EventQuery(
            FLEETS[n % 3],
            ("unlock", "lock")[n % 2],
            located[n],
            at + timedelta(minutes=n * 7),
            last_slogan_id=n % 200,
            plays_today={n % 200: 3, (n * 7) % 200: 1},
        )
        for n in range(1_000)
    ]
    decide = _median_us(lambda n: choose_clip(snap, queries[n % 1000], rng))
    scan = _median_us(lambda n: choose_clip(snap, queries[n % 1000], rng, scan=True), rounds=2_000)
    played = sum(choose_clip(snap, q, rng).slogan_id is not None for q in queries)
    print(
        f"decision with 1,000 active campaigns: median {decide:.1f} us (target <= 50 us; "
        f"{played / 10:.0f}% of events get a slogan); scanning every campaign {scan:.0f} us, "
        f"{scan / decide:.1f}x slower; empty call {empty:.2f} us"
    )

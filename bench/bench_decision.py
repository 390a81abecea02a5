"""The pure lock-event decision on a demo-sized snapshot, against a no-op call as the baseline."""

import random
import statistics
import time
from datetime import UTC, datetime

from shapely.geometry import box

from service.events.decision import (
    ClipInfo,
    CompiledCampaign,
    EventQuery,
    PlayableSlogan,
    Snapshot,
    choose_clip,
)
from service.zones.geometry import ZoneIndex, ZoneInfo

ROUNDS = 20_000


def _snapshot(zones: int, campaigns: int) -> Snapshot:
    index = ZoneIndex(
        [
            (ZoneInfo(f"z{i}", f"z{i}", "residential"), box(i * 0.01, 0, i * 0.01 + 0.005, 0.005))
            for i in range(zones)
        ]
    )
    clip = ClipInfo(1, "/v1/audio/x.mp3", "0" * 64, 5000, "mp3", "mp3-16k")
    slogans = {i: PlayableSlogan(i, f"s{i}", None, None, {("unlock", "mp3-16k"): clip}) for i in range(50)}
    compiled = tuple(
        CompiledCampaign(
            id=i,
            rank=1,
            weight=1.0,
            events=frozenset({"unlock"}),
            starts_at=None,
            ends_at=None,
            zone_ids=frozenset({f"z{i % zones}"}),
            zone_kinds=frozenset(),
            fleet_ids=frozenset(),
            slogan_ids=(i % 50, (i + 1) % 50),
        )
        for i in range(campaigns)
    )
    return Snapshot(1, index, compiled, slogans, {"f": "op"})


def _median_us(fn, rounds: int = ROUNDS) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    rng = random.Random(1)
    at = datetime.now(UTC)
    for zones, campaigns in ((65, 4), (1_000, 1_000)):
        snap = _snapshot(zones, campaigns)
        query = EventQuery("f", "unlock", snap.zones.by_id["z0"], at, None)
        baseline = _median_us(lambda: None)
        locate = _median_us(lambda snap=snap: snap.zones.locate(0.002, 0.002))
        decide = _median_us(lambda snap=snap, query=query: choose_clip(snap, query, rng))
        print(
            f"zones={zones} campaigns={campaigns}: locate median {locate:.1f} us, "
            f"decide median {decide:.1f} us (empty call {baseline:.2f} us, "
            f"decide/empty {decide / baseline:.0f}x)"
        )

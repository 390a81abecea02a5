"""The pure decision core: no database, no app."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from service.targeting.decision import (
    ClipInfo,
    CompiledCampaign,
    EventQuery,
    PlayableSlogan,
    Snapshot,
    choose_clip,
)
from service.zones.geometry import ZoneIndex, ZoneInfo

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
HOME = ZoneInfo("z1", "幸福小区", "residential")
STATION = ZoneInfo("z2", "汽车站", "station")


def slogan(slogan_id: int, **kwargs) -> PlayableSlogan:  # type: ignore[no-untyped-def]
    clips = {
        (event, "mp3-16k"): ClipInfo(
            slogan_id * 10 + i, f"/v1/audio/{slogan_id}{event}.mp3", "0" * 64, 5000, "mp3", "mp3-16k"
        )
        for i, event in enumerate(("unlock", "lock"))
    }
    return PlayableSlogan(
        slogan_id, f"标语{slogan_id}", kwargs.get("valid_from"), kwargs.get("valid_until"), clips
    )


def campaign(campaign_id: int, slogan_ids: tuple[int, ...], **kwargs) -> CompiledCampaign:  # type: ignore[no-untyped-def]
    """A campaign for unlock and lock, everywhere, always, weight 1, normal priority unless told."""
    fields = {
        "rank": 1,
        "weight": 1.0,
        "events": ("unlock", "lock"),
        "starts_at": None,
        "ends_at": None,
        "zone_ids": (),
        "zone_kinds": (),
        "fleet_ids": (),
        **kwargs,
    }
    sets = {k: frozenset(v) for k, v in fields.items() if isinstance(v, tuple) and k != "dayparts"}
    return CompiledCampaign(id=campaign_id, slogan_ids=slogan_ids, **{**fields, **sets})


def snapshot(campaigns: list[CompiledCampaign], slogans: list[PlayableSlogan]) -> Snapshot:
    ordered = tuple(sorted(campaigns, key=lambda c: -c.rank))
    return Snapshot(1, ZoneIndex([]), ordered, {s.id: s for s in slogans}, {"f1": "op"})


def ask(snap: Snapshot, zone: ZoneInfo | None = HOME, **kwargs) -> int | None:  # type: ignore[no-untyped-def]
    query = EventQuery(
        fleet_id=kwargs.get("fleet_id", "f1"),
        event=kwargs.get("event", "unlock"),
        zone=zone,
        at=kwargs.get("at", NOW),
        last_slogan_id=kwargs.get("last"),
    )
    return choose_clip(snap, query, kwargs.get("rng", random.Random(1))).slogan_id


def test_empty_targets_mean_everywhere_including_outside_zones() -> None:
    snap = snapshot([campaign(1, (1,))], [slogan(1)])
    assert ask(snap, HOME) == 1
    assert ask(snap, None) == 1


def test_zone_and_kind_targets() -> None:
    snap = snapshot(
        [campaign(1, (1,), zone_ids=("z2",)), campaign(2, (2,), zone_kinds=("residential",))],
        [slogan(1), slogan(2)],
    )
    assert ask(snap, STATION) == 1
    assert ask(snap, HOME) == 2
    assert ask(snap, None) is None


def test_fleet_event_and_time_window() -> None:
    snap = snapshot(
        [
            campaign(1, (1,), fleet_ids=("f2",)),
            campaign(2, (2,), events=("lock",)),
            campaign(3, (3,), starts_at=NOW + timedelta(days=1)),
        ],
        [slogan(1), slogan(2), slogan(3)],
    )
    assert ask(snap, event="unlock") is None
    assert ask(snap, event="lock") == 2
    assert ask(snap, fleet_id="f2", event="unlock") == 1
    assert ask(snap, at=NOW + timedelta(days=2)) == 3


def test_higher_priority_wins_where_it_applies() -> None:
    snap = snapshot(
        [
            campaign(1, (1,), rank=1),
            campaign(2, (2,), rank=2, zone_kinds=("station",)),
            campaign(3, (3,), rank=0),
        ],
        [slogan(1), slogan(2), slogan(3)],
    )
    assert {ask(snap, STATION, rng=random.Random(i)) for i in range(20)} == {2}
    assert {ask(snap, HOME, rng=random.Random(i)) for i in range(20)} == {1}


def test_fallback_plays_only_where_nothing_else_does() -> None:
    snap = snapshot(
        [campaign(1, (1,), zone_kinds=("station",)), campaign(3, (3,), rank=0)], [slogan(1), slogan(3)]
    )
    assert ask(snap, STATION) == 1
    assert ask(snap, HOME) == 3


def test_weights_share_within_a_priority() -> None:
    snap = snapshot([campaign(1, (1,), weight=3.0), campaign(2, (2,), weight=1.0)], [slogan(1), slogan(2)])
    rng = random.Random(42)
    counts = Counter(ask(snap, rng=rng) for _ in range(4000))
    assert 0.7 < counts[1] / 4000 < 0.8


def test_never_the_same_slogan_twice_in_a_row_when_another_is_eligible() -> None:
    snap = snapshot([campaign(1, (1, 2), weight=1.0)], [slogan(1), slogan(2)])
    for seed in range(50):
        assert ask(snap, last=1, rng=random.Random(seed)) == 2
    only = snapshot([campaign(1, (1,))], [slogan(1)])
    assert ask(only, last=1) == 1


def test_unplayable_slogans_are_skipped() -> None:
    expired = slogan(2, valid_until=NOW - timedelta(hours=1))
    snap = snapshot([campaign(1, (1, 2, 99))], [slogan(1), expired])
    assert {ask(snap, rng=random.Random(i)) for i in range(20)} == {1}
    # An urgent campaign with nothing playable does not silence the normal ones.
    snap = snapshot([campaign(1, (1,)), campaign(2, (99,), rank=2)], [slogan(1)])
    assert ask(snap) == 1


def test_zone_index_picks_the_smallest_overlapping_zone() -> None:
    from shapely.geometry import box

    index = ZoneIndex([(HOME, box(0, 0, 10, 10)), (STATION, box(4, 4, 6, 6))])
    assert index.locate(5, 5) == STATION
    assert index.locate(1, 1) == HOME
    assert index.locate(20, 20) is None

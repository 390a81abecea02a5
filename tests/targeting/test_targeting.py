"""Targeting in the pure decision core: regions, exclusions, priorities, dayparts, caps, languages, volume,
and the index agreeing with a scan of every campaign."""

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from service.targeting.decision import (
    DecisionSettings,
    EventQuery,
    Reason,
    Snapshot,
    candidates,
    choose_clip,
    explain,
)
from service.timewindows import Daypart, QuietHours, TimeWindow, local_moment
from service.zones.geometry import ZoneIndex, ZoneInfo
from tests.targeting.test_decision import campaign, slogan

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Sunday 2026-11-29 08:00 in Shanghai.
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)
HOME = ZoneInfo("z1", "幸福小区", "residential", "jimusar")
STATION = ZoneInfo("z2", "汽车站", "station", "jimusar")
VILLAGE = ZoneInfo("z3", "北庭镇村", "village", "qitai", languages=("ug",))
UNREGIONED = ZoneInfo("z4", "无辖区", "commercial")


def snapshot(campaigns, slogans, settings=None, fleet_regions=None) -> Snapshot:  # type: ignore[no-untyped-def]
    ordered = tuple(sorted(campaigns, key=lambda c: -c.rank))
    return Snapshot(
        1,
        ZoneIndex([]),
        ordered,
        {s.id: s for s in slogans},
        {"f1": "op", "f2": "op"},
        fleet_regions or {"f1": "jimusar"},
        settings or DecisionSettings(),
    )


def query(zone: ZoneInfo | None = HOME, **kwargs) -> EventQuery:  # type: ignore[no-untyped-def]
    return EventQuery(
        fleet_id=kwargs.get("fleet_id", "f1"),
        event=kwargs.get("event", "unlock"),
        zone=zone,
        at=kwargs.get("at", NOW),
        last_slogan_id=kwargs.get("last"),
        plays_today=kwargs.get("plays", {}),
    )


def ask(snap: Snapshot, zone: ZoneInfo | None = HOME, seed: int = 1, **kwargs) -> int | None:  # type: ignore[no-untyped-def]
    indexed, scanned = (
        sorted(
            (c.campaign.id, c.slogan.id, c.weight) for c in candidates(snap, query(zone, **kwargs), scan=scan)
        )
        for scan in (False, True)
    )
    assert indexed == scanned  # the index never changes what the choice is drawn from
    return choose_clip(snap, query(zone, **kwargs), random.Random(seed)).slogan_id


def heard(snap: Snapshot, zone: ZoneInfo | None = HOME, **kwargs) -> set[int | None]:  # type: ignore[no-untyped-def]
    return {ask(snap, zone, seed=seed, **kwargs) for seed in range(30)}


def test_regions_target_zones_of_the_region_and_the_fleet_region_outside_zones() -> None:
    snap = snapshot([campaign(1, (1,), regions=("jimusar",))], [slogan(1)])
    assert ask(snap, HOME) == 1
    assert ask(snap, VILLAGE) is None  # another region
    assert ask(snap, None) == 1  # outside zones: fleet f1 serves jimusar
    assert ask(snap, None, fleet_id="f2") is None  # f2 has no region
    assert ask(snap, UNREGIONED) == 1  # a zone without a region counts in the fleet's


def test_exclusions_win_over_targets() -> None:
    snap = snapshot(
        [
            campaign(1, (1,), exclude_zone_ids=("z1",)),
            campaign(2, (2,), zone_kinds=("residential", "station"), exclude_zone_kinds=("station",)),
            campaign(3, (3,), regions=("jimusar",), exclude_regions=("jimusar",)),
            campaign(4, (4,), exclude_fleet_ids=("f2",)),
        ],
        [slogan(i) for i in range(1, 5)],
    )
    assert heard(snap, HOME) == {2, 4}
    assert heard(snap, STATION) == {1, 4}
    assert heard(snap, STATION, fleet_id="f2") == {1}
    assert heard(snap, VILLAGE, fleet_id="f2") == {1}


def test_urgent_overrides_everything_it_targets_until_it_ends() -> None:
    ends = NOW + timedelta(hours=2)
    snap = snapshot(
        [
            campaign(1, (1,), weight=1000),
            campaign(2, (2,), rank=2, weight=0.01, regions=("jimusar",), ends_at=ends),
            campaign(3, (3,), rank=0),
        ],
        [slogan(1), slogan(2), slogan(3)],
    )
    assert heard(snap, HOME, last=2) == {2}  # even right after it played: nothing else is eligible
    assert heard(snap, VILLAGE) == {1}  # not targeted there
    assert heard(snap, HOME, at=ends) == {1}  # over


def test_dayparts_by_weekday_and_hour_wrapping_past_midnight_in_local_time() -> None:
    # Fridays 22:00-02:00 Shanghai time: covers Saturday 01:00, not Friday 01:00 nor Saturday 22:00.
    friday_night = (Daypart(frozenset({4}), TimeWindow(22 * 60, 2 * 60)),)
    snap = snapshot([campaign(1, (1,), dayparts=friday_night)], [slogan(1)])

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 11, day, hour, 30, tzinfo=SHANGHAI).astimezone(UTC)

    assert ask(snap, at=at(27, 23)) == 1  # Friday 23:30
    assert ask(snap, at=at(28, 1)) == 1  # Saturday 01:30
    assert ask(snap, at=at(27, 1)) is None  # Friday 01:30: Thursday's night is not targeted
    assert ask(snap, at=at(28, 23)) is None  # Saturday 23:30
    assert ask(snap, at=at(28, 2)) is None  # the window ends at 02:00
    # The same instant is another local day in another deployment time zone.
    utc_settings = DecisionSettings(timezone=zoneinfo.ZoneInfo("UTC"))
    assert (
        ask(snapshot([campaign(1, (1,), dayparts=friday_night)], [slogan(1)], utc_settings), at=at(27, 23))
        is None
    )


def test_daily_cap_per_slogan_per_bike() -> None:
    snap = snapshot(
        [campaign(1, (1, 2), max_plays_per_bike_per_day=2), campaign(3, (3,), rank=0)],
        [slogan(1), slogan(2), slogan(3)],
    )
    assert heard(snap, plays={1: 2}) == {2}
    assert heard(snap, plays={1: 1, 2: 1}) == {1, 2}
    assert heard(snap, plays={1: 2, 2: 5}) == {3}  # capped out: the fallback plays
    reasons = {
        v.campaign_id: v.reason for v in explain(snap, query(plays={1: 2, 2: 2}), random.Random(1)).verdicts
    }
    assert reasons == {1: Reason.capped, 3: Reason.eligible}


def test_zone_languages_are_preferred_when_they_can_play() -> None:
    uyghur = slogan(2)
    uyghur = type(uyghur)(2, "ئالدامچىلىقتىن ساقلىنىڭ", None, None, uyghur.clips, "ug")
    snap = snapshot([campaign(1, (1, 2), regions=("qitai", "jimusar"))], [slogan(1), uyghur])
    assert heard(snap, VILLAGE) == {2}
    assert heard(snap, HOME) == {1, 2}  # no preference
    assert heard(snap, VILLAGE, last=2) == {2}  # preference first, then no-repeat only within it
    zh_only = snapshot([campaign(1, (1,), regions=("qitai",))], [slogan(1)])
    assert heard(zh_only, VILLAGE) == {1}  # nothing in Uyghur: Chinese rather than silence


def test_volume_is_lower_in_quiet_hours_globally_or_per_zone() -> None:
    settings = DecisionSettings(volume=6, quiet=QuietHours(TimeWindow(22 * 60, 7 * 60), 2))
    snap = snapshot([campaign(1, (1,))], [slogan(1)], settings)
    quiet_zone = ZoneInfo("q", "医院", "hospital", volume=4, quiet=QuietHours(TimeWindow(20 * 60, 8 * 60), 0))

    def volume(zone: ZoneInfo | None, hour: int) -> int | None:
        at = datetime(2026, 11, 29, hour, 0, tzinfo=SHANGHAI).astimezone(UTC)
        return choose_clip(snap, query(zone, at=at), random.Random(1)).volume

    assert volume(HOME, 12) == 6
    assert volume(HOME, 23) == 2
    assert volume(None, 3) == 2
    assert volume(quiet_zone, 12) == 4
    assert volume(quiet_zone, 21) == 0
    assert volume(quiet_zone, 7) == 0


def test_explain_gives_every_campaign_a_reason_and_eligible_ones_their_chances() -> None:
    snap = snapshot(
        [
            campaign(1, (1, 2), weight=3.0),
            campaign(2, (3,), weight=1.0),
            campaign(3, (4,), events=("lock",)),
            campaign(4, (5,), zone_ids=("z2",)),
            campaign(5, (6,), rank=0),
            campaign(6, (99,)),
            campaign(7, (7,), starts_at=NOW + timedelta(days=1)),
        ],
        [slogan(i) for i in range(1, 8)],
    )
    result = explain(snap, query(HOME, last=3), random.Random(1))
    verdicts = {v.campaign_id: v for v in result.verdicts}
    assert {k: v.reason for k, v in verdicts.items()} == {
        1: Reason.eligible,
        2: Reason.repeat,
        3: Reason.event,
        4: Reason.not_targeted_here,
        5: Reason.outranked,
        6: Reason.no_playable_slogan,
        7: Reason.not_started,
    }
    assert verdicts[1].slogans == pytest.approx({1: 0.5, 2: 0.5})
    assert result.decision.slogan_id in (1, 2)
    assert result.region == "jimusar"
    assert result.local_time == "2026-11-29 08:00"


def test_the_index_agrees_with_a_scan_of_every_campaign() -> None:
    rng = random.Random(7)
    zones = [HOME, STATION, VILLAGE, UNREGIONED, None]
    for _ in range(40):
        campaigns = []
        for cid in range(rng.randint(1, 12)):
            pick = lambda pool: tuple(rng.sample(pool, rng.randint(0, 1)))  # noqa: E731
            campaigns.append(
                campaign(
                    cid,
                    tuple(rng.sample(range(1, 9), rng.randint(1, 3))),
                    rank=rng.choice((0, 1, 1, 2)),
                    weight=rng.choice((0.5, 1.0, 3.0)),
                    events=rng.choice((("unlock",), ("lock",), ("unlock", "lock"))),
                    zone_ids=pick(["z1", "z2", "z3"]),
                    zone_kinds=pick(["residential", "village"]),
                    regions=pick(["jimusar", "qitai"]),
                    exclude_zone_ids=pick(["z1", "z2"]),
                    exclude_fleet_ids=pick(["f2"]),
                    fleet_ids=pick(["f1", "f2"]),
                    dayparts=rng.choice(((), (Daypart(frozenset({6}), TimeWindow(7 * 60, 9 * 60)),))),
                    max_plays_per_bike_per_day=rng.choice((None, 1)),
                )
            )
        snap = snapshot(campaigns, [slogan(i) for i in range(1, 8)])
        for zone in zones:
            for kwargs in ({}, {"fleet_id": "f2", "last": 1}, {"event": "lock", "plays": {2: 1}}):
                for seed in range(3):
                    ask(snap, zone, seed=seed, **kwargs)


def test_local_moment_is_in_the_deployment_time_zone() -> None:
    moment = local_moment(datetime(2026, 11, 28, 17, 30, tzinfo=UTC), SHANGHAI)
    assert (moment.weekday, moment.minute, moment.day.isoformat()) == (6, 90, "2026-11-29")

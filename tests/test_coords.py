"""GCJ-02 and BD-09 to WGS-84 (service/coords.py) against published reference points."""

import math

import pytest

from service.coords import CoordSystem, geometry_to_wgs84, to_wgs84


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lon, lat) a few metres apart."""
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


# (WGS-84 lon, lat), (GCJ-02 lon, lat): the reference points of eviltransform's own test suite
# (github.com/googollee/eviltransform, python/test.py, TESTS: Shanghai, Shenzhen, Beijing).
WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    # github.com/wandergis/coordtransform, README.md: wgs84togcj02(116.404, 39.915).
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ)
def test_gcj02_reference_points_come_back_to_wgs84(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    assert metres(to_wgs84(*gcj, CoordSystem.gcj02), wgs) < 0.5
    assert metres(gcj, wgs) > 100  # the offset the conversion removes


# github.com/wandergis/coordtransform, README.md: gcj02tobd09(116.404, 39.915), bd09togcj02(116.404, 39.915).
GCJ_BD = [
    ((116.404, 39.915), (116.41036949371029, 39.92133699351021)),
    ((116.39762729119315, 39.90865673957631), (116.404, 39.915)),
]


@pytest.mark.parametrize(("gcj", "bd"), GCJ_BD)
def test_bd09_reference_points_are_their_gcj02_points(
    gcj: tuple[float, float], bd: tuple[float, float]
) -> None:
    wgs = to_wgs84(*gcj, CoordSystem.gcj02)
    assert metres(to_wgs84(*bd, CoordSystem.bd09), wgs) < 0.5
    assert metres(bd, wgs) > 500


def test_wgs84_and_points_outside_china_are_unchanged() -> None:
    assert to_wgs84(89.18, 44.0, CoordSystem.wgs84) == (89.18, 44.0)
    for system in CoordSystem:
        assert metres(to_wgs84(2.3522, 48.8566, system), (2.3522, 48.8566)) < 0.5  # Paris


def test_geometry_positions_are_converted_and_malformed_ones_left_for_the_checks() -> None:
    gcj = WGS_GCJ[0][1]
    polygon = {"type": "Polygon", "coordinates": [[list(gcj), [gcj[0] + 0.001, gcj[1]], list(gcj)]]}
    converted = geometry_to_wgs84(polygon, CoordSystem.gcj02)
    assert metres(tuple(converted["coordinates"][0][0]), WGS_GCJ[0][0]) < 0.5
    assert polygon["coordinates"][0][0] == list(gcj)  # the input is not changed in place
    assert geometry_to_wgs84({"type": "Point", "coordinates": ["x", 1e400]}, CoordSystem.gcj02) == {
        "type": "Point",
        "coordinates": ["x", 1e400],
    }
    assert geometry_to_wgs84(None, CoordSystem.bd09) is None

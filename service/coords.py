"""Coordinate systems of Chinese maps, converted to the WGS-84 everything is stored and located in.

GPS receivers give WGS-84; Amap and Tencent (and most operators' backends that draw on them) give GCJ-02,
which offsets a point by up to ~700 m in a deliberately non-linear way; Baidu gives BD-09, a further
offset of GCJ-02. The same parking spot in Changji is ~288 m apart in WGS-84 and GCJ-02: enough to put a
bike in the wrong zone. The conversion is eviltransform's (pure Python; GCJ-02 to WGS-84 by its exact,
iterative inverse, within 0.5 m). Outside China GCJ-02 and BD-09 are WGS-84 unchanged."""

import math
from enum import StrEnum
from typing import Any

import eviltransform


class CoordSystem(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


DEFAULT_COORD_SYSTEM = CoordSystem.wgs84


def to_wgs84(lon: float, lat: float, system: CoordSystem) -> tuple[float, float]:
    """(lon, lat) in `system` as WGS-84 (lon, lat)."""
    if system is CoordSystem.wgs84:
        return lon, lat
    if system is CoordSystem.bd09:
        lat, lon = eviltransform.bd2gcj(lat, lon)
    lat, lon = eviltransform.gcj2wgs_exact(lat, lon)
    return lon, lat


def geometry_to_wgs84(geometry: Any, system: CoordSystem) -> Any:
    """A GeoJSON geometry with every position converted (positions are [lon, lat, ...]); anything that is
    not a well-formed geometry is returned as it is, for the geometry checks to reject."""
    if system is CoordSystem.wgs84 or not isinstance(geometry, dict):
        return geometry
    return {**geometry, "coordinates": _positions(geometry.get("coordinates"), system)}


def _positions(value: Any, system: CoordSystem) -> Any:
    if not isinstance(value, list):
        return value
    if len(value) >= 2 and all(_is_number(v) for v in value[:2]):
        lon, lat = to_wgs84(float(value[0]), float(value[1]), system)
        return [lon, lat, *value[2:]]
    return [_positions(item, system) for item in value]


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too big for a float
        return False

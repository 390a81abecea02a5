"""Zone geometry: GeoJSON in WGS-84, validated with shapely, located through an STRtree."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import affinity
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from service.timewindows import QuietHours

METERS_PER_DEGREE = 111_320.0
# No one parks a bike nearer the poles; a larger latitude is nearly always a swapped longitude
# (western China lies at 73-90°E).
MAX_LATITUDE = 85.0
ZONE_GEOMETRIES = ("Polygon", "MultiPolygon", "Point")


class GeometryError(ValueError):
    pass


def zone_shape(geometry: dict[str, Any], radius_m: float | None) -> BaseGeometry:
    """The area a zone covers. A Point zone is a circle of radius_m around it."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ZONE_GEOMETRIES:
        raise GeometryError(f"geometry type must be one of {', '.join(ZONE_GEOMETRIES)}, not {kind!r}")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise GeometryError(f"malformed {kind} coordinates") from exc
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds):
        raise GeometryError("coordinates must be finite numbers")
    if min_lon < -180 or max_lon > 180 or min_lat < -MAX_LATITUDE or max_lat > MAX_LATITUDE:
        raise GeometryError(
            f"coordinates out of range (latitude within ±{MAX_LATITUDE:g}°): GeoJSON positions are "
            "[longitude, latitude] — latitude and longitude swapped?"
        )
    if kind == "Point":
        if radius_m is None or not math.isfinite(radius_m) or not 0 < radius_m <= 50_000:
            raise GeometryError("a Point zone needs radius_m, a number of metres between 0 and 50000")
        assert isinstance(geom, Point)
        return circle(geom.x, geom.y, radius_m)
    if not geom.is_valid:
        raise GeometryError(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    return geom


def check_rfc7946(geometry: dict[str, Any]) -> None:
    """What RFC 7946 asks of a polygon that shapely lets pass (call after zone_shape accepted it): every
    ring closed, its last position the first again, with at least four positions (3.1.6; shapely closes
    an open ring silently, so a truncated export would pass as some other shape); and no polygon spanning
    more than 180 degrees of longitude (3.1.9: one that crosses the antimeridian is cut in two, so a
    wider one is nearly always a sign error, taken the long way round the Earth)."""
    kind = geometry["type"]
    if kind not in ("Polygon", "MultiPolygon"):
        return
    polygons = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
    for p, rings in enumerate(polygons):
        where = f"polygon {p} " if kind == "MultiPolygon" else ""
        for r, ring in enumerate(rings):
            if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
                raise GeometryError(
                    f"{where}ring {r} is not closed: RFC 7946 wants at least 4 positions, the last one "
                    "equal to the first"
                )
        lons = [position[0] for position in rings[0]]
        if max(lons) - min(lons) > 180:
            raise GeometryError(
                f"{where}spans {max(lons) - min(lons):.1f}° of longitude: RFC 7946 wants a polygon that "
                "crosses the antimeridian cut in two, each part within 180°"
            )


def circle(lon: float, lat: float, radius_m: float) -> BaseGeometry:
    """A circle in metres, as an ellipse in degrees (longitude degrees shrink with latitude)."""
    deg = radius_m / METERS_PER_DEGREE
    disc = Point(lon, lat).buffer(deg, 32)
    return affinity.scale(disc, xfact=1 / max(math.cos(math.radians(lat)), 1e-6), yfact=1.0)


@dataclass(frozen=True, slots=True)
class ZoneInfo:
    id: str
    name: str
    kind: str
    region: str | None = None
    languages: tuple[str, ...] = ()  # preferred slogan languages, if any
    volume: int | None = None  # daytime volume, overriding the global one
    quiet: QuietHours | None = None  # overriding the global quiet hours


class ZoneIndex:
    """Finds the zone a bike stands in; where zones overlap, the smallest wins."""

    def __init__(self, zones: Sequence[tuple[ZoneInfo, BaseGeometry]]) -> None:
        # Smallest first, so the first hit of a query is the answer.
        ordered = sorted(zones, key=lambda item: item[1].area)
        self._infos = [info for info, _ in ordered]
        # Not shapely.prepare()d: the tree's query prepares the points it is asked about, and prepared
        # zones took memory (and, measured, no time off a lookup).
        self._geoms = [geom for _, geom in ordered]
        self._tree = shapely.STRtree(self._geoms) if ordered else None
        self.by_id = {info.id: info for info in self._infos}

    def __len__(self) -> int:
        return len(self._infos)

    def locate(self, lon: float, lat: float) -> ZoneInfo | None:
        return self.locate_many([(lon, lat)])[0]

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[ZoneInfo | None]:
        """The zone of each (lon, lat), in one query of the tree for all of them."""
        best: list[int | None] = [None] * len(points)
        if self._tree is None or not points:
            return [None] * len(points)
        hits = self._tree.query(shapely.points(points), predicate="intersects")
        for point, zone in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            found = best[point]
            if found is None or zone < found:  # smallest zone first: the lowest index wins
                best[point] = zone
        return [None if i is None else self._infos[i] for i in best]

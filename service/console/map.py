"""Zones drawn as SVG from their GeoJSON (no tile server: police networks are offline). An equirectangular
projection scaled by the cosine of the middle latitude, which is true enough at county scale."""

import math
from dataclasses import dataclass
from typing import Any

from service.zones.models import Zone

WIDTH = 1000.0
PADDING = 10.0
METRES_PER_DEGREE = 111_320.0
# A zone smaller than this on the map (SVG units, 1000 across) is drawn as a dot of this size, so that
# a parking spot in a county-wide map can still be seen and clicked.
MIN_SIZE = 7.0


@dataclass(frozen=True)
class Shape:
    zone: Zone
    path: str  # an SVG path ("" for a Point zone, drawn as a circle)
    cx: float = 0.0
    cy: float = 0.0
    r: float = 0.0


@dataclass(frozen=True)
class ZoneMap:
    shapes: list[Shape]
    height: float
    # For the page's script, which turns a click back into lon/lat.
    min_lon: float
    max_lat: float
    scale: float  # SVG units per degree of latitude (a degree of longitude: scale * cos_lat)
    cos_lat: float


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def _extent(zones: list[Zone]) -> tuple[float, float, float, float]:
    lons: list[float] = []
    lats: list[float] = []
    for zone in zones:
        if zone.geometry["type"] == "Point":
            lon, lat = zone.geometry["coordinates"][:2]
            pad = (zone.radius_m or 0) / METRES_PER_DEGREE
            lons += [lon - pad, lon + pad]
            lats += [lat - pad, lat + pad]
        for ring in _rings(zone.geometry):
            lons += [p[0] for p in ring]
            lats += [p[1] for p in ring]
    if not lons:
        return 89.0, 44.0, 89.1, 44.1
    return min(lons), min(lats), max(lons), max(lats)


def zone_map(zones: list[Zone]) -> ZoneMap:
    min_lon, min_lat, max_lon, max_lat = _extent(zones)
    cos_lat = math.cos(math.radians((min_lat + max_lat) / 2))
    span = max((max_lon - min_lon) * cos_lat, 1e-6)
    scale = (WIDTH - 2 * PADDING) / span

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return PADDING + (lon - min_lon) * cos_lat * scale, PADDING + (max_lat - lat) * scale

    shapes = []
    for zone in zones:
        if zone.geometry["type"] == "Point":
            cx, cy = xy(*zone.geometry["coordinates"][:2])
            r = max((zone.radius_m or 0) / METRES_PER_DEGREE * scale, MIN_SIZE / 2)
            shapes.append(Shape(zone, "", round(cx, 1), round(cy, 1), round(r, 1)))
            continue
        parts = []
        xs: list[float] = []
        ys: list[float] = []
        for ring in _rings(zone.geometry):
            points = [xy(p[0], p[1]) for p in ring]
            xs += [x for x, _ in points]
            ys += [y for _, y in points]
            parts.append("M" + " L".join(f"{x:.2f},{y:.2f}" for x, y in points) + " Z")
        if max(xs) - min(xs) < MIN_SIZE and max(ys) - min(ys) < MIN_SIZE:
            cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
            shapes.append(Shape(zone, "", round(cx, 2), round(cy, 2), MIN_SIZE / 2))
        else:
            shapes.append(Shape(zone, " ".join(parts)))
    height = 2 * PADDING + (max_lat - min_lat) * scale
    # The origin of the SVG's coordinates in lon/lat (the padding included), for the page's script.
    origin_lon, origin_lat = min_lon - PADDING / (cos_lat * scale), max_lat + PADDING / scale
    return ZoneMap(shapes, round(max(height, 200.0), 1), origin_lon, origin_lat, scale, cos_lat)

"""GBFS station_information.json (v2.3 and v3) as parking zones: a station's station_area polygon where it
has one, otherwise a circle around its position."""

import math
from typing import Any

from service.coords import DEFAULT_COORD_SYSTEM, CoordSystem, geometry_to_wgs84, to_wgs84
from service.errors import Invalid
from service.zones.geometry import MAX_LATITUDE, GeometryError, check_rfc7946, zone_shape
from service.zones.models import Zone, clean_zone_id

MAX_STATIONS = 20_000


def _station_error(index: int, station_id: object, fault: str) -> Invalid:
    named = f" (station_id {station_id!r})" if station_id is not None else ""
    return Invalid(f"station {index}{named}: {fault}")


def _name(value: Any) -> str | None:
    """v2.3 names are strings; v3 names are [{"text": …, "language": …}] — prefer Chinese, else the first."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        texts = [v for v in value if isinstance(v.get("text"), str) and v["text"].strip()]
        chinese = [v for v in texts if str(v.get("language", "")).lower().startswith("zh")]
        chosen = (chinese or texts or [None])[0]
        return chosen["text"].strip() if chosen else None
    return None


def _coordinate(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if low <= value <= high else None


def parse_station_information(
    payload: Any,
    *,
    kind: str,
    radius_m: float,
    region: str | None = None,
    police_unit: str | None = None,
    id_prefix: str = "",
    coord_system: CoordSystem | None = None,
) -> list[Zone]:
    """Check every station before anything is written: one bad station rejects the whole import. GBFS
    positions are WGS-84; a feed made from a Chinese map's may say coord_system gcj02 or bd09."""
    system = coord_system or DEFAULT_COORD_SYSTEM
    data = payload.get("data") if isinstance(payload, dict) else None
    stations = data.get("stations") if isinstance(data, dict) else None
    if not isinstance(stations, list):
        raise Invalid('expected a GBFS station_information.json: {"data": {"stations": [...]}}')
    if not stations:
        raise Invalid("the feed has no stations")
    if len(stations) > MAX_STATIONS:
        raise Invalid(f"at most {MAX_STATIONS} stations per import")
    zones: dict[str, Zone] = {}
    for index, station in enumerate(stations):
        if not isinstance(station, dict):
            raise _station_error(index, None, "not an object")
        station_id = clean_zone_id(station.get("station_id"))
        if not station_id:
            raise _station_error(index, None, "station_id is missing (a string of at most 100 characters)")
        zone_id = f"{id_prefix}{station_id}"
        if len(zone_id) > 100:
            raise _station_error(index, station_id, "id_prefix + station_id is longer than 100 characters")
        if station_id in zones:
            raise _station_error(index, station_id, "duplicate station_id in this feed")
        name = _name(station.get("name"))
        if name is None or len(name) > 200:
            raise _station_error(index, station_id, "name is missing or not a short string")
        raw_lat, raw_lon = station.get("lat"), station.get("lon")
        lat, lon = _coordinate(raw_lat, -MAX_LATITUDE, MAX_LATITUDE), _coordinate(raw_lon, -180, 180)
        if lat is None or lon is None:
            swapped = None not in (
                _coordinate(raw_lon, -MAX_LATITUDE, MAX_LATITUDE),
                _coordinate(raw_lat, -180, 180),
            )
            hint = " (latitude and longitude swapped?)" if swapped else ""
            fault = f"lat (within ±{MAX_LATITUDE:g}) and lon must be WGS-84 degrees{hint}"
            raise _station_error(index, station_id, fault)
        lon, lat = to_wgs84(lon, lat, system)
        area = geometry_to_wgs84(station.get("station_area"), system)
        geometry = area if area is not None else {"type": "Point", "coordinates": [lon, lat]}
        try:
            shape = zone_shape(geometry, None if area is not None else radius_m)
            check_rfc7946(geometry)
        except GeometryError as exc:
            raise _station_error(index, station_id, f"station_area: {exc}" if area else str(exc)) from None
        if (
            area is not None
            and shape.distance(zone_shape({"type": "Point", "coordinates": [lon, lat]}, radius_m)) > 0.01
        ):
            fault = "station_area lies away from the station's lat/lon (latitude and longitude swapped?)"
            raise _station_error(index, station_id, fault)
        zones[station_id] = Zone(
            id=zone_id,
            name=name,
            kind=kind,
            geometry=geometry,
            radius_m=None if area is not None else radius_m,
            region=region,
            police_unit=police_unit,
        )
    return list(zones.values())

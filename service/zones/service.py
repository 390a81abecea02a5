from typing import Any

import shapely
from sqlmodel import Session, col, func, select

from service.campaigns.service import campaigns_naming, forget_target
from service.coords import DEFAULT_COORD_SYSTEM, CoordSystem, geometry_to_wgs84
from service.errors import Conflict, Invalid, NotFound
from service.labels import clean_label
from service.slogans.models import LANGUAGES
from service.snapshot_version import bump_version
from service.stats.models import ZoneDaily
from service.timeutil import utcnow
from service.timewindows import TimeWindow, format_hhmm
from service.zones.gbfs import parse_station_information
from service.zones.geometry import GeometryError, check_rfc7946, zone_shape
from service.zones.models import (
    GbfsImportOptions,
    NestedZone,
    Zone,
    ZoneDeleted,
    ZoneImportOptions,
    ZoneImportResult,
    ZoneUpdate,
    clean_zone_id,
)

MAX_FEATURES = 20_000
# The properties a zone feature may carry; any other is refused, as a typo ("languges") would silently
# lose what it meant to say.
ZONE_PROPERTIES = (
    "id", "name", "kind", "radius_m", "region", "police_unit", "languages", "volume", "quiet_hours",
)  # fmt: skip


def _feature_error(index: int, feature_id: object, fault: str) -> Invalid:
    named = f" (id {feature_id!r})" if feature_id is not None else ""
    return Invalid(f"feature {index}{named}: {fault}")


def collection_coord_system(payload: dict[str, Any], asked: CoordSystem | None) -> CoordSystem:
    """The query's coord_system, else the collection's own "coord_system" member (the export writes one),
    else WGS-84 (RFC 7946)."""
    member = payload.get("coord_system")
    if member is None:
        return asked or DEFAULT_COORD_SYSTEM
    try:
        declared = CoordSystem(member)
    except ValueError:
        raise Invalid(f"coord_system must be one of {', '.join(CoordSystem)}, not {member!r}") from None
    if asked is not None and asked is not declared:
        raise Invalid(f"the query says coord_system={asked.value}, the FeatureCollection {declared.value}")
    return declared


def parse_feature_collection(payload: Any, coord_system: CoordSystem | None = None) -> list[Zone]:
    """Check every feature before anything is written: one bad feature rejects the whole import. Positions
    are converted from `coord_system` to WGS-84."""
    if not isinstance(payload, dict) or payload.get("type") != "FeatureCollection":
        raise Invalid("expected a GeoJSON FeatureCollection")
    system = collection_coord_system(payload, coord_system)
    features = payload.get("features")
    if not isinstance(features, list) or not features:
        raise Invalid("the FeatureCollection has no features")
    if len(features) > MAX_FEATURES:
        raise Invalid(f"at most {MAX_FEATURES} features per import")
    zones: dict[str, Zone] = {}
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _feature_error(index, None, "not a GeoJSON Feature")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise _feature_error(index, None, "properties must be an object")
        zone_id = clean_zone_id(props.get("id", feature.get("id")))
        if not zone_id:
            raise _feature_error(index, None, "properties.id is missing (a string of at most 100 characters)")
        if zone_id in zones:
            raise _feature_error(index, zone_id, "duplicate id in this import")
        if unknown := [key for key in props if key not in ZONE_PROPERTIES]:
            fault = f"unknown property {unknown[0]!r} (zones take {', '.join(ZONE_PROPERTIES)})"
            raise _feature_error(index, zone_id, fault)
        name, kind = props.get("name"), props.get("kind")
        for field, value, limit in (("name", name, 200), ("kind", kind, 40)):
            if not isinstance(value, str):
                raise _feature_error(index, zone_id, f"properties.{field} is missing or not a string")
            try:
                clean_label(value, max_length=limit)
            except ValueError as exc:
                raise _feature_error(index, zone_id, f"properties.{field}: {exc}") from None
        radius = props.get("radius_m")
        if radius is not None and (isinstance(radius, bool) or not isinstance(radius, int | float)):
            raise _feature_error(index, zone_id, "properties.radius_m must be a number")
        geometry = geometry_to_wgs84(feature.get("geometry"), system)
        try:
            zone_shape(geometry, radius)
            check_rfc7946(geometry)
            extra = zone_properties(props)
        except (GeometryError, ValueError) as exc:
            raise _feature_error(index, zone_id, str(exc)) from None
        zones[zone_id] = Zone(
            id=zone_id,
            name=name.strip(),  # type: ignore[union-attr]  # checked to be a str above
            kind=kind.strip(),  # type: ignore[union-attr]  # checked to be a str above
            geometry=geometry,
            radius_m=float(radius) if radius is not None and geometry["type"] == "Point" else None,
            **extra,
        )
    return list(zones.values())


def _short_text(props: dict[str, Any], field: str, limit: int) -> str | None:
    value = props.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"properties.{field} must be a string of at most {limit} characters")
    return value.strip()


def _volume(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 7:
        raise ValueError(f"{field} must be a whole number from 0 to 7")
    return value


def zone_properties(props: dict[str, Any]) -> dict[str, Any]:
    """The optional zone properties: region, police_unit, languages, volume, quiet_hours."""
    languages = props.get("languages") or []
    if not isinstance(languages, list) or any(lang not in LANGUAGES for lang in languages):
        raise ValueError(f"properties.languages must be a list of {', '.join(LANGUAGES)}")
    volume = props.get("volume")
    quiet = props.get("quiet_hours")
    if quiet is not None:
        if not isinstance(quiet, dict) or set(quiet) != {"start", "end", "volume"}:
            raise ValueError(
                'properties.quiet_hours must be {"start": "HH:MM", "end": "HH:MM", "volume": 0 to 7}'
            )
        window = TimeWindow.parse(str(quiet["start"]), str(quiet["end"]))
        quiet = {
            "start": format_hhmm(window.start),
            "end": format_hhmm(window.end),
            "volume": _volume(quiet["volume"], "properties.quiet_hours.volume"),
        }
    return {
        "region": _short_text(props, "region", 100),
        "police_unit": _short_text(props, "police_unit", 200),
        "languages": list(dict.fromkeys(languages)),
        "volume": None if volume is None else _volume(volume, "properties.volume"),
        "quiet_hours": quiet,
    }


def import_zones(
    *, session: Session, payload: Any, options: ZoneImportOptions | None = None
) -> ZoneImportResult:
    coord_system = options.coord_system if options else None
    return save_zones(session=session, incoming=parse_feature_collection(payload, coord_system))


def import_gbfs(*, session: Session, payload: Any, options: GbfsImportOptions) -> ZoneImportResult:
    zones = parse_station_information(payload, **options.model_dump())
    return save_zones(session=session, incoming=zones)


def nested_zones(*, session: Session, incoming: list[Zone]) -> list[NestedZone]:
    """Each pair of zones, one of them imported now, where one lies inside the other: the inner one takes
    that spot from the outer one's campaigns (the smallest zone wins)."""
    replaced = {zone.id for zone in incoming}
    others = [z for z in session.exec(select(Zone)) if z.id not in replaced]
    zones = [*incoming, *others]
    shapes = [zone_shape(z.geometry, z.radius_m) for z in zones]
    tree = shapely.STRtree(shapes)
    inner, outer = tree.query(shapes[: len(incoming)], predicate="within")
    pairs = {(i, o) for i, o in zip(inner.tolist(), outer.tolist(), strict=True) if i != o}
    holder, held = tree.query(shapes[: len(incoming)], predicate="contains")
    pairs |= {(i, o) for o, i in zip(holder.tolist(), held.tolist(), strict=True) if i != o}
    nested = sorted(((zones[i], zones[o]) for i, o in pairs), key=lambda pair: (pair[0].id, pair[1].id))
    return [
        NestedZone(
            zone_id=a.id,
            inside_zone_id=b.id,
            message=f"区域「{a.name}」({a.id}) 位于区域「{b.name}」({b.id}) 之内：停在其中的车辆按"
            f"「{a.name}」投放，只投放到「{b.name}」的活动在那里不再播放",
        )
        for a, b in nested
    ]


def save_zones(*, session: Session, incoming: list[Zone]) -> ZoneImportResult:
    """Create or update every zone in one transaction; the answer warns of zones nested in others."""
    warnings = nested_zones(session=session, incoming=incoming)
    existing = {z.id: z for z in session.exec(select(Zone).where(col(Zone.id).in_([z.id for z in incoming])))}
    created = updated = 0
    now = utcnow()
    for zone in incoming:
        current = existing.get(zone.id)
        if current is None:
            session.add(zone)
            created += 1
        else:
            current.sqlmodel_update(zone.model_dump(exclude={"id", "created_at", "updated_at"}))
            current.updated_at = now
            session.add(current)
            updated += 1
    bump_version(session)
    session.commit()
    return ZoneImportResult(created=created, updated=updated, warnings=warnings)


def list_zones(*, session: Session) -> list[Zone]:
    return list(session.exec(select(Zone).order_by(Zone.id)))


def zones_geojson(zones: list[Zone]) -> dict[str, Any]:
    """The zones as a GeoJSON FeatureCollection that imports back as they are. Positions are WGS-84, as
    RFC 7946 implies; the "coord_system" member says so outright (the removed "crs" member would be
    ignored, or refused, by RFC 7946 readers), for people used to GCJ-02 maps."""
    return {
        "type": "FeatureCollection",
        "coord_system": DEFAULT_COORD_SYSTEM.value,
        "features": [
            {
                "type": "Feature",
                "id": zone.id,
                "geometry": zone.geometry,
                "properties": {
                    key: value
                    for key in ZONE_PROPERTIES
                    if (value := getattr(zone, key)) is not None and value != []
                },
            }
            for zone in zones
        ],
    }


def get_zone(*, session: Session, zone_id: str) -> Zone:
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFound(f"no zone {zone_id!r}")
    return zone


_LABELS = {"name": 200, "kind": 40}
_PROPERTIES = ("region", "police_unit", "languages", "volume", "quiet_hours")


def update_zone(*, session: Session, zone: Zone, zone_in: ZoneUpdate) -> Zone:
    """Change a zone's name, kind and optional properties, validated as an import validates them."""
    changes = zone_in.model_dump(exclude_unset=True)
    for field, limit in _LABELS.items():
        if field not in changes:
            continue
        if changes[field] is None:
            raise Invalid(f"{field} cannot be cleared")
        try:
            changes[field] = clean_label(changes[field], max_length=limit)
        except ValueError as exc:
            raise Invalid(f"{field}: {exc}") from None
    props = {field: changes.get(field, getattr(zone, field)) for field in _PROPERTIES}
    try:
        extra = zone_properties(props)
    except ValueError as exc:
        raise Invalid(str(exc).removeprefix("properties.")) from None
    zone.sqlmodel_update({**{f: changes[f] for f in _LABELS if f in changes}, **extra})
    zone.updated_at = utcnow()
    session.add(zone)
    bump_version(session)
    session.commit()
    session.refresh(zone)
    return zone


def logged_plays(*, session: Session, zone_id: str) -> int:
    query = select(func.coalesce(func.sum(ZoneDaily.plays), 0)).where(ZoneDaily.zone_id == zone_id)
    return int(session.exec(query).one())


def delete_zone(*, session: Session, zone: Zone, force: bool) -> ZoneDeleted:
    """Refused while campaigns name the zone or plays were logged in it, unless forced; the stats of
    past plays stay either way (the log and the rollups keep the zone's id)."""
    campaigns = campaigns_naming(session=session, zone_id=zone.id)
    plays = logged_plays(session=session, zone_id=zone.id)
    if (campaigns or plays) and not force:
        used = [f"campaigns {', '.join(str(c.id) for c in campaigns)} name it"] if campaigns else []
        used += [f"{plays} plays were logged in it (they stay in the stats)"] if plays else []
        raise Conflict(f"zone {zone.id!r} is in use: {'; '.join(used)}. Send ?force=true to delete it anyway")
    ended = forget_target(session=session, campaigns=campaigns, zone_id=zone.id)
    session.delete(zone)
    bump_version(session)
    session.commit()
    return ZoneDeleted(id=zone.id, campaigns_changed=[c.id for c in campaigns if c.id], campaigns_ended=ended)

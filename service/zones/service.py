from typing import Any

from sqlmodel import Session, select

from service.errors import Invalid
from service.events.snapshot import bump_version
from service.timeutil import utcnow
from service.zones.geometry import GeometryError, zone_shape
from service.zones.models import Zone, ZoneImportResult

MAX_FEATURES = 20_000


def _feature_error(index: int, feature_id: object, fault: str) -> Invalid:
    named = f" (id {feature_id!r})" if feature_id is not None else ""
    return Invalid(f"feature {index}{named}: {fault}")


def parse_feature_collection(payload: Any) -> list[Zone]:
    """Check every feature before anything is written: one bad feature rejects the whole import."""
    if not isinstance(payload, dict) or payload.get("type") != "FeatureCollection":
        raise Invalid("expected a GeoJSON FeatureCollection")
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
        zone_id = props.get("id", feature.get("id"))
        zone_id = str(zone_id).strip() if isinstance(zone_id, str | int) else ""
        if not zone_id or len(zone_id) > 100:
            raise _feature_error(index, None, "properties.id is missing (a string of at most 100 characters)")
        if zone_id in zones:
            raise _feature_error(index, zone_id, "duplicate id in this import")
        name, kind = props.get("name"), props.get("kind")
        for field, value in (("name", name), ("kind", kind)):
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise _feature_error(index, zone_id, f"properties.{field} is missing or not a short string")
        radius = props.get("radius_m")
        if radius is not None and (isinstance(radius, bool) or not isinstance(radius, int | float)):
            raise _feature_error(index, zone_id, "properties.radius_m must be a number")
        geometry = feature.get("geometry")
        try:
            zone_shape(geometry, radius)  # type: ignore[arg-type]
        except GeometryError as exc:
            raise _feature_error(index, zone_id, str(exc)) from None
        zones[zone_id] = Zone(
            id=zone_id,
            name=name.strip(),  # type: ignore[union-attr]
            kind=kind.strip(),  # type: ignore[union-attr]
            geometry=geometry,  # type: ignore[arg-type]
            radius_m=float(radius) if geometry["type"] == "Point" else None,  # type: ignore[index]
        )
    return list(zones.values())


def import_zones(*, session: Session, payload: Any) -> ZoneImportResult:
    incoming = parse_feature_collection(payload)
    existing = {z.id: z for z in session.exec(select(Zone).where(Zone.id.in_([z.id for z in incoming])))}  # type: ignore[attr-defined]
    created = updated = 0
    now = utcnow()
    for zone in incoming:
        current = existing.get(zone.id)
        if current is None:
            session.add(zone)
            created += 1
        else:
            current.sqlmodel_update(
                {"name": zone.name, "kind": zone.kind, "geometry": zone.geometry, "radius_m": zone.radius_m}
            )
            current.updated_at = now
            session.add(current)
            updated += 1
    bump_version(session)
    session.commit()
    return ZoneImportResult(created=created, updated=updated)


def list_zones(*, session: Session) -> list[Zone]:
    return list(session.exec(select(Zone).order_by(Zone.id)))  # type: ignore[arg-type]

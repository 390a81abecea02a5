import csv
import io
import math
import re
from collections.abc import Callable, Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.auth.models import ApiKey, Role
from service.campaigns.service import campaigns_naming, forget_target
from service.clips.synthesis import ensure_profile_clips, profiles_in_use
from service.coords import CoordSystem, to_wgs84
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.fleets.models import Bike, BikeImportResult, Fleet, FleetCreate, FleetDeleted, FleetUpdate
from service.snapshot_version import bump_version
from service.stats.models import PlayDaily

MAX_BIKES_PER_IMPORT = 100_000
_BIKE_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,100}$")  # as in lock events
Position = tuple[float, float]  # (lon, lat) in WGS-84
# The zone id of each (lon, lat), or None outside every zone: the decision snapshot's zone index.
Locate = Callable[[Sequence[Position]], Sequence[str | None]]


def create_fleet(*, session: Session, fleet_in: FleetCreate) -> Fleet:
    if session.get(Fleet, fleet_in.id) is not None:
        raise Conflict(f"fleet {fleet_in.id!r} already exists")
    fleet = Fleet.model_validate(fleet_in)
    new_profile = fleet.profile not in profiles_in_use(session)
    return _save(session=session, fleet=fleet, new_profile=new_profile)


def _save(*, session: Session, fleet: Fleet, new_profile: bool) -> Fleet:
    """Commits the fleet; a profile no fleet used before first gets its renditions of every approved
    slogan queued."""
    session.add(fleet)
    if new_profile:
        session.flush()
        ensure_profile_clips(session=session)
    bump_version(session)
    session.commit()
    session.refresh(fleet)
    return fleet


def update_fleet(*, session: Session, fleet: Fleet, fleet_in: FleetUpdate) -> Fleet:
    """A new profile no fleet used before gets its renditions of every approved slogan (in the background,
    once the caller resumes the synthesizer)."""
    changes = fleet_in.model_dump(exclude_unset=True)
    new_profile = "profile" in changes and changes["profile"] not in profiles_in_use(session)
    fleet.sqlmodel_update(changes)
    return _save(session=session, fleet=fleet, new_profile=new_profile)


def delete_fleet(*, session: Session, fleet: Fleet, force: bool) -> FleetDeleted:
    """Refused while campaigns name the fleet or plays were logged to its bikes, unless forced: then its
    bikes go with it. The stats of past plays stay (the log and the rollups keep the fleet's id)."""
    campaigns = campaigns_naming(session=session, fleet_id=fleet.id)
    played = session.exec(select(PlayDaily.fleet_id).where(PlayDaily.fleet_id == fleet.id).limit(1)).first()
    if (campaigns or played) and not force:
        used = [f"campaigns {', '.join(str(c.id) for c in campaigns)} name it"] if campaigns else []
        used += ["plays were logged to its bikes (they stay in the stats)"] if played else []
        raise Conflict(
            f"fleet {fleet.id!r} is in use: {'; '.join(used)}. Send ?force=true to delete it anyway"
        )
    ended = forget_target(session=session, campaigns=campaigns, fleet_id=fleet.id)
    bikes = session.exec(delete(Bike).where(col(Bike.fleet_id) == fleet.id))
    session.delete(fleet)
    bump_version(session)
    session.commit()
    return FleetDeleted(
        id=fleet.id,
        bikes_deleted=bikes.rowcount,
        campaigns_changed=[c.id for c in campaigns if c.id],
        campaigns_ended=ended,
    )


def list_fleets(*, session: Session) -> list[Fleet]:
    return list(session.exec(select(Fleet).order_by(Fleet.id)))


def get_fleet_for(*, session: Session, fleet_id: str, api_key: ApiKey) -> Fleet:
    """The fleet, if this key may see it: admins see every fleet, operators their own."""
    fleet = session.get(Fleet, fleet_id)
    if fleet is None:
        raise NotFound(f"no fleet {fleet_id!r}")
    if api_key.role is not Role.admin and fleet_id not in api_key.fleet_ids:
        raise Forbidden(f"this key may not see fleet {fleet_id!r}")
    return fleet


def parse_bike_csv(data: bytes, coord_system: CoordSystem) -> dict[str, Position | None]:
    """A CSV with a header row naming a bike_id column, and optionally lat and lon (where the bike is parked,
    in `coord_system`; converted to WGS-84). Other columns are ignored."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the CSV is not UTF-8 text") from None
    # newline="" lets the csv module handle line ends itself, quoted ones included.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        bikes = _read_bikes(reader, coord_system)
    except csv.Error as exc:
        raise Invalid(f"line {reader.line_num}: not valid CSV ({exc})") from None
    if not bikes:
        raise Invalid("the CSV lists no bikes")
    return bikes


def _read_bikes(reader: "csv.DictReader[str]", coord_system: CoordSystem) -> dict[str, Position | None]:
    if not reader.fieldnames or "bike_id" not in [f.strip() for f in reader.fieldnames]:
        raise Invalid("the CSV needs a header row with a bike_id column")
    reader.fieldnames = [f.strip() for f in reader.fieldnames]
    placed = {"lat", "lon"} <= set(reader.fieldnames)
    bikes: dict[str, Position | None] = {}
    lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        bike_id = (row.get("bike_id") or "").strip()
        if not _BIKE_ID.match(bike_id):
            raise Invalid(f"line {line}: bike_id {bike_id!r} must be 1-100 letters, digits or ._:@-")
        if bike_id in lines:
            raise Invalid(f"line {line}: bike_id {bike_id!r} repeats line {lines[bike_id]}")
        lines[bike_id] = line
        bikes[bike_id] = _position(row, line, coord_system) if placed else None
        if len(bikes) > MAX_BIKES_PER_IMPORT:
            raise Invalid(f"at most {MAX_BIKES_PER_IMPORT} bikes per import")
    return bikes


def _position(row: dict[str, str], line: int, coord_system: CoordSystem) -> Position | None:
    lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
    if not lat and not lon:
        return None
    try:
        lat_deg, lon_deg = float(lat), float(lon)
    except ValueError:
        lat_deg = lon_deg = math.nan
    if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
        raise Invalid(f"line {line}: lat and lon must be degrees ({lat!r}, {lon!r})")
    return to_wgs84(lon_deg, lat_deg, coord_system)


def import_bikes(
    *, session: Session, fleet: Fleet, data: bytes, coord_system: CoordSystem | None, locate: Locate
) -> BikeImportResult:
    """Register the listed bikes, new ones in the zone their position is in; bikes already known keep their
    state. Positions are in `coord_system`, by default the fleet's."""
    bikes = parse_bike_csv(data, coord_system or fleet.coord_system)
    bike_ids = list(bikes)
    known: set[str] = set()
    for start in range(0, len(bike_ids), 1000):
        chunk = bike_ids[start : start + 1000]
        query = select(Bike.bike_id).where(Bike.fleet_id == fleet.id, col(Bike.bike_id).in_(chunk))
        known.update(session.exec(query))
    new = [(bike_id, position) for bike_id, position in bikes.items() if bike_id not in known]
    placed = [(bike_id, position) for bike_id, position in new if position is not None]
    zones = dict(zip([b for b, _ in placed], locate([p for _, p in placed]), strict=True)) if placed else {}
    session.add_all(Bike(fleet_id=fleet.id, bike_id=b, last_zone_id=zones.get(b)) for b, _ in new)
    try:
        session.commit()
    except IntegrityError:
        # A first event of one of these bikes registered it meanwhile: nothing was written, try again.
        session.rollback()
        raise Conflict("some of these bikes were registered meanwhile; send the CSV again") from None
    return BikeImportResult(created=len(new), existing=len(known))


def list_bikes(*, session: Session, fleet: Fleet, limit: int, offset: int) -> list[Bike]:
    query = select(Bike).where(Bike.fleet_id == fleet.id).order_by(col(Bike.bike_id))
    return list(session.exec(query.limit(limit).offset(offset)))

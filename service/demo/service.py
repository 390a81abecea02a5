"""The demo: starter slogans, 65 zones, two fleets of 500 bikes, campaigns, clips and a week of rides."""

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from service.auth.models import ApiKey, Role
from service.auth.service import create_key
from service.campaigns.models import Campaign, CampaignCreate, Priority
from service.campaigns.service import create_campaign
from service.clips.models import LockEvent
from service.clips.synthesis import Synthesizer
from service.config import get_settings
from service.demo.zones import demo_zones
from service.events.models import EventIn, LockEventLog
from service.events.service import record_event
from service.events.snapshot import compile_snapshot
from service.fleets.models import Bike, Fleet, FleetCreate
from service.fleets.service import create_fleet
from service.slogans.models import Slogan, SloganCreate, SloganStatus
from service.slogans.service import create_slogan, review_slogan
from service.timeutil import utcnow
from service.zones.geometry import zone_shape
from service.zones.models import Zone
from service.zones.service import import_zones

SLOGANS_DIR = Path(__file__).resolve().parents[2] / "slogans"
FLEETS = [
    ("beiting", "北庭出行", "北庭出行科技有限公司", 300),
    ("tingzhou", "庭州单车", "庭州单车运营公司", 200),
]
# How often riders start or end trips in each kind of zone; a few villages stay silent on purpose.
KIND_WEIGHT = {"station": 8.0, "commercial": 5.0, "residential": 3.0, "village": 0.4}
SILENT_VILLAGES = 6
DEMO_EVENTS = 1200


@dataclass(frozen=True)
class DemoKeys:
    admin: str
    police: str
    operator: str


def load_starter_slogans(path: Path) -> tuple[str, list[SloganCreate]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    issuer = data["issuer"]
    return issuer, [SloganCreate.model_validate({**item, "issuer": issuer}) for item in data["slogans"]]


def load_demo(
    *, db: Engine, synthesizer: Synthesizer, slogans_dir: Path = SLOGANS_DIR, seed: int = 7
) -> DemoKeys:
    """Idempotent: a second run updates zones, keeps what exists, and prints fresh keys."""
    with Session(db) as session:
        import_zones(session=session, payload=demo_zones())
        for fleet_id, name, operator, bikes in FLEETS:
            if session.get(Fleet, fleet_id) is None:
                create_fleet(session=session, fleet_in=FleetCreate(id=fleet_id, name=name, operator=operator))
            for n in range(1, bikes + 1):
                bike_id = f"{fleet_id.upper()[:2]}{n:05d}"
                if session.get(Bike, (fleet_id, bike_id)) is None:
                    session.add(Bike(fleet_id=fleet_id, bike_id=bike_id))
        session.commit()

        issuer, starters = load_starter_slogans(slogans_dir / "starter.yaml")
        police = ApiKey(name="demo", role=Role.police, issuer=issuer, key_hash="")
        slogan_ids: dict[str, list[int]] = {}
        for slogan_in in starters:
            slogan = session.exec(
                select(Slogan).where(Slogan.text == slogan_in.text, Slogan.issuer == issuer)
            ).first()
            if slogan is None:
                slogan = create_slogan(session=session, slogan_in=slogan_in, author=police)
            if slogan.status is SloganStatus.pending:
                slogan = review_slogan(session=session, slogan=slogan, approve=True)
            assert slogan.id is not None
            slogan_ids.setdefault(slogan.language, []).append(slogan.id)
            synthesizer.synthesize_slogan(slogan.id)
        _campaigns(session, slogan_ids)
        if not session.exec(select(func.count()).select_from(LockEventLog)).one():
            _simulate_week(session, random.Random(seed))
        keys = DemoKeys(
            admin=create_key(session=session, role=Role.admin, name="demo admin")[1],
            police=create_key(session=session, role=Role.police, name="demo police", issuer=issuer)[1],
            operator=create_key(
                session=session, role=Role.operator, name="demo operator", fleet_ids=[f[0] for f in FLEETS]
            )[1],
        )
    return keys


def _campaigns(session: Session, slogan_ids: dict[str, list[int]]) -> None:
    zh = slogan_ids.get("zh-CN", [])
    plans = [
        CampaignCreate(name="全县反诈宣传", slogan_ids=zh, weight=1.0),
        CampaignCreate(
            name="车站商圈防骗提醒",
            slogan_ids=zh[3:5] + zh[7:8],
            zone_kinds=["station", "commercial"],
            weight=2.0,
        ),
        CampaignCreate(
            name="乡村双语宣传",
            slogan_ids=zh[:2] + slogan_ids.get("ug", []) + slogan_ids.get("kk", []),
            zone_kinds=["village"],
            events=[LockEvent.unlock],
            weight=3.0,
        ),
        CampaignCreate(name="兜底提醒", slogan_ids=zh[:1], priority=Priority.fallback),
    ]
    existing = set(session.exec(select(Campaign.name)))
    for plan in plans:
        if plan.name not in existing and plan.slogan_ids:
            create_campaign(session=session, campaign_in=plan)


def _simulate_week(session: Session, rng: random.Random) -> None:
    """A week of rides through the real write path, so coverage has something to show."""
    snapshot = compile_snapshot(session)
    zones = list(session.exec(select(Zone).order_by(Zone.id)))  # type: ignore[arg-type]
    villages = [z for z in zones if z.kind == "village"]
    silent = {z.id for z in villages[-SILENT_VILLAGES:]}
    visited = [z for z in zones if z.id not in silent]
    weights = [KIND_WEIGHT[z.kind] for z in visited]
    operator = ApiKey(name="demo", role=Role.operator, key_hash="", fleet_ids=[f[0] for f in FLEETS])
    now = utcnow()
    tz = get_settings().tz
    for n in range(DEMO_EVENTS):
        fleet_id, _, _, bikes = rng.choice(FLEETS)
        zone = rng.choices(visited, weights)[0]
        point = zone_shape(zone.geometry, zone.radius_m).representative_point()
        event_in = EventIn(
            event_id=f"demo-{n:05d}",
            bike_id=f"{fleet_id.upper()[:2]}{rng.randint(1, bikes):05d}",
            fleet_id=fleet_id,
            event=rng.choice([LockEvent.unlock, LockEvent.lock]),
            lat=point.y,
            lon=point.x,
            occurred_at=now - timedelta(minutes=rng.uniform(5, 7 * 24 * 60)),
        )
        record_event(session=session, snapshot=snapshot, event_in=event_in, api_key=operator, rng=rng, tz=tz)

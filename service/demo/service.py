"""The demo: starter slogans, 65 zones, two fleets of 500 bikes, campaigns, clips and a week of rides."""

from dataclasses import dataclass
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
from service.demo.progress import Quiet, Steps
from service.demo.simulate import simulate
from service.demo.zones import demo_zones
from service.events.models import LockEventLog
from service.fleets.models import Bike, Fleet, FleetCreate
from service.fleets.service import create_fleet
from service.slogans.models import Slogan, SloganCreate, SloganStatus
from service.slogans.service import create_slogan, review_slogan
from service.zones.models import Zone
from service.zones.service import import_zones

SLOGANS_DIR = Path(__file__).resolve().parents[2] / "slogans"
FLEETS = [
    ("beiting", "北庭出行", "北庭出行科技有限公司", 300),
    ("tingzhou", "庭州单车", "庭州单车运营公司", 200),
]
DEMO_BIKES = sum(f[3] for f in FLEETS)
SILENT_ZONES = 6


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
    *,
    db: Engine,
    synthesizer: Synthesizer,
    slogans_dir: Path = SLOGANS_DIR,
    seed: int = 7,
    ride_days: int = 7,
    progress: Steps | None = None,
) -> DemoKeys:
    """Idempotent: a second run updates zones, keeps what exists, and prints fresh keys."""
    progress = progress or Quiet()
    with Session(db) as session:
        progress.step("zones, fleets and bikes", 1 + len(FLEETS))
        import_zones(session=session, payload=demo_zones())
        progress.advance()
        for fleet_id, name, operator, bikes in FLEETS:
            if session.get(Fleet, fleet_id) is None:
                create_fleet(session=session, fleet_in=FleetCreate(id=fleet_id, name=name, operator=operator))
            for n in range(1, bikes + 1):
                bike_id = f"{fleet_id.upper()[:2]}{n:05d}"
                if session.get(Bike, (fleet_id, bike_id)) is None:
                    session.add(Bike(fleet_id=fleet_id, bike_id=bike_id))
            progress.advance()
        session.commit()

        issuer, starters = load_starter_slogans(slogans_dir / "starter.yaml")
        progress.step("slogans and their clips", len(starters))
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
            progress.advance()
        _campaigns(session, slogan_ids)
        if not session.exec(select(func.count()).select_from(LockEventLog)).one():
            _simulate_rides(session, seed, ride_days, progress)
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


def _simulate_rides(session: Session, seed: int, days: int, progress: Steps) -> None:
    """Days of rides through the real write path, so coverage has something to show; the zones left
    out of the simulation stay silent on purpose."""
    total = len(session.exec(select(Zone.id)).all())
    simulate(
        session=session,
        days=days,
        bikes=DEMO_BIKES,
        zones=total - SILENT_ZONES,
        seed=seed,
        progress=progress,
    )

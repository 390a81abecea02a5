"""Imports every table model, so SQLModel.metadata (and Alembic) sees the whole schema."""

from service.audit.models import AuditEntry
from service.auth.models import ApiKey
from service.campaigns.models import Campaign
from service.clips.models import Clip
from service.events.models import BikeNumber, EventKey, LockEventLog
from service.fleets.models import Bike, Fleet
from service.lexicon.models import LexiconEntry
from service.slogans.models import Slogan
from service.snapshot_version import SnapshotVersion
from service.stats.models import PlayDaily, PlayHourly, ZoneDaily
from service.zones.models import Zone

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Bike",
    "BikeNumber",
    "Campaign",
    "Clip",
    "EventKey",
    "Fleet",
    "LexiconEntry",
    "LockEventLog",
    "PlayDaily",
    "PlayHourly",
    "Slogan",
    "SnapshotVersion",
    "Zone",
    "ZoneDaily",
]

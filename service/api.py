"""The one place routers are mounted."""

from fastapi import APIRouter

from service.campaigns.views import router as campaigns
from service.clips.views import router as audio
from service.events.views import router as events
from service.fleets.views import router as fleets
from service.health.views import router as health
from service.manifest.views import router as manifest
from service.slogans.views import router as slogans
from service.stats.views import router as stats
from service.zones.views import router as zones

api_router = APIRouter()
api_router.include_router(health, tags=["health"])
api_router.include_router(slogans, prefix="/v1/slogans", tags=["slogans"])
api_router.include_router(zones, prefix="/v1/zones", tags=["zones"])
api_router.include_router(fleets, prefix="/v1/fleets", tags=["fleets"])
api_router.include_router(manifest, prefix="/v1/fleets", tags=["manifest"])
api_router.include_router(campaigns, prefix="/v1/campaigns", tags=["campaigns"])
api_router.include_router(events, prefix="/v1/events", tags=["events"])
api_router.include_router(stats, prefix="/v1/stats", tags=["stats"])
api_router.include_router(audio, prefix="/v1/audio", tags=["audio"])

"""The one place routers are mounted."""

from fastapi import APIRouter

from service.apidocs.views import router as apidocs
from service.audio.views import router as profiles
from service.audit.views import router as audit
from service.auth.views import router as keys
from service.campaigns.views import router as campaigns
from service.clips.views import router as audio
from service.console.views import router as console
from service.dashboard.views import router as dashboard
from service.errors import error_responses
from service.events.views import router as events
from service.fleets.views import router as fleets
from service.health.views import router as health
from service.lexicon.views import router as lexicon
from service.manifest.views import router as manifest
from service.preview.views import router as preview
from service.slogans.views import router as slogans
from service.stats.views import router as stats
from service.targeting.views import router as targeting
from service.zones.views import router as zones

KEYED = error_responses(401, 403, 404, 409, 422)
EVENTS = error_responses(401, 403, 404, 409, 413, 422, 429, 503)

api_router = APIRouter()
api_router.include_router(health, tags=["health"])
api_router.include_router(slogans, prefix="/v1/slogans", tags=["slogans"], responses=KEYED)
api_router.include_router(zones, prefix="/v1/zones", tags=["zones"], responses=KEYED)
api_router.include_router(fleets, prefix="/v1/fleets", tags=["fleets"], responses=KEYED)
api_router.include_router(manifest, prefix="/v1/fleets", tags=["manifest"], responses=KEYED)
api_router.include_router(campaigns, prefix="/v1/campaigns", tags=["campaigns"], responses=KEYED)
api_router.include_router(events, prefix="/v1/events", tags=["events"], responses=EVENTS)
api_router.include_router(stats, prefix="/v1/stats", tags=["stats"], responses=KEYED)
api_router.include_router(keys, prefix="/v1/keys", tags=["keys"], responses=KEYED)
api_router.include_router(audit, prefix="/v1/audit", tags=["audit"], responses=KEYED)
api_router.include_router(targeting, prefix="/v1/decisions", tags=["decisions"], responses=KEYED)
api_router.include_router(lexicon, prefix="/v1/lexicon", tags=["speech"], responses=KEYED)
api_router.include_router(profiles, prefix="/v1/profiles", tags=["speech"], responses=KEYED)
api_router.include_router(
    preview, prefix="/v1/preview", tags=["speech"], responses=error_responses(401, 403, 422, 503)
)
api_router.include_router(audio, prefix="/v1/audio", tags=["audio"], responses=error_responses(404))
api_router.include_router(dashboard, prefix="/dashboard", include_in_schema=False)
api_router.include_router(apidocs, include_in_schema=False)
api_router.include_router(console, prefix="/console", include_in_schema=False)

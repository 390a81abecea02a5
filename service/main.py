"""The application: create_app() and the lifespan that owns the engines; serve_app() for the server."""

import gc
import logging
import random
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Receive, Scope, Send

from service.api import api_router
from service.apidocs.views import ASSETS_URL
from service.apidocs.views import assets as docs_assets
from service.audit.service import install_audit
from service.auth.ratelimit import RateLimiter
from service.auth.service import KeyCache, LastUsed
from service.clips.synthesis import build_synthesizer
from service.config import Settings, get_settings
from service.console.views import assets as console_assets
from service.dashboard.views import assets as dashboard_assets
from service.db import make_engine
from service.error_handlers import install_error_handlers
from service.events.partitions import ensure_upcoming
from service.events.service import EventPipeline
from service.events.views import PATH as EVENTS_PATH
from service.events.views import PostEvent, document
from service.observability.logs import configure_logging
from service.observability.middleware import RequestContext
from service.targeting.snapshot import SnapshotHolder
from service.timeutil import use_local_zone

log = logging.getLogger(__name__)

# The event pipeline's thread returns from SQLite many times a round and must then win the interpreter lock
# back from the event loop: Python's default 5 ms switch interval made each of those waits long enough to
# halve the lock-event throughput (measured with `make bench`).
SWITCH_INTERVAL_S = 0.0005


def _tune_interpreter() -> None:
    """For a serving process: quick lock handoffs between the event loop and the pipeline thread, and the
    objects made at start-up (settings, snapshot, zone index) moved out of the garbage collector's way."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.collect()
    gc.freeze()


class App(FastAPI):
    """FastAPI, with /v1/events handed to its lean route ahead of FastAPI (service/events/views.py)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._post_event = PostEvent(self.state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == EVENTS_PATH:
            await self._post_event(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def serve_app() -> FastAPI:
    """The app as `ebike-voice serve` runs it, in each worker process (its logs set up as the command's)."""
    configure_logging(get_settings())
    return create_app(serving=True)


def create_app(settings: Settings | None = None, *, serving: bool = False) -> FastAPI:
    settings = settings or get_settings()
    install_audit()
    use_local_zone(settings.tz)  # how naive input times are read and output times shown

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.clips_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        try:
            ensure_upcoming(engine)
        except SQLAlchemyError:  # write_events makes a month when it needs it; the database may come later
            log.warning("could not make this month's and next month's event log partitions", exc_info=True)
        snapshots = SnapshotHolder(engine, settings)
        synthesizer = build_synthesizer(settings, engine)
        app.state.settings = settings
        app.state.engine = engine
        app.state.snapshots = snapshots
        app.state.synthesizer = synthesizer
        app.state.last_used = LastUsed()
        app.state.event_rate = RateLimiter(settings.event_rate_per_key_s, settings.event_burst_per_key)
        app.state.tts_engines = synthesizer.maker.engines
        # Seeded from the OS once: SystemRandom would read the OS for every weighted draw.
        app.state.event_pipeline = EventPipeline(engine, snapshots, random.Random(), settings.tz)
        app.state.key_cache = KeyCache(ttl_s=settings.snapshot_check_interval_s)
        synthesizer.resume_pending()
        if serving:
            snapshots.get()
            _tune_interpreter()
        try:
            yield
        finally:
            app.state.event_pipeline.close()
            synthesizer.shutdown()
            engine.dispose()

    app = App(
        title="ebike-voice",
        version="1.0.0",
        summary="Anti-fraud voice prompts for shared e-bike locks.",
        lifespan=lifespan,
        docs_url=None,  # service/apidocs serves /docs and /redoc without a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(RequestContext)
    app.include_router(api_router)
    document(app)
    app.mount("/dashboard/static", dashboard_assets, name="dashboard-static")
    app.mount(ASSETS_URL, docs_assets, name="docs-assets")
    app.mount("/console/static", console_assets, name="console-static")
    return app

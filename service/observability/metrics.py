"""Prometheus metrics. Under `ebike-voice serve` every process counts into the directory that
service/observability/multiprocess.py sets up, and a scrape of any worker sums them all; elsewhere (the
tests' in-process app) each process keeps its own."""

import atexit
import glob
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from service.observability.multiprocess import DIR_ENV, alive

# Decided when prometheus_client is first imported, as it decides its own kind of counters.
MULTIPROCESS = DIR_ENV in os.environ

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "ebike_voice_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "ebike_voice_http_request_duration_seconds",
    "Time from request to the end of the response",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
DECISIONS = Counter(
    "ebike_voice_decisions",
    "Lock-event decisions by outcome (clip, no_clip)",
    ["event", "outcome"],
    registry=REGISTRY,
)
SYNTHESES = Counter(
    "ebike_voice_syntheses",
    "Speech syntheses by engine and outcome (ok, failed)",
    ["engine", "outcome"],
    registry=REGISTRY,
)

# A speech engine's state: "ok" for engines without a circuit breaker, else the breaker's state.
ENGINE_STATES = ("ok", "closed", "open", "half-open")
ENGINE_STATE = Gauge(
    "ebike_voice_engine_state",
    "1 for the state each speech engine is in",
    ["engine", "state"],
    registry=REGISTRY,
    # Each worker sets it when scraped, for its own engines: the scraped worker's is the latest one set.
    multiprocess_mode="livemostrecent",
)


def exposition() -> bytes:
    """The text a scrape of /metrics gets: every process of this server summed, in multiprocess mode."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


def _forget_dead_processes(path: str) -> None:
    """The live gauges of processes that ended without saying so (killed): no longer counted."""
    for name in glob.glob(os.path.join(glob.escape(path), "gauge_live*_*.db")):
        pid = int(Path(name).stem.rpartition("_")[2])
        if not alive(pid):
            mark_process_dead(pid, path)


if MULTIPROCESS:
    _forget_dead_processes(os.environ[DIR_ENV])
    # A process that ends: its live gauges go (its counters stay, so the sums never go down).
    atexit.register(mark_process_dead, os.getpid(), os.environ[DIR_ENV])

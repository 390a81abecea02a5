"""Prometheus metrics. Each worker process keeps its own counters (scrape each worker, or run one)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
EVENT_FAST_PATH = Counter(
    "ebike_voice_event_fast_path",
    "POST /v1/events answered by the lean path, or passed on to the FastAPI route (bad input, uncached key)",
    ["outcome"],
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
)

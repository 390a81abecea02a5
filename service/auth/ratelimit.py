"""A token bucket per API key, per worker process: a runaway client cannot starve the others."""

import math
import threading
import time

from service.errors import TooManyRequests


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key_id: int, cost: int = 1) -> None:
        if self._rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key_id, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens < cost:
                self._buckets[key_id] = (tokens, now)
                wait = math.ceil((cost - tokens) / self._rate)
                raise TooManyRequests(
                    f"too many events from this key: at most {self._rate:g} per second",
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[key_id] = (tokens - cost, now)

"""A circuit breaker: after repeated failures an engine is left alone for a while instead of being asked,
and timed out on, for every clip."""

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum

log = logging.getLogger(__name__)


class BreakerState(StrEnum):
    closed = "closed"  # calls go through
    open = "open"  # calls are refused without trying, until the cool-down ends
    half_open = "half-open"  # the cool-down has ended: one trial call decides


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._name = name
        self._threshold = failure_threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = 0.0
        self._open = False
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if not self._open:
            return BreakerState.closed
        if self._clock() - self._opened_at < self._cooldown_s:
            return BreakerState.open
        return BreakerState.half_open

    def allow(self) -> bool:
        """Whether to try a call now. In half-open, only one trial at a time is let through."""
        with self._lock:
            state = self._state()
            if state is BreakerState.closed:
                return True
            if state is BreakerState.half_open and not self._trial_running:
                self._trial_running = True
                log.info("%s circuit half-open: trying one call", self._name)
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self._open:
                log.warning("%s circuit closed: the engine answers again", self._name)
            self._open = False
            self._failures = 0
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            reopen = self._open and self._trial_running
            if reopen or (not self._open and self._failures >= self._threshold):
                self._open = True
                self._opened_at = self._clock()
                log.warning(
                    "%s circuit open after %d consecutive failures: not tried again for %gs",
                    self._name,
                    self._failures,
                    self._cooldown_s,
                )
            self._trial_running = False

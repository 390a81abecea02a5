from service.tts.breaker import BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_only_after_consecutive_failures():
    breaker = CircuitBreaker("x", failure_threshold=3, cooldown_s=10, clock=FakeClock())

    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.closed and breaker.allow()

    breaker.record_failure()
    assert breaker.state is BreakerState.open
    assert not breaker.allow()


def test_half_open_lets_one_trial_through():
    clock = FakeClock()
    breaker = CircuitBreaker("x", failure_threshold=1, cooldown_s=10, clock=clock)
    breaker.record_failure()

    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state is BreakerState.half_open
    assert breaker.allow()
    assert not breaker.allow()  # the trial is still running

    breaker.record_success()
    assert breaker.state is BreakerState.closed
    assert breaker.allow() and breaker.allow()


def test_failed_trial_reopens_for_a_full_cool_down():
    clock = FakeClock()
    breaker = CircuitBreaker("x", failure_threshold=1, cooldown_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 11
    assert breaker.allow()

    breaker.record_failure()
    clock.now += 9
    assert breaker.state is BreakerState.open
    clock.now += 2
    assert breaker.state is BreakerState.half_open

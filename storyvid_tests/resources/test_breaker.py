"""Circuit breakers: open after N consecutive failures, one trial call after the timeout, shared via Redis."""

from __future__ import annotations

import uuid

import pytest

from storyvid_assets.resources.breaker import CircuitBreaker


def exercise(breaker: CircuitBreaker) -> None:
    name, now = "openai", 1_000.0
    assert breaker.allow(name, now) and breaker.state(name, now) == "closed"
    breaker.record_failure(name, now)
    breaker.record_failure(name, now)
    assert breaker.state(name, now) == "closed" and breaker.allow(name, now)
    breaker.record_success(name)  # a success resets the count
    for _ in range(3):
        breaker.record_failure(name, now)
    assert breaker.state(name, now) == "open" and not breaker.allow(name, now + 29)
    assert breaker.state(name, now + 30) == "half_open"
    assert breaker.allow(name, now + 30)  # one trial call...
    assert not breaker.allow(name, now + 30.5)  # ...at a time
    assert breaker.record_failure(name, now + 31) == "open"  # a failed trial opens it for another timeout
    assert not breaker.allow(name, now + 60) and breaker.allow(name, now + 61)
    breaker.record_success(name)
    assert breaker.state(name, now + 61) == "closed" and breaker.failures(name) == 0
    assert breaker.allow("anthropic", now)  # breakers are per provider


def test_in_process_breaker() -> None:
    exercise(CircuitBreaker(failure_threshold=3, reset_timeout_s=30, namespace=f"test:{uuid.uuid4().hex}"))


@pytest.mark.redis
def test_breaker_state_is_shared_through_redis(redis_url: str) -> None:
    namespace = f"storyvid-test:{uuid.uuid4().hex}"
    one = CircuitBreaker(failure_threshold=3, reset_timeout_s=30, redis_url=redis_url, namespace=namespace)
    exercise(one)
    other = CircuitBreaker(failure_threshold=2, reset_timeout_s=30, redis_url=redis_url, namespace=namespace)
    one.record_failure("eleven", 5_000.0)
    other.record_failure("eleven", 5_000.0)  # another process's failures count toward the same breaker
    assert one.state("eleven", 5_001.0) == "open" and not one.allow("eleven", 5_001.0)
    assert one.failures("eleven") == 2
    one.reset("eleven")
    one.reset("openai")

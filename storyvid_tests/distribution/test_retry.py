"""Backoff with full jitter, Retry-After, retryable classification, 3 attempts per step, circuit breaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from storyvid_assets.distribution.clients.tiktok import ChunkRules, chunk_plan, nominal_chunk_size
from storyvid_assets.distribution.errors import AuthExpired, CircuitOpen, PlatformError, RetriesExhausted
from storyvid_assets.distribution.retry import (
    CircuitBreaker,
    RetryPolicy,
    StepRunner,
    backoff_delay,
    is_retryable,
    parse_retry_after,
)
from storyvid_tests.distribution.conftest import FakeClock

MB = 1024 * 1024


def runner(clock: FakeClock, threshold: int = 5, **policy: float) -> StepRunner:
    return StepRunner(
        "youtube",
        RetryPolicy(**policy),
        CircuitBreaker("youtube", threshold=threshold, cooldown_s=60),
        clock,
        rand=lambda: 1.0,
    )


class Flaky:
    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay_s=2, max_delay_s=10)
    assert [backoff_delay(n, policy, lambda: 1.0) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    assert backoff_delay(3, policy, lambda: 0.25) == 2.0
    assert backoff_delay(1, policy, lambda: 0.0) == 0.0


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_classification() -> None:
    assert is_retryable(httpx.ReadError("reset"))
    assert is_retryable(ConnectionResetError())
    assert is_retryable(PlatformError("tiktok", "init", "busy", retryable=True, status=503))
    assert not is_retryable(PlatformError("tiktok", "init", "bad", retryable=False, status=400))
    assert not is_retryable(ValueError("a bug"))


def test_retry_after_is_honoured_and_capped(clock: FakeClock) -> None:
    steps = runner(clock, retry_after_cap_s=30)
    call = Flaky(
        PlatformError("tiktok", "init", "slow down", retryable=True, status=429, retry_after=12),
        PlatformError("tiktok", "init", "slow down", retryable=True, status=429, retry_after=3600),
    )
    assert steps.run("init", call) == "ok"
    assert clock.slept == [12, 30] and steps.retries == 2


def test_at_most_three_attempts_then_retries_exhausted(clock: FakeClock) -> None:
    steps = runner(clock)
    call = Flaky(*(httpx.ConnectError("refused") for _ in range(5)))
    with pytest.raises(RetriesExhausted) as exhausted:
        steps.run("upload", call)
    assert call.calls == 3 and exhausted.value.attempts == 3
    assert len(clock.slept) == 2 and clock.slept == [2.0, 4.0]  # base 2 s, doubling, rand() = 1


def test_non_retryable_errors_are_not_retried(clock: FakeClock) -> None:
    steps = runner(clock)
    call = Flaky(PlatformError("youtube", "start", "invalidTitle", retryable=False, status=400))
    with pytest.raises(PlatformError):
        steps.run("start", call)
    assert call.calls == 1 and clock.slept == []


def test_expired_token_is_refreshed_once(clock: FakeClock) -> None:
    steps = runner(clock)
    refreshed: list[int] = []
    call = Flaky(AuthExpired("tiktok", "init", "expired", status=401))
    assert steps.run("init", call, on_auth_expired=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1] and clock.slept == []
    twice = Flaky(AuthExpired("tiktok", "init", "expired"), AuthExpired("tiktok", "init", "still expired"))
    with pytest.raises(AuthExpired):
        steps.run("init", twice, on_auth_expired=lambda: None)


def test_recovery_runs_before_each_retry(clock: FakeClock) -> None:
    steps = runner(clock)
    synced: list[int] = []
    call = Flaky(httpx.ReadError("drop"), httpx.ReadError("drop"))
    assert steps.run("chunk", call, before_retry=lambda: synced.append(call.calls)) == "ok"
    assert synced == [1, 2]


def test_circuit_breaker_opens_and_half_opens(clock: FakeClock) -> None:
    steps = runner(clock, threshold=3)
    with pytest.raises(RetriesExhausted):
        steps.run("a", Flaky(*(httpx.ConnectError("down") for _ in range(3))))
    with pytest.raises(CircuitOpen) as open_:
        steps.run("b", Flaky())
    assert open_.value.reopen_at == clock.now() + timedelta(seconds=60) - timedelta(seconds=0)
    clock.advance(seconds=61)
    assert steps.run("c", Flaky()) == "ok", "after the cooldown one trial call goes through"
    assert steps.breaker.failures == 0


def test_tiktok_chunk_rules() -> None:
    assert chunk_plan(3 * MB, 10 * MB) == [(0, 3 * MB - 1)]  # under 5 MB: one chunk
    plan = chunk_plan(23 * MB, 5 * MB)
    assert len(plan) == 4 and plan[-1] == (15 * MB, 23 * MB - 1)  # the last chunk absorbs the remainder
    assert all(last - first + 1 == 5 * MB for first, last in plan[:-1])
    assert nominal_chunk_size(200 * MB, 100 * MB) == 64 * MB  # chunks are at most 64 MB
    assert len(chunk_plan(200 * MB, 100 * MB)) == 3
    with pytest.raises(ValueError):
        chunk_plan(0, 5 * MB)
    small = ChunkRules(min_chunk=256 * 1024)
    assert len(chunk_plan(1_200_000, 256 * 1024, small)) == 4

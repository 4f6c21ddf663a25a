"""The platform step runner: 3 attempts per step, Retry-After, token refresh, recovery, the account's breaker."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storyvid_assets.distribution.clients.base import StepRunner, platform_breaker
from storyvid_assets.distribution.errors import (
    AuthExpired,
    CircuitOpen,
    PlatformError,
    QuotaExhausted,
    RetriesExhausted,
)
from storyvid_assets.reliability import RetryPolicy
from storyvid_tests.distribution.conftest import FakeClock


def runner(clock: FakeClock, threshold: int = 5, **policy: float) -> StepRunner:
    return StepRunner(
        "youtube",
        RetryPolicy(**{"base_delay_s": 2.0, "retry_after_cap_s": 300.0, **policy}),  # type: ignore[arg-type]
        platform_breaker(threshold, 60),
        clock,
        rand=lambda: 1.0,
        circuit="youtube/main",
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


def test_retry_after_is_honoured_and_a_longer_wait_defers(clock: FakeClock) -> None:
    steps = runner(clock, retry_after_cap_s=30)
    call = Flaky(
        PlatformError("tiktok", "init", "slow down", retryable=True, status=429, retry_after=12),
        PlatformError("tiktok", "init", "slow down", retryable=True, status=429, retry_after=3600),
    )
    with pytest.raises(QuotaExhausted) as deferred:
        steps.run("init", call)
    # 12 s is waited out; 3600 s is longer than the cap: no early retry that would be refused again
    assert clock.slept == [12] and steps.retries == 1 and call.calls == 2
    assert deferred.value.resume_at == clock.now() + timedelta(seconds=3600)
    assert deferred.value.status == 429 and "asks to wait 3600 s" in str(deferred.value)


def test_at_most_three_attempts_then_retries_exhausted(clock: FakeClock) -> None:
    steps = runner(clock)
    call = Flaky(*(httpx.ConnectError("refused") for _ in range(5)))
    with pytest.raises(RetriesExhausted) as exhausted:
        steps.run("upload", call)
    assert call.calls == 3 and exhausted.value.attempts == 3
    assert len(clock.slept) == 2 and clock.slept == [2.0, 4.0]  # base 2 s, doubling, rand() = 1
    assert [h.split(":")[0] for h in steps.history] == ["upload#1", "upload#2", "upload#3"]


def test_non_retryable_errors_are_not_retried(clock: FakeClock) -> None:
    steps = runner(clock)
    call = Flaky(PlatformError("youtube", "start", "invalidTitle", retryable=False, status=400))
    with pytest.raises(PlatformError):
        steps.run("start", call)
    assert call.calls == 1 and clock.slept == []
    assert steps.breaker.failures("youtube/main") == 0, "a refusal is an answer, not an outage"


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
    assert open_.value.reopen_at == clock.now() + timedelta(seconds=60)
    clock.advance(seconds=61)
    assert steps.run("c", Flaky()) == "ok", "after the cooldown one trial call goes through"
    assert steps.breaker.failures("youtube/main") == 0 and steps.breaker.state("youtube/main") == "closed"


def test_a_refused_token_in_the_trial_call_does_not_hold_the_breaker(clock: FakeClock) -> None:
    steps = runner(clock, threshold=1, max_attempts=1)
    with pytest.raises(RetriesExhausted):
        steps.run("a", Flaky(httpx.ConnectError("down")))
    clock.advance(seconds=61)
    call = Flaky(AuthExpired("youtube", "b", "expired", status=401))  # the trial is answered with a 401
    assert steps.run("b", call, on_auth_expired=lambda: None) == "ok" and call.calls == 2


def test_breakers_are_per_account(clock: FakeClock) -> None:
    main = runner(clock, threshold=1, max_attempts=1)
    with pytest.raises(RetriesExhausted):
        main.run("a", Flaky(httpx.ConnectError("down")))
    with pytest.raises(CircuitOpen):
        main.run("b", Flaky())
    other = StepRunner("youtube", RetryPolicy(), platform_breaker(1, 60), clock, circuit="youtube/second")
    assert other.run("a", Flaky()) == "ok"

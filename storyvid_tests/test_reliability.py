"""One retry policy, one circuit breaker, one secret helper (``storyvid_assets.reliability``).

These used to exist three times (cloud providers, platform clients, text moderation) and disagreed; the tests
marked "was:" pin the behaviour that was kept.
"""

from __future__ import annotations

import ast
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest

from storyvid_assets import reliability
from storyvid_assets.distribution.errors import PlatformError
from storyvid_assets.errors import ProviderError
from storyvid_assets.reliability import (
    CircuitBreaker,
    RedisStore,
    RetryPolicy,
    call_with_retries,
    is_retryable,
    redact,
    retry_after_s,
    retryable_status,
    secret_value,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_reliability_is_plain_python() -> None:
    tree = ast.parse(Path(reliability.__file__).read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith(("dagster", "storyvid_assets"))}


# ------------------------------------------------------------------------------------------------- retries


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay_s=2, max_delay_s=10)
    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    assert policy.backoff(3, lambda: 0.25) == 2.0
    assert policy.backoff(1, lambda: 0.0) == 0.0
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_retry_after_in_seconds_as_a_date_or_in_milliseconds() -> None:
    assert retry_after_s({"retry-after": "7"}, NOW) == 7.0
    assert retry_after_s({"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"}, NOW) == 30.0
    assert retry_after_s({"retry-after": "Wed, 25 Nov 2026 11:59:00 GMT"}, NOW) == 0.0  # already past
    assert retry_after_s(httpx.Headers({"Retry-After-Ms": "250", "Retry-After": "1"}), NOW) == 0.25
    assert retry_after_s({"retry-after": "soon"}, NOW) is None and retry_after_s(None, NOW) is None
    assert retry_after_s({}, NOW) is None and retry_after_s({"retry-after": ""}, NOW) is None


def test_retry_after_disagreements_that_were_fixed() -> None:
    # was: the platform clients read only whole seconds and ignored retry-after-ms
    assert retry_after_s({"retry-after": "1.5"}, NOW) == 1.5
    assert retry_after_s({"retry-after-ms": "30", "retry-after": "1"}, NOW) == 0.03
    # was: the moderation provider ignored HTTP dates (and fell back to its own backoff)
    assert retry_after_s({"retry-after": "Wed, 25 Nov 2026 12:01:00 GMT"}, NOW) == 60.0
    # was: the cloud providers took a negative delay as "retry now"; it is no valid delay at all
    assert retry_after_s({"retry-after": "-5"}, NOW) is None
    assert retry_after_s({"retry-after": "nan"}, NOW) is None
    assert retry_after_s({"retry-after-ms": "bad", "retry-after": "2"}, NOW) == 2.0


def test_what_answers_are_retried() -> None:
    # was: the cloud providers retried 409 but not 507; moderation and the platforms retried every 5xx
    assert all(retryable_status(s) for s in (408, 429, 500, 502, 503, 504, 507, 529))
    assert not any(retryable_status(s) for s in (None, 200, 400, 401, 403, 404, 409, 422, 501, 505))


def test_classification() -> None:
    assert is_retryable(httpx.ReadError("reset"))
    assert is_retryable(ConnectionResetError()) and is_retryable(TimeoutError())
    assert is_retryable(PlatformError("tiktok", "init", "busy", retryable=True, status=503))
    assert not is_retryable(PlatformError("tiktok", "init", "bad", retryable=False, status=400))
    assert is_retryable(ProviderError("openai", "HTTP 503", retryable=True))
    assert not is_retryable(ValueError("a bug"))


def busy(retry_after: float | None = None) -> ProviderError:
    return ProviderError("azure", "HTTP 429", retryable=True, retry_after=retry_after)


def test_retrying_waits_what_the_server_asks_else_backs_off() -> None:
    retrying = RetryPolicy(max_attempts=4, base_delay_s=1.0).start(rand=lambda: 0.5)
    assert retrying.after_failure(busy(7)) == 7
    assert retrying.after_failure(busy()) == 1.0  # attempt 2: half of 2 s
    assert retrying.after_failure(busy(0)) == 0
    assert retrying.after_failure(busy()) is None and retrying.stopped == "attempts"
    assert retrying.attempt == 4 and retrying.waited_s == 8.0


def test_a_wait_longer_than_the_cap_ends_the_retries() -> None:
    # was: the platform clients and moderation waited the cap and retried early; now nobody cuts a wait short
    retrying = RetryPolicy(max_attempts=3, retry_after_cap_s=30).start()
    assert retrying.after_failure(busy(3600)) is None
    assert retrying.stopped == "retry_after" and retrying.asked_s == 3600 and retrying.attempt == 1


def test_waits_stay_within_the_budget_and_bugs_are_not_retried() -> None:
    retrying = RetryPolicy(max_attempts=5, budget_s=10).start()
    assert retrying.after_failure(busy(6)) == 6
    assert retrying.after_failure(busy(6)) is None and retrying.stopped == "budget"
    bug = RetryPolicy().start()
    assert bug.after_failure(KeyError("x")) is None and bug.stopped == "not_retryable"


def test_call_with_retries_returns_or_raises_the_last_error_as_it_was() -> None:
    errors = [httpx.ConnectError("down"), busy(0.5)]
    slept: list[float] = []

    def call() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    assert call_with_retries(call, RetryPolicy(base_delay_s=0.1), sleep=slept.append, rand=lambda: 1.0) == "ok"
    assert slept == [0.1, 0.5]
    final = busy()

    def always() -> str:
        raise final

    with pytest.raises(ProviderError) as raised:
        call_with_retries(always, RetryPolicy(max_attempts=2), sleep=slept.append)
    assert raised.value is final


# ------------------------------------------------------------------------------------------ circuit breaker


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
    assert breaker.reopens_at(name) == now + 30
    assert breaker.state(name, now + 30) == "half_open"
    # was: the platform breaker let every call through once half-open; now one trial call at a time
    assert breaker.allow(name, now + 30)
    assert not breaker.allow(name, now + 30.5)
    assert breaker.record_failure(name, now + 31) == "open"  # a failed trial opens it for another timeout
    assert not breaker.allow(name, now + 60) and breaker.allow(name, now + 61)
    breaker.release(name)  # the trial ended without a verdict: the slot is free again, still half-open
    assert breaker.state(name, now + 61) == "half_open" and breaker.allow(name, now + 61.5)
    breaker.record_success(name)
    assert breaker.state(name, now + 61) == "closed" and breaker.failures(name) == 0
    assert breaker.reopens_at(name) is None
    assert breaker.allow("anthropic", now)  # breakers are per name


def test_in_process_breaker() -> None:
    exercise(CircuitBreaker(failure_threshold=3, reset_timeout_s=30, namespace=f"test:{uuid.uuid4().hex}"))


def test_a_trial_that_never_reports_back_is_given_up() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=30, namespace=f"test:{uuid.uuid4().hex}")
    breaker.record_failure("x", 0.0)
    assert breaker.allow("x", 30.0) and not breaker.allow("x", 59.0)
    assert breaker.allow("x", 60.0)  # the first trial's process died; another gets its turn


@pytest.mark.redis
def test_breaker_state_is_shared_through_redis(redis_url: str) -> None:
    namespace = f"storyvid-test:{uuid.uuid4().hex}"
    one = CircuitBreaker(3, 30, RedisStore(redis_url), namespace)
    exercise(one)
    other = CircuitBreaker(2, 30, RedisStore(redis_url), namespace)
    one.record_failure("eleven", 5_000.0)
    other.record_failure("eleven", 5_000.0)  # another process's failures count toward the same breaker
    assert one.state("eleven", 5_001.0) == "open" and not one.allow("eleven", 5_001.0)
    assert one.failures("eleven") == 2
    one.reset("eleven")
    one.reset("openai")


# -------------------------------------------------------------------------------------------------- secrets


def test_secret_value_reads_an_unresolved_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYVID_TEST_SECRET", "s3cret")
    assert secret_value(dg.EnvVar("STORYVID_TEST_SECRET")) == "s3cret"
    monkeypatch.delenv("STORYVID_TEST_SECRET")
    # was: the platform clients turned a missing variable into "", the cloud providers into None
    assert secret_value(dg.EnvVar("STORYVID_TEST_SECRET")) is None
    assert secret_value("plain") == "plain" and secret_value(None) is None

    class Vault:
        def get_value(self) -> str:
            return "from-vault"

    assert secret_value(Vault()) == "from-vault"  # anything that resolves itself, without importing dagster


def test_redact_removes_secrets_and_anything_key_shaped() -> None:
    text = "HTTP 401: Incorrect API key provided: sk-proj-abc****wxyz (key my-own-secret, Bearer abcdefgh12345)"
    clean = redact(text, ["my-own-secret", None, "abc"])
    assert "sk-proj" not in clean and "****" not in clean and "my-own-secret" not in clean
    assert "abcdefgh12345" not in clean and clean.startswith("HTTP 401: Incorrect API key provided: [redacted]")

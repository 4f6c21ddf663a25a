"""Retries with exponential backoff and full jitter, Retry-After, and a per-platform circuit breaker.

Only retryable failures are retried (network errors, 429, 5xx and the platforms' transient codes); each step
gets at most ``RetryPolicy.max_attempts`` attempts. Time comes from a :class:`Clock`, so tests run the same
code with a fake clock that never really sleeps.
"""

from __future__ import annotations

import errno
import http.client
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

from storyvid_assets.distribution.errors import AuthExpired, CircuitOpen, PlatformError, RetriesExhausted

T = TypeVar("T")

RETRYABLE_ERRNOS = {errno.ECONNRESET, errno.ECONNABORTED, errno.ECONNREFUSED, errno.EPIPE, errno.ETIMEDOUT}


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time in UTC and real sleeps."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0
    retry_after_cap_s: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


def backoff_delay(attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> float:
    """Full jitter: a uniform wait in [0, min(max_delay, base * 2**(attempt-1))] after failed ``attempt``."""
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    return rand() * ceiling


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_wait(exc: BaseException, attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float:
    """How long to wait before the next attempt: Retry-After (capped) when the server gave one, else backoff."""
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(float(retry_after), policy.retry_after_cap_s)
    return backoff_delay(attempt, policy, rand)


def is_retryable(exc: BaseException) -> bool:
    """Network errors and errors the platform marks as transient; never our own bugs or 4xx rejections."""
    if isinstance(exc, PlatformError):
        return exc.retryable
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - httpx ships with dagster-dg-cli
        pass
    try:
        import httplib2

        if isinstance(exc, httplib2.HttpLib2Error) and not isinstance(exc, httplib2.RedirectLimit):
            return True
    except ImportError:
        pass
    if isinstance(exc, TimeoutError | socket.timeout | ConnectionError | http.client.HTTPException):
        return True
    return isinstance(exc, OSError) and exc.errno in RETRYABLE_ERRNOS


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive retryable failures; lets one trial call through after ``cooldown_s``."""

    platform: str
    threshold: int = 5
    cooldown_s: float = 600.0
    failures: int = 0
    opened_at: datetime | None = None

    def check(self, now: datetime) -> None:
        if self.opened_at is None:
            return
        reopen_at = self.opened_at + timedelta(seconds=self.cooldown_s)
        if now < reopen_at:
            raise CircuitOpen(self.platform, reopen_at)
        self.opened_at = None  # half-open: one trial; a failure opens it again at once
        self.failures = self.threshold - 1

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def record_failure(self, now: datetime) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


_BREAKERS: dict[str, CircuitBreaker] = {}


def breaker_for(platform: str, account: str, threshold: int, cooldown_s: float) -> CircuitBreaker:
    """The process-wide breaker of one platform account (shared by every upload in the step)."""
    key = f"{platform}/{account}"
    if key not in _BREAKERS:
        _BREAKERS[key] = CircuitBreaker(platform=platform, threshold=threshold, cooldown_s=cooldown_s)
    return _BREAKERS[key]


def reset_breakers() -> None:
    _BREAKERS.clear()


@dataclass
class StepRunner:
    """Runs one platform step with retries; the clients call ``run`` around every request or small sequence."""

    platform: str
    policy: RetryPolicy
    breaker: CircuitBreaker
    clock: Clock
    rand: Callable[[], float] = random.random
    log: Callable[[str], None] = lambda message: None
    retries: int = 0  # retries made so far by this runner (all steps)
    history: list[str] = field(default_factory=list)

    def run(
        self,
        step: str,
        call: Callable[[], T],
        *,
        on_auth_expired: Callable[[], None] | None = None,
        before_retry: Callable[[], None] | None = None,
    ) -> T:
        """Call ``call`` until it succeeds, a non-retryable error occurs, or the attempts run out.

        ``on_auth_expired`` refreshes credentials when the platform refuses the token; ``before_retry`` runs
        before each retry (e.g. to ask an upload session how many bytes it has).
        """
        refreshed = False
        attempt = 1
        recover = False
        while True:
            self.breaker.check(self.clock.now())
            try:
                if recover and before_retry is not None:
                    before_retry()
                result = call()
            except AuthExpired as exc:
                if on_auth_expired is None or refreshed:
                    raise
                refreshed = True
                self.log(f"{self.platform} {step}: token refused, refreshing it")
                on_auth_expired()
                self.history.append(f"{step}: refreshed token after {exc.status or exc.code}")
                continue
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                self.breaker.record_failure(self.clock.now())
                self.history.append(f"{step}#{attempt}: {type(exc).__name__}: {exc}"[:300])
                if attempt >= self.policy.max_attempts:
                    raise RetriesExhausted(self.platform, step, attempt, exc) from exc
                wait = retry_wait(exc, attempt, self.policy, self.rand)
                self.log(f"{self.platform} {step}: attempt {attempt} failed ({exc}); retrying in {wait:.2f}s")
                self.clock.sleep(wait)
                self.retries += 1
                attempt += 1
                recover = True
                continue
            self.breaker.record_success()
            return result

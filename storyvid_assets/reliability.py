"""Reliability for every remote call: one retry policy, one circuit breaker, secrets and their redaction.

- :class:`RetryPolicy` / :class:`Retrying`: a few attempts with full-jitter exponential backoff; a server's
  ``Retry-After`` (seconds, HTTP date, or ``retry-after-ms``) is honoured exactly, and a wait longer than the
  policy's cap is not waited out but ends the retries, so the caller falls back or defers instead.
- :class:`CircuitBreaker`: closed → open after N consecutive failures → half-open after a timeout, when one
  trial call at a time goes through (success closes it, failure opens it again). State lives in a
  :class:`BreakerStore`: this process's memory, or Redis so that every worker shares it.
- :func:`secret_value` and :func:`redact`: a config secret's plain value, and text with secrets removed.

Plain Python: no Dagster here. Time comes from a :class:`Clock`, so tests run the same code without sleeping.
"""

from __future__ import annotations

import errno
import http.client
import math
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, Literal, Protocol, TypeVar

T = TypeVar("T")

# --------------------------------------------------------------------------------------------------- retries

# 501 and 505 say the request can never work; every other 5xx (529 is Anthropic's "overloaded") may pass later.
NEVER_RETRYABLE_5XX = frozenset({501, 505})
RETRYABLE_ERRNOS = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.ECONNREFUSED, errno.EPIPE, errno.ETIMEDOUT})
StopReason = Literal["not_retryable", "attempts", "retry_after", "budget"]


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


def retryable_status(status: int | None) -> bool:
    """Whether an HTTP answer with ``status`` may succeed if sent again: 408, 429 and 5xx (not 501/505)."""
    if status is None:
        return False
    return status in (408, 429) or (500 <= status <= 599 and status not in NEVER_RETRYABLE_5XX)


def _seconds(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def retry_after_s(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """Seconds a server asked to wait: ``retry-after-ms``, else ``retry-after`` as seconds or an HTTP date.

    ``None`` when neither header is there or parses (negative numbers are not a valid delay); a date in the
    past is a wait of zero. Header names are matched without regard to case.
    """
    if not headers:
        return None
    lower = {str(name).lower(): str(value).strip() for name, value in headers.items()}
    if (millis := _seconds(lower.get("retry-after-ms", ""))) is not None:
        return millis / 1000.0
    raw = lower.get("retry-after", "")
    if not raw:
        return None
    if (seconds := _seconds(raw)) is not None:
        return seconds
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_retryable(exc: BaseException) -> bool:
    """Errors that say so (``exc.retryable``) and network failures; never our own bugs."""
    flag = getattr(exc, "retryable", None)
    if isinstance(flag, bool):
        return flag
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


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one call.

    ``max_attempts`` counts the first call; ``retry_after_cap_s`` is the longest server-asked wait we sit out;
    ``budget_s`` (optional) bounds all the waits of one call together.
    """

    max_attempts: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    retry_after_cap_s: float = 120.0
    budget_s: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: a uniform wait in [0, min(max_delay, base * 2**(attempt-1))] after failed ``attempt``."""
        return rand() * min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))

    def start(self, rand: Callable[[], float] = random.random) -> Retrying:
        return Retrying(self, rand)


@dataclass
class Retrying:
    """The retries of one call: ask :meth:`after_failure` what to do after each failed attempt."""

    policy: RetryPolicy
    rand: Callable[[], float] = random.random
    attempt: int = 1  # the attempt that is running or just failed
    waited_s: float = 0.0
    stopped: StopReason | None = None  # why the last :meth:`after_failure` said no more
    asked_s: float | None = None  # the server's Retry-After of the last failure

    def after_failure(self, exc: BaseException) -> float | None:
        """Seconds to wait before the next attempt after ``exc``, or ``None`` to give up (see ``stopped``)."""
        policy = self.policy
        self.asked_s = getattr(exc, "retry_after", None)
        if not is_retryable(exc):
            return self._stop("not_retryable")
        if self.attempt >= policy.max_attempts:
            return self._stop("attempts")
        if self.asked_s is not None and self.asked_s > policy.retry_after_cap_s:
            return self._stop("retry_after")
        wait = self.asked_s if self.asked_s is not None else policy.backoff(self.attempt, self.rand)
        if policy.budget_s is not None and self.waited_s + wait > policy.budget_s:
            return self._stop("budget")
        self.attempt += 1
        self.waited_s += wait
        return wait

    def _stop(self, reason: StopReason) -> None:
        self.stopped = reason
        return None


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """``call()`` until it succeeds or :class:`Retrying` gives up; then its last error is raised as it was."""
    retrying = policy.start(rand)
    while True:
        try:
            return call()
        except Exception as exc:
            wait = retrying.after_failure(exc)
            if wait is None:
                raise
            sleep(wait)


# ----------------------------------------------------------------------------------------- circuit breaker

BreakerStatus = Literal["closed", "open", "half_open"]


@dataclass
class BreakerState:
    failures: int = 0
    opened_at: float | None = None  # epoch seconds the breaker last opened
    trial_started_at: float | None = None  # a half-open trial call is in flight since then

    def status(self, now: float, reset_timeout_s: float) -> BreakerStatus:
        if self.opened_at is None:
            return "closed"
        return "half_open" if now - self.opened_at >= reset_timeout_s else "open"


class BreakerStore(Protocol):
    """Where breaker states live, keyed by breaker; each operation is atomic."""

    def load(self, key: str) -> BreakerState: ...

    def claim_trial(self, key: str, now: float, ttl_s: float) -> bool: ...

    def release_trial(self, key: str) -> None: ...

    def record_failure(self, key: str, now: float, threshold: int) -> BreakerState: ...

    def clear(self, key: str) -> None: ...


class MemoryStore:
    """Breaker states of this process (threads share them)."""

    def __init__(self) -> None:
        self._states: dict[str, BreakerState] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> BreakerState:
        with self._lock:
            state = self._states.get(key, BreakerState())
            return BreakerState(state.failures, state.opened_at, state.trial_started_at)

    def claim_trial(self, key: str, now: float, ttl_s: float) -> bool:
        with self._lock:
            state = self._states.setdefault(key, BreakerState())
            if state.trial_started_at is not None and now - state.trial_started_at < ttl_s:
                return False
            state.trial_started_at = now
            return True

    def release_trial(self, key: str) -> None:
        with self._lock:
            if key in self._states:
                self._states[key].trial_started_at = None

    def record_failure(self, key: str, now: float, threshold: int) -> BreakerState:
        with self._lock:
            state = self._states.setdefault(key, BreakerState())
            state.failures += 1
            if state.failures >= threshold or state.opened_at is not None:
                state.opened_at = now
                state.trial_started_at = None
            return BreakerState(state.failures, state.opened_at, state.trial_started_at)

    def clear(self, key: str) -> None:
        with self._lock:
            self._states.pop(key, None)

    def clear_all(self) -> None:
        with self._lock:
            self._states.clear()


@cache
def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0, decode_responses=True)


@dataclass(frozen=True)
class RedisStore:
    """Breaker states in Redis (a hash per breaker, a lock key for the half-open trial): shared by workers."""

    url: str

    def load(self, key: str) -> BreakerState:
        raw = _redis_client(self.url).hgetall(key)
        return BreakerState(
            failures=int(raw.get("failures", 0)),
            opened_at=float(raw["opened_at"]) if raw.get("opened_at") else None,
            trial_started_at=float(raw["trial_started_at"]) if raw.get("trial_started_at") else None,
        )

    def claim_trial(self, key: str, now: float, ttl_s: float) -> bool:
        client = _redis_client(self.url)
        if not client.set(key + ":trial", str(now), nx=True, px=max(1, int(ttl_s * 1000))):
            return False
        client.hset(key, "trial_started_at", str(now))
        return True

    def release_trial(self, key: str) -> None:
        pipe = _redis_client(self.url).pipeline()
        pipe.hdel(key, "trial_started_at")
        pipe.delete(key + ":trial")
        pipe.execute()

    def record_failure(self, key: str, now: float, threshold: int) -> BreakerState:
        client = _redis_client(self.url)
        failures = int(client.hincrby(key, "failures", 1))
        if failures >= threshold or client.hget(key, "opened_at") is not None:
            pipe = client.pipeline()
            pipe.hset(key, mapping={"opened_at": str(now)})
            pipe.hdel(key, "trial_started_at")
            pipe.delete(key + ":trial")
            pipe.execute()
        return self.load(key)

    def clear(self, key: str) -> None:
        _redis_client(self.url).delete(key, key + ":trial")


MEMORY_STORE = MemoryStore()


def reset_breakers() -> None:
    """Forget every in-process breaker state (tests)."""
    MEMORY_STORE.clear_all()


@dataclass(frozen=True)
class CircuitBreaker:
    """Breakers per name (a provider, a platform account) with one threshold and timeout.

    Closed lets every call through. ``failure_threshold`` consecutive failures open it: calls are refused
    until ``reset_timeout_s`` has passed, then it is half-open and one trial call at a time goes through
    (a trial that never reports back is given up after another timeout). Success closes it; a failed trial
    opens it again for another timeout. ``now`` is epoch seconds (``time.time()`` when left out).
    """

    failure_threshold: int = 3
    reset_timeout_s: float = 60.0
    store: BreakerStore = field(default=MEMORY_STORE)
    namespace: str = "storyvid:breaker"

    def _key(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def state(self, name: str, now: float | None = None) -> BreakerStatus:
        return self.store.load(self._key(name)).status(_now(now), self.reset_timeout_s)

    def failures(self, name: str) -> int:
        return self.store.load(self._key(name)).failures

    def reopens_at(self, name: str) -> float | None:
        """When an open breaker lets its trial call through (epoch seconds); ``None`` when it is closed."""
        opened_at = self.store.load(self._key(name)).opened_at
        return None if opened_at is None else opened_at + self.reset_timeout_s

    def allow(self, name: str, now: float | None = None) -> bool:
        """Whether a call may go ahead now; in half-open state only one trial call at a time."""
        now = _now(now)
        status = self.state(name, now)
        if status == "half_open":
            return self.store.claim_trial(self._key(name), now, self.reset_timeout_s)
        return status == "closed"

    def record_success(self, name: str) -> None:
        """A call succeeded: close the breaker."""
        self.store.clear(self._key(name))

    def record_failure(self, name: str, now: float | None = None) -> BreakerStatus:
        """A call failed: count it; open (or re-open) the breaker at the threshold or after a failed trial."""
        now = _now(now)
        return self.store.record_failure(self._key(name), now, self.failure_threshold).status(
            now, self.reset_timeout_s
        )

    def release(self, name: str) -> None:
        """A call ended without saying anything about the service's health: free a trial it held."""
        self.store.release_trial(self._key(name))

    def reset(self, name: str) -> None:
        self.record_success(name)


def _now(now: float | None) -> float:
    return time.time() if now is None else now


# ---------------------------------------------------------------------------------------------- secrets

# Anything shaped like an API key or bearer token, in case a server echoes one back (OpenAI echoes a masked key).
_KEY_LIKE = re.compile(
    r"\b(?:sk|xi)-[A-Za-z0-9*._-]{4,}"  # OpenAI / Anthropic / ElevenLabs style keys, masked or not
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|[A-Za-z0-9_-]*\*{4,}[A-Za-z0-9_-]*"  # masked secrets: abcd****wxyz
)


class _Resolvable(Protocol):
    def get_value(self) -> str | None: ...


def secret_value(value: str | _Resolvable | None) -> str | None:
    """The plain value of a config secret that may still be an unresolved environment reference.

    Outside a run, a resource keeps ``dg.EnvVar("NAME")`` as given; anything with ``get_value()`` is read
    now (``None`` when the variable is not set). Plain strings are returned as they are.
    """
    if value is None:
        return None
    get_value = getattr(value, "get_value", None)
    if callable(get_value):
        return get_value()
    return str(value)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without any of ``secrets`` and without anything shaped like an API key."""
    text = _KEY_LIKE.sub("[redacted]", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text

"""Circuit breakers per provider: open after N consecutive failures, half-open after a timeout.

A closed breaker lets every call through. ``failure_threshold`` consecutive failures open it: calls are
skipped (the chain moves on) until ``reset_timeout_s`` has passed, then one trial call is let through
(half-open): success closes the breaker, failure opens it again for another timeout. State lives in Redis
when ``redis_url`` is set, so every run process shares it; otherwise in this process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import dagster as dg

BreakerStatus = Literal["closed", "open", "half_open"]


@dataclass
class BreakerState:
    failures: int = 0
    opened_at: float | None = None  # epoch seconds the breaker last opened
    trial_started_at: float | None = None  # a half-open trial call is in flight since then


def status_of(state: BreakerState, now: float, reset_timeout_s: float) -> BreakerStatus:
    if state.opened_at is None:
        return "closed"
    return "half_open" if now - state.opened_at >= reset_timeout_s else "open"


_LOCAL: dict[str, BreakerState] = {}
_LOCAL_LOCK = threading.Lock()


@cache
def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0, decode_responses=True)


class CircuitBreaker(dg.ConfigurableResource):
    """Per-provider breakers; shared through Redis when ``redis_url`` is set, else per process."""

    failure_threshold: int = 3
    reset_timeout_s: float = 60.0
    redis_url: str | None = None
    namespace: str = "storyvid:breaker"

    def _key(self, provider: str) -> str:
        return f"{self.namespace}:{provider}"

    # -- state storage ------------------------------------------------------------------------------------

    def _load(self, provider: str) -> BreakerState:
        if self.redis_url:
            raw = _redis_client(self.redis_url).hgetall(self._key(provider))
            return BreakerState(
                failures=int(raw.get("failures", 0)),
                opened_at=float(raw["opened_at"]) if raw.get("opened_at") else None,
                trial_started_at=float(raw["trial_started_at"]) if raw.get("trial_started_at") else None,
            )
        with _LOCAL_LOCK:
            state = _LOCAL.get(self._key(provider), BreakerState())
            return BreakerState(state.failures, state.opened_at, state.trial_started_at)

    def state(self, provider: str, now: float | None = None) -> BreakerStatus:
        return status_of(self._load(provider), time.time() if now is None else now, self.reset_timeout_s)

    def failures(self, provider: str) -> int:
        return self._load(provider).failures

    # -- decisions ------------------------------------------------------------------------------------------

    def allow(self, provider: str, now: float | None = None) -> bool:
        """Whether a call to ``provider`` may go ahead; in half-open state only one trial call at a time."""
        now = time.time() if now is None else now
        state = self._load(provider)
        status = status_of(state, now, self.reset_timeout_s)
        if status == "closed":
            return True
        if status == "open":
            return False
        return self._claim_trial(provider, now)

    def _claim_trial(self, provider: str, now: float) -> bool:
        # A trial that never reported back (its process died) is given up after another timeout.
        if self.redis_url:
            client = _redis_client(self.redis_url)
            lock_key = self._key(provider) + ":trial"
            if not client.set(lock_key, str(now), nx=True, px=max(1, int(self.reset_timeout_s * 1000))):
                return False
            client.hset(self._key(provider), "trial_started_at", str(now))
            return True
        with _LOCAL_LOCK:
            state = _LOCAL.setdefault(self._key(provider), BreakerState())
            if state.trial_started_at is not None and now - state.trial_started_at < self.reset_timeout_s:
                return False
            state.trial_started_at = now
            return True

    def record_success(self, provider: str) -> None:
        """A call succeeded: close the breaker."""
        if self.redis_url:
            client = _redis_client(self.redis_url)
            client.delete(self._key(provider), self._key(provider) + ":trial")
            return
        with _LOCAL_LOCK:
            _LOCAL[self._key(provider)] = BreakerState()

    def record_failure(self, provider: str, now: float | None = None) -> BreakerStatus:
        """A call failed: count it; open (or re-open) the breaker at the threshold or after a failed trial."""
        now = time.time() if now is None else now
        if self.redis_url:
            client = _redis_client(self.redis_url)
            key = self._key(provider)
            failures = int(client.hincrby(key, "failures", 1))
            was_open = client.hget(key, "opened_at") is not None
            if failures >= self.failure_threshold or was_open:
                pipe = client.pipeline()
                pipe.hset(key, mapping={"opened_at": str(now)})
                pipe.hdel(key, "trial_started_at")
                pipe.delete(key + ":trial")
                pipe.execute()
            return self.state(provider, now)
        with _LOCAL_LOCK:
            state = _LOCAL.setdefault(self._key(provider), BreakerState())
            state.failures += 1
            if state.failures >= self.failure_threshold or state.opened_at is not None:
                state.opened_at = now
                state.trial_started_at = None
            return status_of(state, now, self.reset_timeout_s)

    def reset(self, provider: str) -> None:
        self.record_success(provider)

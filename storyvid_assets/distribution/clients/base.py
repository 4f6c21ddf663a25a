"""What every platform client receives for one upload (the bytes, the journal, the step runner) and helpers."""

from __future__ import annotations

import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx

from storyvid_assets.distribution.errors import AuthExpired, CircuitOpen, QuotaExhausted, RetriesExhausted
from storyvid_assets.distribution.limits import PostText
from storyvid_assets.distribution.quota import QuotaLedger
from storyvid_assets.distribution.state import UploadJournal
from storyvid_assets.models import PostOptions, PublishItem
from storyvid_assets.reliability import CircuitBreaker, Clock, RetryPolicy

T = TypeVar("T")
PLATFORM_BREAKERS = "storyvid:platform"  # the breakers' namespace; one breaker per platform account


def platform_breaker(threshold: int, cooldown_s: float) -> CircuitBreaker:
    """The platform accounts' breakers (in this process: every upload of the step shares them)."""
    return CircuitBreaker(threshold, cooldown_s, namespace=PLATFORM_BREAKERS)


@dataclass
class StepRunner:
    """Runs a platform's steps with retries (:class:`RetryPolicy`) behind the account's circuit breaker.

    The clients call :meth:`run` around every request or small sequence. Only retryable failures are retried
    and counted by the breaker; a server asking to wait longer than the policy's cap defers the upload.
    """

    platform: str
    policy: RetryPolicy
    breaker: CircuitBreaker
    clock: Clock
    rand: Callable[[], float] = random.random
    log: Callable[[str], None] = lambda message: None
    circuit: str = ""  # the breaker's name (``platform/account``); the platform when empty
    retries: int = 0  # retries made so far by this runner (all steps)
    history: list[str] = field(default_factory=list)

    @property
    def circuit_name(self) -> str:
        return self.circuit or self.platform

    def _enter(self) -> None:
        now = self.clock.now()
        if not self.breaker.allow(self.circuit_name, now.timestamp()):
            reopens = self.breaker.reopens_at(self.circuit_name)
            raise CircuitOpen(self.platform, datetime.fromtimestamp(reopens, UTC) if reopens is not None else now)

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
        name = self.circuit_name
        retrying = self.policy.start(self.rand)
        refreshed = False
        recover = False
        while True:
            self._enter()
            try:
                if recover and before_retry is not None:
                    before_retry()
                result = call()
            except AuthExpired as exc:
                self.breaker.release(name)  # the platform answered: nothing to count
                if on_auth_expired is None or refreshed:
                    raise
                refreshed = True
                self.log(f"{self.platform} {step}: token refused, refreshing it")
                on_auth_expired()
                self.history.append(f"{step}: refreshed token after {exc.status or exc.code}")
                continue
            except Exception as exc:
                attempt = retrying.attempt
                wait = retrying.after_failure(exc)
                if retrying.stopped == "not_retryable":
                    self.breaker.release(name)
                    raise
                self.breaker.record_failure(name, self.clock.now().timestamp())
                self.history.append(f"{step}#{attempt}: {type(exc).__name__}: {exc}"[:300])
                if retrying.stopped == "retry_after" and retrying.asked_s is not None:
                    raise self._throttled(step, exc, retrying.asked_s) from exc
                if wait is None:
                    raise RetriesExhausted(self.platform, step, attempt, exc) from exc
                self.log(f"{self.platform} {step}: attempt {attempt} failed ({exc}); retrying in {wait:.2f}s")
                self.clock.sleep(wait)
                self.retries += 1
                recover = True
                continue
            self.breaker.record_success(name)
            return result

    def _throttled(self, step: str, exc: BaseException, asked_s: float) -> QuotaExhausted:
        """A wait longer than the policy's cap: the upload is deferred until the server's time, not cut short."""
        return QuotaExhausted(
            self.platform,
            step,
            f"rate limited: the platform asks to wait {asked_s:.0f} s, longer than the "
            f"{self.policy.retry_after_cap_s:.0f} s a step waits",
            resume_at=self.clock.now() + timedelta(seconds=asked_s),
            status=getattr(exc, "status", None),
            code=getattr(exc, "code", None),
        )

@dataclass
class UploadWork:
    """One video going to one platform account: the bytes, the text, the journal of handles and the tools."""

    item: PublishItem
    options: PostOptions
    text: PostText
    journal: UploadJournal
    steps: StepRunner
    quota: QuotaLedger
    clock: Clock
    log: Callable[[str], None]

    @property
    def path(self) -> Path:
        return Path(self.item.video_path)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def read(self, start: int, end_inclusive: int) -> bytes:
        with self.path.open("rb") as fh:
            fh.seek(start)
            return fh.read(end_inclusive - start + 1)

    def bump(self, key: str) -> int:
        """Increment a counter kept in the handle (e.g. how many creates were attempted) and return it."""
        return int(self.journal.get(key, 0)) + 1


@dataclass
class MetricsWork:
    """What a client's ``fetch_metrics`` calls go through: the step runner (retries, Retry-After, the account's
    breaker) and the quota ledger of that account."""

    steps: StepRunner
    quota: QuotaLedger
    account: str = "default"


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"data": body}


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle costs tens of milliseconds)."""
    return ssl.create_default_context()


def new_http_client(timeout_s: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, verify=tls_context())

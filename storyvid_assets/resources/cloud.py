"""Shared pieces of the cloud providers: tiered models, metered results, errors and secret redaction."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar

import dagster as dg
import httpx

from storyvid_assets.errors import ProviderError
from storyvid_assets.models import ProviderTier, ProviderUsage

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
NON_RETRYABLE_CODES = frozenset({"insufficient_quota", "quota_exceeded", "invalid_api_key"})
MAX_RETRY_AFTER_S = 120.0
# Anything shaped like an API key or bearer token, in case a server echoes one back (OpenAI echoes a masked key).
_KEY_LIKE = re.compile(
    r"\b(?:sk|xi)-[A-Za-z0-9*._-]{4,}"  # OpenAI / Anthropic / ElevenLabs style keys, masked or not
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|[A-Za-z0-9_-]*\*{4,}[A-Za-z0-9_-]*"  # masked secrets: abcd****wxyz
)


class TierModels(dg.Config):
    """The model a provider uses at each tier of the degrade policy."""

    premium: str
    standard: str
    budget: str

    def for_tier(self, tier: ProviderTier) -> str:
        return getattr(self, tier)


@dataclass
class Metered(Generic[T]):
    """A provider's answer and the usage of every call it took to get it (retries of bad output included)."""

    result: T
    usage: list[ProviderUsage] = field(default_factory=list)


class MeteredProviderError(ProviderError):
    """A provider call failed after using (and being billed for) ``usage``."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        retryable: bool,
        usage: list[ProviderUsage] | None = None,
        invalid_output: bool = False,
    ) -> None:
        super().__init__(provider, message, retryable=retryable)
        self.usage = list(usage or [])
        self.invalid_output = invalid_output


class InvalidOutput(ValueError):
    """A model answered, but not with something usable (bad JSON, truncated, wrong shape)."""


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without any of ``secrets`` and without anything shaped like an API key."""
    text = _KEY_LIKE.sub("[redacted]", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def secret_value(value: str | dg.EnvVar | None) -> str | None:
    """The plain value of a config field that may still be an unresolved ``EnvVar`` (outside a run)."""
    if value is None:
        return None
    if isinstance(value, dg.EnvVar):
        return value.get_value()
    return str(value)


def usage(
    kind: str,
    provider: str,
    model: str,
    tier: ProviderTier | None,
    units: dict[str, float],
    outcome: str = "served",
    detail: str = "",
) -> ProviderUsage:
    return ProviderUsage(
        kind=kind, provider=provider, model=model, tier=tier, units=units, outcome=outcome, detail=detail
    )  # type: ignore[arg-type]


def status_error(
    provider: str,
    status: int | None,
    code: str | None,
    message: str,
    secrets: Iterable[str | None],
    usage_so_far: list[ProviderUsage] | None = None,
) -> MeteredProviderError:
    """A ``ProviderError`` for an HTTP error answer: retryable unless the status or code says it cannot succeed."""
    retryable = status is None or status in RETRYABLE_STATUS
    if code in NON_RETRYABLE_CODES:
        retryable = False
    label = f"HTTP {status}" if status is not None else "connection error"
    text = f"{label}{f' {code}' if code else ''}: {message}".strip().rstrip(":")
    return MeteredProviderError(provider, redact(text, secrets)[:500], retryable=retryable, usage=usage_so_far)


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds a server asked to wait: ``retry-after-ms``, then ``retry-after`` as seconds or an HTTP date."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_delay(
    status: int | None, headers: Mapping[str, str], attempt: int, base_delay_s: float = 0.5
) -> float | None:
    """Seconds to wait before retrying an answer with ``status`` (``None``: do not retry it).

    ``Retry-After`` is honoured up to two minutes (longer is not retried); otherwise full-jitter backoff.
    """
    if status not in RETRYABLE_STATUS:
        return None
    asked = retry_after_seconds(httpx.Headers(dict(headers)))
    if asked is not None:
        return None if asked > MAX_RETRY_AFTER_S else asked
    return random.uniform(0, base_delay_s * 2**attempt)


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    max_retries: int,
    retry_budget_s: float = 60.0,
    base_delay_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Call ``send`` until it answers with a non-retryable status or the retries run out.

    Honours ``Retry-After`` (capped at two minutes; a longer wait is not retried), else full-jitter exponential
    backoff; all waits together stay within ``retry_budget_s``. Connection errors are retried the same way.
    """
    waited = 0.0
    for attempt in range(max_retries + 1):
        try:
            response = send()
        except httpx.TransportError:
            if attempt == max_retries:
                raise
            response = None
        if response is not None and response.status_code not in RETRYABLE_STATUS:
            return response
        if attempt == max_retries:
            assert response is not None
            return response
        asked = retry_after_seconds(response.headers) if response is not None else None
        if asked is not None and asked > MAX_RETRY_AFTER_S:
            assert response is not None
            return response
        delay = asked if asked is not None else random.uniform(0, base_delay_s * 2**attempt)
        if waited + delay > retry_budget_s:
            if response is None:
                raise httpx.ConnectError("retry budget spent")
            return response
        sleep(delay)
        waited += delay
    raise AssertionError("unreachable")

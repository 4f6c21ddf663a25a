"""Shared pieces of the cloud providers: tiered models, metered results and their errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import dagster as dg

from storyvid_assets.errors import ProviderError
from storyvid_assets.models import ProviderTier, ProviderUsage
from storyvid_assets.reliability import RetryPolicy, redact, retry_after_s, retryable_status

T = TypeVar("T")

NON_RETRYABLE_CODES = frozenset({"insufficient_quota", "quota_exceeded", "invalid_api_key"})
MAX_RETRY_AFTER_S = 120.0  # a provider asking for a longer wait is not waited for: the chain moves on


def cloud_retry_policy(max_retries: int, budget_s: float | None = None) -> RetryPolicy:
    """Our own retries of the calls an SDK does not retry: full-jitter backoff from 0.5 s, Retry-After honoured."""
    return RetryPolicy(
        max_attempts=max_retries + 1, base_delay_s=0.5, retry_after_cap_s=MAX_RETRY_AFTER_S, budget_s=budget_s
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
        retry_after: float | None = None,
    ) -> None:
        super().__init__(provider, message, retryable=retryable, retry_after=retry_after)
        self.usage = list(usage or [])
        self.invalid_output = invalid_output


class InvalidOutput(ValueError):
    """A model answered, but not with something usable (bad JSON, truncated, wrong shape)."""


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
    headers: Mapping[str, str] | None = None,
) -> MeteredProviderError:
    """A ``ProviderError`` for an HTTP error answer (``status`` ``None``: no answer at all).

    Retryable when there was no answer or the status may pass later, unless the error code says it cannot
    succeed; ``headers`` give the server's ``Retry-After``.
    """
    retryable = (status is None or retryable_status(status)) and code not in NON_RETRYABLE_CODES
    label = f"HTTP {status}" if status is not None else "connection error"
    text = f"{label}{f' {code}' if code else ''}: {message}".strip().rstrip(":")
    return MeteredProviderError(
        provider,
        redact(text, secrets)[:500],
        retryable=retryable,
        usage=usage_so_far,
        retry_after=retry_after_s(headers),
    )

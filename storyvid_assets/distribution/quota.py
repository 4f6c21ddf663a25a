"""Per-platform quota ledger in the catalog: spend before each call, defer when a window is used up.

YouTube counts units per Pacific day (the cost of each method is configurable); Instagram's limit is read
from its ``content_publishing_limit`` endpoint; TikTok and Facebook have daily post caps (UTC days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.quota import lock_quota_window, spend_from_window
from storyvid_assets.catalog.tables.distribution import QuotaLedgerRow
from storyvid_assets.distribution.errors import QuotaExhausted
from storyvid_assets.reliability import Clock

PACIFIC = ZoneInfo("America/Los_Angeles")
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class QuotaRule:
    """One quota: ``limit`` of ``unit`` per calendar day in ``timezone``."""

    platform: str
    limit: int
    unit: Literal["units", "posts"] = "posts"
    timezone: str = "UTC"


def quota_window(rule: QuotaRule, now: datetime) -> tuple[str, datetime]:
    """The window ``now`` falls in (its local date) and when that window resets (the next local midnight)."""
    zone = ZoneInfo(rule.timezone)
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return local.date().isoformat(), midnight.astimezone(UTC_ZONE)


class QuotaLedger:
    """Quota spent per (platform, account, window), kept in the catalog so every run sees the same numbers."""

    def __init__(self, catalog_url: str, clock: Clock) -> None:
        self.catalog_url = catalog_url
        self.clock = clock

    def _row(self, session: Session, rule: QuotaRule, account: str) -> QuotaLedgerRow:
        window, resets_at = quota_window(rule, self.clock.now())
        return lock_quota_window(
            session, rule.platform, account, window, unit=rule.unit, limit=rule.limit, resets_at=resets_at
        )

    def remaining(self, rule: QuotaRule, account: str) -> int:
        with session_scope(self.catalog_url) as session:
            row = self._row(session, rule, account)
            if self._exhausted(row):
                return 0
            return max(0, row.limit - row.used)

    def _exhausted(self, row: QuotaLedgerRow) -> bool:
        return row.exhausted_until is not None and self.clock.now() < row.exhausted_until

    def resume_time(self, rule: QuotaRule) -> datetime:
        return quota_window(rule, self.clock.now())[1]

    def spend(self, rule: QuotaRule, account: str, cost: int, step: str) -> None:
        """Record ``cost`` as spent if it fits, else raise :class:`QuotaExhausted`; the fit and the spend are one
        conditional update (platforms charge for a call whether or not it succeeds)."""
        with session_scope(self.catalog_url) as session:
            row = self._row(session, rule, account)
            if self._exhausted(row) or not spend_from_window(session, row, cost):
                raise self._refusal(rule, row, cost, step)

    def _refusal(self, rule: QuotaRule, row: QuotaLedgerRow, cost: int, step: str) -> QuotaExhausted:
        return QuotaExhausted(
            rule.platform,
            step,
            f"daily quota used up ({row.used}/{row.limit} {rule.unit}, this step needs {cost})",
            resume_at=max(row.resets_at, row.exhausted_until or row.resets_at),
        )

    def mark_exhausted(self, rule: QuotaRule, account: str, until: datetime | None = None) -> datetime:
        """The platform said the quota is gone: no more calls in this window (or until ``until``)."""
        with session_scope(self.catalog_url) as session:
            row = self._row(session, rule, account)
            resume = until or quota_window(rule, self.clock.now())[1]
            row.exhausted_until = resume
            row.used = max(row.used, row.limit)
            return resume

    def observe(self, rule: QuotaRule, account: str, used: int) -> None:
        """Record usage the platform reported (Instagram's ``quota_usage``)."""
        with session_scope(self.catalog_url) as session:
            row = self._row(session, rule, account)
            row.used = max(used, 0)

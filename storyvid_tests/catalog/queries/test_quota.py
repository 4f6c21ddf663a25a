"""The quota window row: created empty once, its limit following the rule."""

from __future__ import annotations

from datetime import UTC, datetime

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.quota import lock_quota_window

RESETS = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_window_row_is_created_once_and_takes_the_current_limit(url: str) -> None:
    with session_scope(url) as session:
        row = lock_quota_window(session, "youtube", "default", "2026-11-26", unit="units", limit=100, resets_at=RESETS)
        assert row.used == 0
        row.used = 40
    with session_scope(url) as session:
        row = lock_quota_window(session, "youtube", "default", "2026-11-26", unit="units", limit=250, resets_at=RESETS)
        assert (row.used, row.limit) == (40, 250)

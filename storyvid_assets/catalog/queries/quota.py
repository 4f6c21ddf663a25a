"""The per-platform quota ledger: one row per (platform, account, quota window)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import get_or_create
from storyvid_assets.catalog.tables.distribution import QuotaLedgerRow


def lock_quota_window(
    session: Session, platform: str, account: str, window: str, *, unit: str, limit: int, resets_at: datetime
) -> QuotaLedgerRow:
    """The window's ledger row, locked for the transaction (created with nothing used); its limit is ``limit``."""
    row, _ = get_or_create(
        session,
        QuotaLedgerRow,
        {"platform": platform, "account": account, "window": window},
        {"unit": unit, "used": 0, "limit": limit, "resets_at": resets_at},
    )
    row.limit = limit
    return row


def spend_from_window(session: Session, row: QuotaLedgerRow, cost: int) -> bool:
    """Add ``cost`` to the window's use if it still fits, in one conditional UPDATE; whether it was spent.

    The condition is evaluated by the database against the committed value, so two workers spending at once
    cannot both fit into the last room of a window (SQLite ignores ``FOR UPDATE``; this does not need it).
    """
    session.flush()
    spent = session.execute(
        update(QuotaLedgerRow)
        .where(QuotaLedgerRow.id == row.id, QuotaLedgerRow.used + cost <= QuotaLedgerRow.limit)
        .values(used=QuotaLedgerRow.used + cost)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(row)
    return spent

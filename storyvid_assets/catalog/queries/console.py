"""The console's audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storyvid_assets.catalog.tables.console import ConsoleAuditRow


def add_console_audit(session: Session, **fields: Any) -> ConsoleAuditRow:
    row = ConsoleAuditRow(**fields)
    session.add(row)
    session.flush()
    return row


def console_audit(session: Session, *, target: str | None = None, action: str | None = None, limit: int = 200
                  ) -> list[ConsoleAuditRow]:
    """Newest first, of one target or action when given."""
    query = select(ConsoleAuditRow).order_by(ConsoleAuditRow.id.desc()).limit(limit)
    if target:
        query = query.where(ConsoleAuditRow.target == target)
    if action:
        query = query.where(ConsoleAuditRow.action == action)
    return list(session.scalars(query))

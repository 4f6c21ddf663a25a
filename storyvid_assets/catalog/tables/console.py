"""Catalog tables of the console: the audit trail of admin and operator actions outside the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, UTCDateTime, utcnow


class ConsoleAuditRow(Base):
    """Append-only: who did what to which target (a channel, a user, a run, an upload), with before/after."""

    __tablename__ = "console_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))  # user name, or "anonymous" for a failed login
    action: Mapped[str] = mapped_column(String(64))  # e.g. configuration_saved, run_launched, login_failed
    target: Mapped[str] = mapped_column(String(256))  # e.g. "channel bedtime", "user otto"
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the request's IP address

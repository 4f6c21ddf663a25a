"""Catalog tables of distribution: upload state machines, their journal, quota ledgers and admin alerts.

``platform_uploads`` (in ``core.py``) holds each upload's status, handles and post; these tables add the
idempotency key (content sha256, platform, account) with its lease, an append-only journal of every step,
the per-platform quota ledger, and the alerts opened when an upload needs a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, Timestamped, UTCDateTime, utcnow


class UploadStateRow(Timestamped, Base):
    """The state machine of one video on one platform account; a lease keeps two runs from working on it."""

    __tablename__ = "upload_states"
    __table_args__ = (UniqueConstraint("content_sha256", "platform", "account", name="uq_upload_states_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(128))
    upload_id: Mapped[int] = mapped_column(ForeignKey("platform_uploads.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(64), default="new")
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class UploadEventRow(Base):
    """One step of one upload: handles saved, retries, deferrals, failures (append-only)."""

    __tablename__ = "upload_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("platform_uploads.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    run_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QuotaLedgerRow(Timestamped, Base):
    """Quota spent by one platform account in one quota window (a Pacific day for YouTube, a UTC day else)."""

    __tablename__ = "quota_ledger"
    __table_args__ = (UniqueConstraint("platform", "account", "window", name="uq_quota_ledger_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(128))
    window: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))  # "units" | "posts"
    used: Mapped[int] = mapped_column(Integer, default=0)
    limit: Mapped[int] = mapped_column(Integer)
    resets_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exhausted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DistributionAlertRow(Timestamped, Base):
    """An admin alert / review item: an upload that failed after its retries or was refused as bad input."""

    __tablename__ = "distribution_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_uploads.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10))
    platform: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved

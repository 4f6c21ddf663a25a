"""Catalog tables of moderation and review: the queue, decisions, the audit trail, reviewers, licence evidence.

``review_items`` holds one row per failed check (partition, asset, check, attempt) with its findings and
evidence; ``moderation_judgements`` which policy version judged each check;
``review_decisions`` every approve/reject with who and why, and what the sensor launched for it;
``review_audit_log`` every state change with before/after; ``review_users`` and ``review_sessions`` the
people who may log in to the review page; ``licence_evidence`` the proof that published music may be used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, Timestamped, UTCDateTime, utcnow


class ReviewItemRow(Timestamped, Base):
    """A failed check waiting for (or past) a person's decision. Status: open, approved, rejected, resolved,
    needs_human."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("channel", "date", "asset", "check_name", "attempt", name="uq_review_items_check_attempt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    check_name: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), index=True)
    resolution: Mapped[str | None] = mapped_column(String(32), nullable=True)  # approved | regenerated
    summary: Mapped[str] = mapped_column(Text)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # media keys and where they are shown
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_version: Mapped[str | None] = mapped_column(String(32), nullable=True)  # moderation/version.py


class ReviewDecisionRow(Base):
    """One reviewer decision; the sensor fills ``run_key``/``outcome`` when it acts on it."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # approve | reject
    note: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_before: Mapped[str] = mapped_column(String(32))
    status_after: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)  # downstream_run | regeneration | escalated
    run_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    new_attempt: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # the system's own


class ModerationJudgementRow(Base):
    """Which policy version judged one check of one episode attempt, and the verdict (latest evaluation)."""

    __tablename__ = "moderation_judgements"
    __table_args__ = (
        UniqueConstraint("channel", "date", "check_name", "attempt", name="uq_moderation_judgements_check"),
        Index("ix_moderation_judgements_partition", "channel", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    date: Mapped[str] = mapped_column(String(10))
    asset: Mapped[str] = mapped_column(String(64))
    check_name: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column(Integer)
    policy_version: Mapped[str] = mapped_column(String(32), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    blocking_findings: Mapped[int] = mapped_column(Integer)
    content_checked: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # images: did a classifier look
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewAuditRow(Base):
    """Append-only: who changed what, when, with the state before and after."""

    __tablename__ = "review_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[str] = mapped_column(Text, default="")


class ReviewUserRow(Timestamped, Base):
    """A person who may log in to the console. Passwords are stored as argon2id hashes only (scrypt in catalogs
    made before 0009, replaced at the next login). A disabled user cannot log in; after an admin's reset the user
    must choose a new password at the next login."""

    __tablename__ = "review_users"
    __table_args__ = (UniqueConstraint("username", name="uq_review_users_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # admin | operator | viewer
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ReviewSessionRow(Base):
    """A logged-in browser. Only the SHA-256 of the cookie token is stored."""

    __tablename__ = "review_sessions"
    __table_args__ = (UniqueConstraint("token_sha256", name="uq_review_sessions_token"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("review_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LicenceEvidenceRow(Timestamped, Base):
    """The licensing evidence store: one row per published media file that needs a licence (music)."""

    __tablename__ = "licence_evidence"
    __table_args__ = (UniqueConstraint("media_key", name="uq_licence_evidence_media_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    media_key: Mapped[str] = mapped_column(String(512))
    media_sha256: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64))
    licence_id: Mapped[str] = mapped_column(String(256))
    terms: Mapped[str] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text)
    evidence_created_at: Mapped[datetime] = mapped_column(UTCDateTime())

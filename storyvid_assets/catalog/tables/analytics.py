"""Catalog tables of the analytics loop: daily metrics, lifetime snapshots, configuration versions and their
audit trail, and experiments. Migration ``0006_analytics`` creates them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, Timestamped, UTCDateTime, utcnow


class AnalyticsRow(Timestamped, Base):
    """One upload's figures for one day (daily, not cumulative). Rerunning a day replaces the row."""

    __tablename__ = "analytics_data"
    __table_args__ = (UniqueConstraint("upload_id", "day", name="uq_analytics_upload_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("platform_uploads.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[str] = mapped_column(String(10), index=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    watch_time_s: Mapped[float] = mapped_column(Float, default=0.0)
    avg_view_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    completion_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    revenue_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(16), default="api")  # api | simulated | csv
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MetricSnapshotRow(Timestamped, Base):
    """A lifetime counter reading of one upload as of one day; daily figures are differences of these."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (UniqueConstraint("upload_id", "day", name="uq_metric_snapshots_upload_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("platform_uploads.id", ondelete="CASCADE"), index=True)
    day: Mapped[str] = mapped_column(String(10), index=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # MetricValues as JSON
    source: Mapped[str] = mapped_column(String(16), default="api")
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelConfigurationRow(Base):
    """A version of a channel's tunable settings (layered over its YAML); one version per channel is active."""

    __tablename__ = "model_configurations"
    __table_args__ = (UniqueConstraint("channel", "version", name="uq_model_configurations_channel_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))  # e.g. "bedtime v3: music_mood calm"
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # TunableSettings (non-null fields)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    reason: Mapped[str] = mapped_column(Text, default="")


class ConfigurationChangeRow(Timestamped, Base):
    """A proposed or made change of a channel's configuration, with before/after (the audit trail).

    Status: pending (waiting for a review decision) | applied | rejected | refused (by the guard rails) |
    rolled_back (an operator's rollback, itself applied)."""

    __tablename__ = "configuration_changes"
    __table_args__ = (UniqueConstraint("channel", "proposal_key", name="uq_configuration_changes_proposal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    proposal_key: Mapped[str] = mapped_column(String(256))  # idempotency: source + day + setting + value
    source: Mapped[str] = mapped_column(String(128))  # recommendations:<day> | experiment:<name> | rollback | cli
    status: Mapped[str] = mapped_column(String(16), index=True)
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # uplift, interval, samples, guard reasons
    review_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class ExperimentRow(Timestamped, Base):
    """An experiment's state: running until a winner is promoted or it ends with no difference."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("channel", "name", name="uq_experiments_channel_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | winner | no_difference
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ended_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    change_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

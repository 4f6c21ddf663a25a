"""Daily metrics and lifetime snapshots: writes are upserts on (upload, day), so rerunning a day replaces its
rows and never duplicates them; reads come back as pandas tables for the learning code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storyvid_assets.analytics.models import MetricValues, UploadRef
from storyvid_assets.catalog.queries.rows import upsert
from storyvid_assets.catalog.tables.analytics import AnalyticsRow, MetricSnapshotRow
from storyvid_assets.catalog.tables.cloud_ai import CostLedgerRow
from storyvid_assets.catalog.tables.core import EpisodeRow, PlatformUploadRow, VideoRow
from storyvid_assets.models import POSTED_STATUSES

LIVE_STATUSES = POSTED_STATUSES
METRIC_COLUMNS = ["views", "likes", "comments", "shares", "watch_time_s", "avg_view_pct", "completion_rate",
                  "revenue_usd"]
FEATURE_COLUMNS = ["genre", "theme", "narrator_voice", "narrator_rate", "music_mood", "duration_s", "posting_hour",
                   "weekday", "thumbnail_variant", "provider_tier", "target_words"]


def live_uploads(session: Session, channel: str, as_of: str) -> list[UploadRef]:
    """Every post of ``channel`` live on ``as_of`` (published that day or before), with its episode's features."""
    query = (
        select(PlatformUploadRow, EpisodeRow, VideoRow)
        .join(EpisodeRow, (EpisodeRow.channel == PlatformUploadRow.channel)
              & (EpisodeRow.date == PlatformUploadRow.date), isouter=True)
        .join(VideoRow, (VideoRow.channel == PlatformUploadRow.channel) & (VideoRow.date == PlatformUploadRow.date)
              & (VideoRow.format == PlatformUploadRow.format), isouter=True)
        .where(PlatformUploadRow.channel == channel, PlatformUploadRow.date <= as_of,
               PlatformUploadRow.status.in_(LIVE_STATUSES), PlatformUploadRow.platform_video_id.is_not(None))
        .order_by(PlatformUploadRow.id)
    )
    refs = []
    for upload, episode, video in session.execute(query):
        features = dict(episode.features) if episode else {}
        duration = float(video.duration) if video else float(features.get("duration_s") or 0.0)
        refs.append(UploadRef(
            upload_id=upload.id, channel=upload.channel, date=upload.date, format=upload.format,
            platform=upload.platform, account=upload.account, post_id=upload.platform_video_id or "",
            duration_s=duration, features={**features, "platform": upload.platform, "format": upload.format},
        ))
    return refs


def daily_row(session: Session, upload_id: int, day: str) -> AnalyticsRow | None:
    return session.scalars(select(AnalyticsRow).filter_by(upload_id=upload_id, day=day)).one_or_none()


def store_daily(
    session: Session, channel: str, upload_id: int, day: str, values: MetricValues, *, source: str, simulated: bool,
    collected_at: datetime | None = None,
) -> AnalyticsRow:
    """The day's figures of one upload, replacing what was stored for that day."""
    return upsert(session, AnalyticsRow, {"upload_id": upload_id, "day": day}, {
        "channel": channel, **values.model_dump(exclude={"extra"}), "extra": dict(values.extra), "source": source,
        "simulated": simulated, "collected_at": collected_at or datetime.now(UTC),
    })


def daily_rows(session: Session, upload_ids: list[int], day: str) -> dict[int, AnalyticsRow]:
    """The stored rows of ``upload_ids`` on ``day``, by upload."""
    query = select(AnalyticsRow).where(AnalyticsRow.upload_id.in_(upload_ids), AnalyticsRow.day == day)
    return {row.upload_id: row for row in session.scalars(query)}


def store_daily_many(session: Session, channel: str, day: str, figures: list[tuple[int, MetricValues, str, bool]]
                     ) -> None:
    """Many uploads' figures of one day in one statement (insert, or replace the stored row): what a day's
    collection writes. ``figures`` holds (upload_id, values, source, simulated)."""
    if not figures:
        return
    now = datetime.now(UTC)
    rows = [{"upload_id": upload_id, "day": day, "channel": channel, **values.model_dump(exclude={"extra"}),
             "extra": dict(values.extra), "source": source, "simulated": simulated, "collected_at": now,
             "created_at": now, "updated_at": now} for upload_id, values, source, simulated in figures]
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        for upload_id, values, source, simulated in figures:
            store_daily(session, channel, upload_id, day, values, source=source, simulated=simulated)
        return
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(AnalyticsRow.__table__)
    changing = [name for name in rows[0] if name not in ("upload_id", "day", "created_at")]
    statement = insert.on_conflict_do_update(index_elements=["upload_id", "day"],
                                             set_={name: insert.excluded[name] for name in changing})
    session.connection().execute(statement, rows)  # one compiled statement, executed for every row


def row_values(row: AnalyticsRow) -> MetricValues:
    return MetricValues(**{name: getattr(row, name) for name in METRIC_COLUMNS}, extra=dict(row.extra or {}))


def snapshot(session: Session, upload_id: int, day: str) -> MetricSnapshotRow | None:
    return session.scalars(select(MetricSnapshotRow).filter_by(upload_id=upload_id, day=day)).one_or_none()


def previous_snapshot(session: Session, upload_id: int, day: str) -> MetricSnapshotRow | None:
    """The newest lifetime reading of the upload strictly before ``day``."""
    query = (select(MetricSnapshotRow).where(MetricSnapshotRow.upload_id == upload_id, MetricSnapshotRow.day < day)
             .order_by(MetricSnapshotRow.day.desc()).limit(1))
    return session.scalars(query).first()


def next_snapshot(session: Session, upload_id: int, day: str) -> MetricSnapshotRow | None:
    query = (select(MetricSnapshotRow).where(MetricSnapshotRow.upload_id == upload_id, MetricSnapshotRow.day > day)
             .order_by(MetricSnapshotRow.day).limit(1))
    return session.scalars(query).first()


def store_snapshot(session: Session, upload_id: int, day: str, values: MetricValues, source: str) -> MetricSnapshotRow:
    return upsert(session, MetricSnapshotRow, {"upload_id": upload_id, "day": day}, {
        "values": values.model_dump(mode="json"), "source": source, "collected_at": datetime.now(UTC),
    })


def duplicate_upload_days(session: Session, channel: str) -> list[tuple[int, str, int]]:
    """(upload_id, day, rows) stored more than once: must be empty (the unique key forbids it)."""
    query = (select(AnalyticsRow.upload_id, AnalyticsRow.day, func.count())
             .where(AnalyticsRow.channel == channel)
             .group_by(AnalyticsRow.upload_id, AnalyticsRow.day).having(func.count() > 1))
    return [(int(u), str(d), int(n)) for u, d, n in session.execute(query)]


def metrics_frame(session: Session, channel: str, until: str | None = None, since: str | None = None) -> pd.DataFrame:
    """Daily figures of the channel's uploads: one row per (upload, day), with the upload's platform and format.
    Read as plain rows (no ORM objects): a channel's history is hundreds of thousands of them."""
    columns = ["upload_id", "channel", "date", "platform", "format", "day", *METRIC_COLUMNS, "source", "simulated"]
    query = (
        select(AnalyticsRow.upload_id, AnalyticsRow.channel, PlatformUploadRow.date, PlatformUploadRow.platform,
               PlatformUploadRow.format, AnalyticsRow.day, *(getattr(AnalyticsRow, name) for name in METRIC_COLUMNS),
               AnalyticsRow.source, AnalyticsRow.simulated)
        .join(PlatformUploadRow, PlatformUploadRow.id == AnalyticsRow.upload_id)
        .where(AnalyticsRow.channel == channel)
    )
    if until:
        query = query.where(AnalyticsRow.day <= until)
    if since:
        query = query.where(AnalyticsRow.day >= since)
    rows = session.execute(query.order_by(AnalyticsRow.day, AnalyticsRow.upload_id)).all()
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
    for name in ("avg_view_pct", "completion_rate", "revenue_usd"):
        frame[name] = frame[name].astype("float64")
    frame["simulated"] = frame["simulated"].astype(bool)
    return frame


def episodes_frame(session: Session, channel: str) -> pd.DataFrame:
    """One row per episode with the configuration version, experiment variants and features it was made with."""
    records: list[dict[str, Any]] = []
    for row in session.scalars(select(EpisodeRow).filter_by(channel=channel).order_by(EpisodeRow.date)):
        features = dict(row.features or {})
        records.append({
            "channel": row.channel, "date": row.date, "config_version": row.config_version,
            "simulated": bool(row.simulated), "assignments": dict(row.assignments or {}),
            **{name: features.get(name) for name in FEATURE_COLUMNS},
        })
    return pd.DataFrame.from_records(
        records, columns=["channel", "date", "config_version", "simulated", "assignments", *FEATURE_COLUMNS]
    )


def costs_frame(session: Session, channel: str) -> pd.DataFrame:
    """What the channel's episodes cost (the cost ledger): one row per provider call."""
    query = select(CostLedgerRow.channel, CostLedgerRow.date, CostLedgerRow.cost_usd).where(
        CostLedgerRow.channel == channel)
    return pd.DataFrame.from_records(list(session.execute(query)), columns=["channel", "date", "cost_usd"])


def metric_days(session: Session, channel: str, limit: int = 60) -> list[str]:
    """The days with stored figures for ``channel``, newest first (where its recommendations may have run)."""
    query = (select(AnalyticsRow.day).where(AnalyticsRow.channel == channel).group_by(AnalyticsRow.day)
             .order_by(AnalyticsRow.day.desc()).limit(limit))
    return [str(day) for day in session.scalars(query)]

"""Uploads: ``platform_uploads`` rows, their idempotency state and lease, their journal and admin alerts.

The upload state machine (``distribution/state.py``) decides what changes; these functions find, lock and
add the rows it changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import get_or_create, upsert
from storyvid_assets.catalog.tables.core import PlatformUploadRow
from storyvid_assets.catalog.tables.distribution import DistributionAlertRow, UploadEventRow, UploadStateRow
from storyvid_assets.models import PlatformPost


def upload_target(
    session: Session, channel: str, date: str, fmt: str, platform: str, account: str, content_sha256: str
) -> PlatformUploadRow:
    """The (locked) upload row of one target, created as ``pending`` the first time."""
    keys = {"channel": channel, "date": date, "format": fmt, "platform": platform, "account": account}
    defaults = {"content_sha256": content_sha256, "status": "pending", "attempts": 0, "handle": {}}
    return get_or_create(session, PlatformUploadRow, keys, defaults)[0]


def record_post(session: Session, channel: str, date: str, content_sha256: str, post: PlatformPost,
                account: str = "default") -> PlatformUploadRow:
    """A post made without the upload state machine (the local library): its row, created or overwritten."""
    return upsert(session, PlatformUploadRow, {
        "channel": channel, "date": date, "format": post.format, "platform": post.platform, "account": account,
    }, {
        "content_sha256": content_sha256, "status": post.status, "platform_video_id": post.post_id,
        "url": post.url, "attempts": post.attempts, "handle": {},
    })


def upload_by_id(session: Session, upload_id: int) -> PlatformUploadRow:
    return session.get_one(PlatformUploadRow, upload_id)


def due_deferred(session: Session, now: datetime, status: str = "deferred") -> dict[tuple[str, str], datetime]:
    """(channel, date) of every episode with an upload of ``status`` (``deferred``, or ``uncertain``: its next
    check) due by ``now``, with the latest resume time."""
    due: dict[tuple[str, str], datetime] = {}
    for row in session.scalars(select(PlatformUploadRow).filter_by(status=status)):
        until = row.deferred_until or now
        if until <= now:
            key = (row.channel, row.date)
            due[key] = max(due.get(key, until), until)
    return due


def upload_state(session: Session, content_sha256: str, platform: str, account: str) -> UploadStateRow | None:
    """The state (step and lease) of one video on one platform account."""
    keys = {"content_sha256": content_sha256, "platform": platform, "account": account}
    return session.scalars(select(UploadStateRow).filter_by(**keys)).one_or_none()


def lock_upload_state(
    session: Session, content_sha256: str, platform: str, account: str, upload_id: int
) -> UploadStateRow:
    """The state of (content, platform, account), locked for the transaction; created at step ``new`` for
    ``upload_id`` the first time."""
    keys = {"content_sha256": content_sha256, "platform": platform, "account": account}
    return get_or_create(session, UploadStateRow, keys, {"upload_id": upload_id, "step": "new"})[0]


def add_upload_event(
    session: Session, upload_id: int, run_id: str, step: str, status: str, detail: dict[str, Any]
) -> None:
    session.add(UploadEventRow(upload_id=upload_id, run_id=run_id, step=step, status=status, detail=detail))


def upload_events(session: Session, upload_id: int) -> list[UploadEventRow]:
    """The journal of one upload, in order."""
    query = select(UploadEventRow).filter_by(upload_id=upload_id).order_by(UploadEventRow.id)
    return list(session.scalars(query))


def open_alert(
    session: Session, channel: str, date: str, reason: str, *, upload_id: int | None = None,
    platform: str = "*", fmt: str = "*",
) -> DistributionAlertRow:
    """The open alert of one upload (or, without ``upload_id``, of the whole episode), opened or given the new
    ``reason``: one open alert each."""
    keys = {"upload_id": upload_id, "channel": channel, "date": date, "state": "open"}
    return upsert(session, DistributionAlertRow, keys, {"platform": platform, "format": fmt, "reason": reason})


def resolve_alerts(session: Session, upload_id: int) -> None:
    for alert in session.scalars(select(DistributionAlertRow).filter_by(upload_id=upload_id, state="open")):
        alert.state = "resolved"


def list_uploads(session: Session, *, channel: str | None = None, status: str | None = None, limit: int = 300
                 ) -> list[PlatformUploadRow]:
    """Uploads, newest episode first, of one channel or status when given."""
    query = select(PlatformUploadRow).order_by(PlatformUploadRow.date.desc(), PlatformUploadRow.channel,
                                               PlatformUploadRow.platform, PlatformUploadRow.format).limit(limit)
    if channel:
        query = query.where(PlatformUploadRow.channel == channel)
    if status:
        query = query.where(PlatformUploadRow.status == status)
    return list(session.scalars(query))


def find_upload(session: Session, upload_id: int) -> PlatformUploadRow | None:
    return session.get(PlatformUploadRow, upload_id)


def make_due(session: Session, upload_id: int, now: datetime, from_statuses: tuple[str, ...]) -> bool:
    """Make a ``from_statuses`` upload a deferral due at ``now``, in one conditional UPDATE, so the deferred
    uploads sensor launches ``uploads`` for its episode and the state machine resumes it from its saved handles.
    False (nothing changed) when the upload is no longer in one of ``from_statuses``."""
    changed = session.execute(
        update(PlatformUploadRow)
        .where(PlatformUploadRow.id == upload_id, PlatformUploadRow.status.in_(from_statuses))
        .values(status="deferred", deferred_until=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


def list_alerts(session: Session, *, state: str | None = None, limit: int = 200) -> list[DistributionAlertRow]:
    """Alerts, open ones first, then newest first; of one state when given."""
    query = select(DistributionAlertRow).order_by(
        (DistributionAlertRow.state != "open"), DistributionAlertRow.updated_at.desc(), DistributionAlertRow.id.desc()
    ).limit(limit)
    if state:
        query = query.where(DistributionAlertRow.state == state)
    return list(session.scalars(query))


def find_alert(session: Session, alert_id: int) -> DistributionAlertRow | None:
    return session.get(DistributionAlertRow, alert_id)


def resolve_alert(session: Session, alert_id: int) -> bool:
    """Resolve one open alert (a person handled it), in one conditional UPDATE; False when it was not open."""
    changed = session.execute(
        update(DistributionAlertRow)
        .where(DistributionAlertRow.id == alert_id, DistributionAlertRow.state == "open")
        .values(state="resolved", updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1

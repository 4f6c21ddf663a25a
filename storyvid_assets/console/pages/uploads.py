"""Uploads and alerts: every upload's state per platform and the distribution alerts, with "retry" (a failed or
deferred upload) and "mark handled" (an alert) for operators and admins, each audited.

A retry makes the upload a deferral due now: the deferred uploads sensor then launches ``uploads`` for its
episode and the state machine resumes it from its saved handles (``distribution/publish.py``), so a post that
exists is never made twice, and a posted upload cannot be retried at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from storyvid_assets.catalog.queries import uploads as rows
from storyvid_assets.catalog.tables.core import PlatformUploadRow
from storyvid_assets.catalog.tables.distribution import DistributionAlertRow
from storyvid_assets.console.core import Console, Refused
from storyvid_assets.console.pages.spend import channel_files, parse_channel, parse_id
from storyvid_assets.models import POSTED_STATUSES

SECTION = "/uploads"
RETRYABLE = ("failed", "deferred")
STATUSES = ("published", "processing", "scheduled", "pending", "uploading", "deferred", "uncertain", "failed",
            "skipped")
NOTICES = {"retried": "Retry scheduled: the deferred uploads sensor launches the upload again within minutes.",
           "handled": "Alert marked handled."}


class UploadView(BaseModel):
    """One upload as the page shows it: its state in plain words and what goes with it."""

    id: int
    channel: str
    date: str
    platform: str
    format: str
    account: str
    status: str
    state: str  # done | deferred | failed | in progress | uncertain | skipped
    post_id: str | None
    url: str | None
    attempts: int
    error: str | None
    resumes_at: datetime | None
    retryable: bool
    updated_at: datetime | None


class AlertView(BaseModel):
    id: int
    upload_id: int | None
    channel: str
    date: str
    platform: str
    format: str
    reason: str
    state: str
    opened_at: datetime | None
    updated_at: datetime | None


def state_of(status: str) -> str:
    if status in POSTED_STATUSES:
        return "done"
    if status in ("pending", "uploading"):
        return "in progress"
    return status  # deferred | uncertain | failed | skipped


def upload_view(row: PlatformUploadRow) -> UploadView:
    return UploadView(
        id=row.id, channel=row.channel, date=row.date, platform=row.platform, format=row.format, account=row.account,
        status=row.status, state=state_of(row.status), post_id=row.platform_video_id,
        url=row.url if row.url and row.url.startswith(("https://", "http://")) else None, attempts=row.attempts,
        error=row.error, resumes_at=row.deferred_until if row.status in ("deferred", "uncertain") else None,
        retryable=row.status in RETRYABLE, updated_at=row.updated_at,
    )


def alert_view(row: DistributionAlertRow) -> AlertView:
    return AlertView(id=row.id, upload_id=row.upload_id, channel=row.channel, date=row.date, platform=row.platform,
                     format=row.format, reason=row.reason, state=row.state, opened_at=row.created_at,
                     updated_at=row.updated_at)


def upload_snapshot(row: PlatformUploadRow) -> dict[str, Any]:
    return {"status": row.status, "error": row.error, "attempts": row.attempts,
            "deferred_until": row.deferred_until.isoformat() if row.deferred_until else None}


def register(app: FastAPI, console: Console) -> None:
    @app.get("/uploads")
    def uploads_page(request: Request, channel: str | None = None, status: str | None = None,
                     done: str | None = None) -> Response:
        who = console.user(request)
        known = sorted(channel_files())
        with console.db() as session:
            known = sorted(set(known) | {a.channel for a in rows.list_alerts(session, limit=500)})
            chosen = parse_channel(channel, known)
            if status and status not in STATUSES:
                raise Refused(400, f"status: {status[:32]!r} is not an upload status; use one of {list(STATUSES)}")
            uploads = [upload_view(r) for r in rows.list_uploads(session, channel=chosen, status=status or None)]
            alerts = [alert_view(a) for a in rows.list_alerts(session) if not chosen or a.channel == chosen]
        counts: dict[str, int] = {}
        for u in uploads:
            counts[u.state] = counts.get(u.state, 0) + 1
        return console.page(
            "uploads.html", who=who, section=SECTION, uploads=uploads, alerts=alerts, channels=known, chosen=chosen,
            shown_status=status or "", statuses=STATUSES, counts=counts, notice=NOTICES.get(done or ""),
            can_act=who.user.role in ("operator", "admin"),
        )

    @app.post("/uploads/{upload_id}/retry")
    def retry(request: Request, upload_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
        who = console.user(request, "operator")
        console.check_csrf(who, csrf_token)
        number = parse_id(upload_id, "upload")
        now = datetime.now(UTC)
        with console.db() as session:
            row = rows.find_upload(session, number)
            if row is None:
                raise Refused(404, f"there is no upload {number}; use an id from the list")
            before = upload_snapshot(row)
            if row.status not in RETRYABLE:
                why = "it is posted already" if row.status in POSTED_STATUSES else f"it is {row.status}"
                raise Refused(409, f"upload {number} cannot be retried: {why}; only failed or deferred uploads can")
            if not rows.make_due(session, number, now, RETRYABLE):
                raise Refused(409, f"upload {number} changed while you looked at it; reload the page")
            session.refresh(row)
            rows.add_upload_event(session, number, f"console:{who.user.username}", "console_retry", "deferred",
                                  {"previous_status": before["status"], "previous_error": before["error"],
                                   "due": now.isoformat()})
            console.audit(session, request, who.user.username, "upload.retry", f"upload:{number}", before,
                          upload_snapshot(row), f"{row.channel}|{row.date} {row.platform} {row.format}")
        return RedirectResponse("/uploads?done=retried", status_code=303)

    @app.post("/alerts/{alert_id}/handled")
    def handled(request: Request, alert_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
        who = console.user(request, "operator")
        console.check_csrf(who, csrf_token)
        number = parse_id(alert_id, "alert")
        with console.db() as session:
            alert = rows.find_alert(session, number)
            if alert is None:
                raise Refused(404, f"there is no alert {number}; use an id from the list")
            if alert.state != "open" or not rows.resolve_alert(session, number):
                raise Refused(409, f"alert {number} is {alert.state} already; nothing to handle")
            session.refresh(alert)
            console.audit(session, request, who.user.username, "alert.handled", f"distribution_alert:{number}",
                          {"state": "open"}, {"state": alert.state},
                          f"{alert.channel}|{alert.date} {alert.platform} {alert.format}: {alert.reason[:300]}")
        return RedirectResponse("/uploads?done=handled", status_code=303)

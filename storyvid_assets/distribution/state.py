"""The idempotent upload state machine, kept in the catalog.

One ``platform_uploads`` row per (channel, date, format, platform, account) holds the status and the server
handles (session URI, container id, publish id, ...); one ``upload_states`` row per (content sha256,
platform, account) holds the step reached and a lease, so two runs never work on the same upload at once.
Every handle is committed by :meth:`UploadJournal.save` *before* the client takes the next step, so a crash,
a rerun or a lost response resumes from the handle instead of creating a second post.

Statuses: ``pending`` → ``uploading`` → ``processing`` | ``scheduled`` | ``published``; or ``deferred``
(quota, circuit breaker; ``deferred_until`` says when), ``uncertain`` (a non-idempotent create got no answer:
the post may exist; ``deferred_until`` is the next look at the platform's list, see ``distribution/uncertain.py``),
``failed`` (retries exhausted or refused; an alert is
open), ``skipped`` (no credentials).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries import uploads as rows
from storyvid_assets.catalog.tables.core import PlatformUploadRow
from storyvid_assets.models import POSTED_STATUSES, PlatformPost

LEASE_TTL = timedelta(hours=2)  # a lease older than this is taken over even if its run looks alive


class UploadRecord(BaseModel):
    """A snapshot of one ``platform_uploads`` row."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: str
    date: str
    format: str
    platform: str
    account: str
    content_sha256: str
    status: str
    post_id: str | None
    url: str | None
    attempts: int
    handle: dict[str, Any]
    error: str | None
    deferred_until: datetime | None

    @property
    def posted(self) -> bool:
        return self.status in POSTED_STATUSES


def _snapshot(row: PlatformUploadRow) -> UploadRecord:
    return UploadRecord(
        id=row.id,
        channel=row.channel,
        date=row.date,
        format=row.format,
        platform=row.platform,
        account=row.account,
        content_sha256=row.content_sha256,
        status=row.status,
        post_id=row.platform_video_id,
        url=row.url,
        attempts=row.attempts,
        handle=dict(row.handle or {}),
        error=row.error,
        deferred_until=row.deferred_until,
    )


def open_upload(
    url: str, channel: str, date: str, fmt: str, platform: str, account: str, content_sha256: str
) -> UploadRecord:
    """The upload row of this target, created as ``pending`` the first time."""
    with session_scope(url) as session:
        return _snapshot(rows.upload_target(session, channel, date, fmt, platform, account, content_sha256))


def load_upload(url: str, upload_id: int) -> UploadRecord:
    with session_scope(url) as session:
        return _snapshot(rows.upload_by_id(session, upload_id))


def claim(
    url: str, record: UploadRecord, content_sha256: str, owner: str, now: datetime, is_alive: Callable[[str], bool]
) -> str | None:
    """Take the lease of (content, platform, account) for ``owner``; the other live owner's id when it is taken."""
    with session_scope(url) as session:
        state = rows.lock_upload_state(session, content_sha256, record.platform, record.account, record.id)
        if (
            state.lease_owner
            and state.lease_owner != owner
            and state.lease_at is not None
            and now - state.lease_at < LEASE_TTL
            and is_alive(state.lease_owner)
        ):
            return state.lease_owner
        previous = state.lease_owner
        state.lease_owner, state.lease_at, state.upload_id = owner, now, record.id
        row = rows.upload_by_id(session, record.id)
        row.attempts += 1
        detail: dict[str, Any] = {"taken_over_from": previous} if previous and previous != owner else {}
        if row.content_sha256 != content_sha256:
            # A re-render: the old handles point at other bytes. Keep only the create count, so the client
            # still looks for an earlier post by its marker before creating one.
            detail |= {"content_changed_from": row.content_sha256, "dropped_handle": dict(row.handle or {})}
            kept = {k: v for k, v in (row.handle or {}).items() if k == "create_attempts"}
            row.content_sha256, row.handle = content_sha256, kept
        rows.add_upload_event(session, record.id, owner, "claim", row.status, detail)
        return None


def release(url: str, record: UploadRecord, content_sha256: str, owner: str) -> None:
    with session_scope(url) as session:
        state = rows.upload_state(session, content_sha256, record.platform, record.account)
        if state is not None and state.lease_owner == owner:
            state.lease_owner = None


class UploadJournal:
    """The handles of one upload. ``save`` commits before returning: the next step may then run safely."""

    def __init__(
        self,
        url: str,
        record: UploadRecord,
        run_id: str,
        after_save: Callable[[str], None] | None = None,
        before_save: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.upload_id = record.id
        self.content_sha256 = record.content_sha256
        self.platform = record.platform
        self.account = record.account
        self.run_id = run_id
        self._handle = dict(record.handle)
        self.after_save = after_save  # tests simulate a crash right after a step was saved ...
        self.before_save = before_save  # ... or right before (the step's result is then lost)

    @property
    def handle(self) -> dict[str, Any]:
        return dict(self._handle)

    def get(self, key: str, default: Any = None) -> Any:
        return self._handle.get(key, default)

    def save(self, step: str, **updates: Any) -> None:
        """Merge ``updates`` into the handle (``None`` removes a key) and commit it with a journal event."""
        if self.before_save is not None:
            self.before_save(step)
        for key, value in updates.items():
            if value is None:
                self._handle.pop(key, None)
            else:
                self._handle[key] = value
        with session_scope(self.url) as session:
            row = rows.upload_by_id(session, self.upload_id)
            row.handle = dict(self._handle)
            row.status = "uploading"
            state = rows.upload_state(session, self.content_sha256, self.platform, self.account)
            if state is not None:
                state.step = step
            rows.add_upload_event(session, self.upload_id, self.run_id, step, "uploading", dict(updates))
        if self.after_save is not None:
            self.after_save(step)

    def note(self, step: str, status: str, **detail: Any) -> None:
        with session_scope(self.url) as session:
            rows.add_upload_event(session, self.upload_id, self.run_id, step, status, detail)

    def reset(self, reason: str, keep: tuple[str, ...] = ()) -> None:
        """Forget handles that the server no longer knows (kept keys survive), with the reason in the journal."""
        dropped = {k: None for k in self._handle if k not in keep}
        self.save("reset", **dropped)
        self.note("reset", "uploading", reason=reason)


def record_posted(url: str, record: UploadRecord, post: PlatformPost, run_id: str, retries: int) -> UploadRecord:
    with session_scope(url) as session:
        row = rows.upload_by_id(session, record.id)
        row.status, row.platform_video_id, row.url = post.status, post.post_id, post.url
        row.error, row.deferred_until = None, None
        rows.add_upload_event(
            session,
            record.id,
            run_id,
            "posted",
            post.status,
            {"post_id": post.post_id, "url": post.url, "retries": retries},
        )
        return _snapshot(row)


def record_status(
    url: str,
    record: UploadRecord,
    status: str,
    run_id: str,
    *,
    error: str | None = None,
    deferred_until: datetime | None = None,
    step: str = "outcome",
) -> UploadRecord:
    """Set a non-posted status (deferred, failed, skipped, pending) with its reason."""
    with session_scope(url) as session:
        row = rows.upload_by_id(session, record.id)
        row.status, row.error, row.deferred_until = status, error, deferred_until
        rows.add_upload_event(
            session,
            record.id,
            run_id,
            step,
            status,
            {"error": error, "deferred_until": deferred_until.isoformat() if deferred_until else None},
        )
        return _snapshot(row)


def open_alert(url: str, record: UploadRecord, reason: str) -> str:
    """An admin alert / review item for an upload that needs a person; one open alert per upload."""
    with session_scope(url) as session:
        alert = rows.open_alert(
            session, record.channel, record.date, reason,
            upload_id=record.id, platform=record.platform, fmt=record.format,
        )
        return f"distribution_alerts#{alert.id}"


def open_alert_for_episode(url: str, channel: str, date: str, reason: str) -> str:
    """An alert about the whole episode (e.g. the licence gate refused it), not one upload."""
    with session_scope(url) as session:
        return f"distribution_alerts#{rows.open_alert(session, channel, date, reason).id}"


def resolve_alerts(url: str, record: UploadRecord) -> None:
    with session_scope(url) as session:
        rows.resolve_alerts(session, record.id)


def events(url: str, upload_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The journal of one upload: (step, status, detail) in order."""
    with session_scope(url) as session:
        return [(r.step, r.status, dict(r.detail)) for r in rows.upload_events(session, upload_id)]

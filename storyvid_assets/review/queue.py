"""The review queue service: open items for failed checks, record decisions, hand them to the sensor.

An item moves ``open -> approved | rejected -> resolved``; the sensor resolves approved items by launching
the blocked downstream assets and rejected ones by launching a regeneration with the next attempt. After
:data:`MAX_REJECTIONS` rejections of the same check on the same partition the item becomes ``needs_human``
and only an admin may approve it. Every change writes an audit row with who, when, before and after.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries import review as rows
from storyvid_assets.catalog.tables.review import ReviewAuditRow, ReviewDecisionRow, ReviewItemRow
from storyvid_assets.errors import StoryVidError
from storyvid_assets.moderation.findings import Finding

Action = Literal["approve", "reject"]
Role = Literal["admin", "operator", "viewer"]
ROLES: tuple[str, ...] = ("admin", "operator", "viewer")
STATUSES = ("open", "approved", "rejected", "resolved", "needs_human")
BLOCKING_STATUSES = ("open", "rejected", "needs_human")
MAX_REJECTIONS = 3
MAX_NOTE_CHARS = 2000
SYSTEM_ACTOR = "system"
AUTOMATIC_ACTOR = "system:automatic-regeneration"
# what the sensor did with a decision -> the item's resolution
RESOLUTIONS = {"downstream_run": "approved", "regeneration": "regenerated", "config_applied": "approved",
               "config_rejected": "rejected", "config_conflict": "conflict"}


class ReviewError(StoryVidError):
    """A review request that cannot be carried out; nothing was changed. ``status`` is the HTTP status."""

    status = 400


class UnknownItem(ReviewError):
    status = 404


class NotAllowed(ReviewError):
    status = 403


class Conflict(ReviewError):
    status = 409


class BadNote(ReviewError):
    status = 422


def now() -> datetime:
    return datetime.now(UTC)


def snapshot(item: ReviewItemRow) -> dict[str, Any]:
    return {"status": item.status, "resolution": item.resolution, "attempt": item.attempt}


def audit(
    session: Session,
    item: ReviewItemRow | None,
    actor: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    detail: str = "",
) -> ReviewAuditRow:
    return rows.add_audit(
        session,
        item_id=item.id if item else None,
        actor=actor,
        action=action,
        at=now(),
        before=before,
        after=after,
        detail=detail,
    )


def findings_fingerprint(findings: list[dict[str, Any]]) -> str:
    keys = sorted(
        json.dumps([f.get("category"), f.get("field"), f.get("start"), f.get("term"), f.get("time_s")])
        for f in findings
        if f.get("blocking")
    )
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


@dataclass(frozen=True)
class AutoRegeneration:
    """How often a failed check may regenerate its asset by itself before a person decides, or why it may not."""

    limit: int
    cannot_fix: str | None = None  # e.g. "the story is the operator's script": regenerating gives the same


@dataclass(frozen=True)
class PriorReview:
    """What a check learns when it fails again for an attempt a reviewer has already seen."""

    item_id: int
    status: str
    approved: bool
    approved_by: str | None


def open_review_item(
    session: Session,
    *,
    channel: str,
    date: str,
    asset: str,
    check_name: str,
    attempt: int,
    findings: list[Finding],
    evidence: dict[str, Any],
    summary: str,
    run_id: str | None,
    policy_version: str | None = None,
    automatic: AutoRegeneration | None = None,
) -> tuple[ReviewItemRow, PriorReview | None]:
    """Open (or find) the item for a failed check; idempotent per partition, asset, check and attempt.

    A new item first asks for an automatic regeneration while ``automatic`` allows one (the item is then
    ``rejected`` by :data:`AUTOMATIC_ACTOR` and the sensor regenerates); otherwise it waits for a person.
    When an approved item's findings are unchanged, the approval stands and is returned, so the check may
    pass; when they changed, the item is reopened.
    """
    dumped = [f.model_dump(mode="json") for f in findings]
    item, created = rows.item_for_check(
        session,
        {"channel": channel, "date": date, "asset": asset, "check_name": check_name, "attempt": attempt},
        {"status": "open", "summary": summary, "findings": dumped, "evidence": evidence, "run_id": run_id,
         "policy_version": policy_version},
    )
    if created:
        audit(session, item, f"check:{check_name}", "opened", {}, snapshot(item), summary)
        if automatic is not None:
            regenerate_automatically(session, item, automatic)
        return item, None
    approved = item.status == "approved" or (item.status == "resolved" and item.resolution == "approved")
    if approved and findings_fingerprint(item.findings) == findings_fingerprint(dumped):
        decision = rows.latest_decision(session, item.id)
        return item, PriorReview(item.id, item.status, True, decision.decided_by if decision else None)
    if approved:
        before = snapshot(item)
        item.status, item.resolution, item.findings, item.summary, item.run_id = "open", None, dumped, summary, run_id
        item.evidence, item.policy_version = evidence, policy_version
        session.flush()
        audit(
            session,
            item,
            f"check:{check_name}",
            "reopened",
            before,
            snapshot(item),
            "findings changed after approval: " + summary,
        )
        return item, None
    if item.status == "open":
        item.findings, item.summary, item.evidence, item.run_id = dumped, summary, evidence, run_id
        item.policy_version = policy_version
        session.flush()
    return item, PriorReview(item.id, item.status, False, None)


def regenerate_automatically(session: Session, item: ReviewItemRow, automatic: AutoRegeneration) -> bool:
    """Reject a new item on the system's behalf (the sensor then regenerates), or say why a person must decide.

    Counts the check's earlier automatic regenerations on this partition; both outcomes are audited.
    """
    done = rows.automatic_regeneration_count(session, item.channel, item.date, item.asset, item.check_name)
    if automatic.cannot_fix or done >= automatic.limit:
        if automatic.limit > 0:
            reason = automatic.cannot_fix or f"{done} automatic regeneration(s) did not fix it"
            audit(session, item, AUTOMATIC_ACTOR, "handed_to_people", snapshot(item), snapshot(item),
                  f"{reason}; a person decides")
        return False
    before = snapshot(item)
    item.status = "rejected"
    note = f"automatic regeneration {done + 1} of {automatic.limit}: {item.summary}"[:MAX_NOTE_CHARS]
    rows.add_decision(
        session,
        item_id=item.id,
        action="reject",
        note=note,
        decided_by=AUTOMATIC_ACTOR,
        decided_at=now(),
        status_before=before["status"],
        status_after=item.status,
        automatic=True,
    )
    audit(session, item, AUTOMATIC_ACTOR, "automatic_regeneration", before, snapshot(item), note)
    return True


def get_item(session: Session, item_id: int, *, lock: bool = False) -> ReviewItemRow:
    if not rows.valid_id(item_id):
        raise UnknownItem(f"there is no review item {item_id}; item ids are whole numbers from 1 to {rows.MAX_ID}")
    item = rows.item_by_id(session, item_id, lock=lock)
    if item is None:
        raise UnknownItem(f"there is no review item {item_id}; `storyvid review list --status all` shows them all")
    return item


def list_items(
    session: Session, status: str | None = "open", channel: str | None = None, limit: int = 200
) -> list[ReviewItemRow]:
    if status and status != "all" and status not in STATUSES:
        raise ReviewError(f"unknown status {status!r}; use one of {', '.join(STATUSES)} or all")
    return rows.items(session, status=None if status == "all" else status, channel=channel, limit=limit)


def allowed_actions(item: ReviewItemRow, role: str) -> list[str]:
    """What ``role`` may do with ``item`` now."""
    return [action for action in ("approve", "reject") if item.status in decidable_from(action, role)]


def decidable_from(action: str, role: str) -> tuple[str, ...]:
    """The item statuses from which ``role`` may take ``action``."""
    if role == "viewer" or role not in ROLES:
        return ()
    if action == "approve":
        return ("open", "needs_human") if role == "admin" else ("open",)
    return ("open",) if action == "reject" else ()


def _check_note(note: str | None) -> str:
    text = (note or "").strip()
    if not text:
        raise BadNote('a note is required: say why (e.g. --note "profanity is a character\'s name")')
    if len(text) > MAX_NOTE_CHARS:
        raise BadNote(f"the note has {len(text)} characters; keep it under {MAX_NOTE_CHARS}")
    return text


def decide(session: Session, item_id: int, action: str, note: str | None, actor: str, role: str) -> ReviewDecisionRow:
    """Record a reviewer's decision. Raises :class:`ReviewError` (and changes nothing) when it is not allowed.

    The status moves by one conditional update (``... WHERE id = ? AND status IN (allowed)``), so of two
    decisions on one item at the same moment exactly one succeeds and the other gets :class:`Conflict`, on
    every database (SQLite ignores ``SELECT ... FOR UPDATE``).
    """
    if action not in ("approve", "reject"):
        raise ReviewError(f"unknown action {action!r}; use approve or reject")
    if role not in ROLES:
        raise NotAllowed(f"unknown role {role!r}")
    if role == "viewer":
        raise NotAllowed(f"{actor} is a viewer; viewers can look but not decide (ask an admin for the operator role)")
    text = _check_note(note)
    item = get_item(session, item_id)
    allowed = decidable_from(action, role)
    if item.status not in allowed:
        raise _refusal(session, item, action, role)
    status_after = "approved" if action == "approve" else "rejected"
    status_before = rows.move_item_status(session, item.id, allowed, status_after, now())
    session.refresh(item)
    if status_before is None:  # someone else decided between our read and our update
        raise _refusal(session, item, action, role)
    before = {**snapshot(item), "status": status_before}
    decision = rows.add_decision(
        session,
        item_id=item.id,
        action=action,
        note=text,
        decided_by=actor,
        decided_at=now(),
        status_before=status_before,
        status_after=item.status,
    )
    audit(session, item, actor, action, before, snapshot(item), text)
    return decision


def _refusal(session: Session, item: ReviewItemRow, action: str, role: str) -> ReviewError:
    if item.status == "needs_human":
        if action == "reject":
            return Conflict(
                f"item {item.id} is escalated after {MAX_REJECTIONS} rejections; fix the source (e.g. a "
                "script in stories/) and have an admin approve it"
            )
        return NotAllowed(f"item {item.id} is escalated; only an admin may approve it (you are {role})")
    last = rows.latest_decision(session, item.id)
    by = f" by {last.decided_by} at {last.decided_at:%Y-%m-%d %H:%M} UTC" if last else ""
    return Conflict(f"item {item.id} is already {item.status}{by}; it cannot be decided again")


# ----------------------------------------------------------------------------- for the sensor


def record_dispatch(
    session: Session,
    decision: ReviewDecisionRow,
    outcome: str,
    run_key: str | None,
    new_attempt: int | None,
    actor: str,
    detail: str = "",
) -> ReviewItemRow:
    """The sensor acted on a decision: resolve the item (or escalate it). Idempotent per decision."""
    item = get_item(session, decision.item_id, lock=True)
    if decision.dispatched_at is not None:
        return item
    before = snapshot(item)
    if outcome == "escalated":
        item.status = "needs_human"
    else:
        item.status, item.resolution = "resolved", RESOLUTIONS.get(outcome, "regenerated")
    decision.outcome, decision.run_key, decision.new_attempt, decision.dispatched_at = (
        outcome,
        run_key,
        new_attempt,
        now(),
    )
    session.flush()
    audit(session, item, actor, outcome, before, snapshot(item), detail)
    return item


def unresolved_items(session: Session, channel: str, date: str) -> list[ReviewItemRow]:
    """Items that keep the partition's downstream assets from running (configuration changes never do)."""
    return [item for item in rows.partition_items(session, channel, date, BLOCKING_STATUSES)
            if not is_configuration_item(item)]


# ----------------------------------------------------------------------------- configuration changes

CONFIG_REVIEW_ASSET = "configuration"  # review items that ask "apply this configuration change?"


def is_configuration_item(item: ReviewItemRow) -> bool:
    """A configuration-change item: it never holds an episode back (see :func:`unresolved_items`)."""
    return item.asset == CONFIG_REVIEW_ASSET

"""The review queue's rows: items, decisions, the audit trail, reviewers and their login sessions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import get_or_create, upsert
from storyvid_assets.catalog.tables.review import (
    ModerationJudgementRow,
    ReviewAuditRow,
    ReviewDecisionRow,
    ReviewItemRow,
    ReviewSessionRow,
    ReviewUserRow,
)

# ----------------------------------------------------------------------------- items


def item_for_check(
    session: Session, keys: dict[str, Any], defaults: dict[str, Any]
) -> tuple[ReviewItemRow, bool]:
    """The (locked) item of one check on one attempt — ``keys``: channel, date, asset, check_name, attempt —
    created from ``defaults`` when missing; and whether it is new."""
    return get_or_create(session, ReviewItemRow, keys, defaults)


MAX_ID = 2**63 - 1  # the largest id a catalog database can hold (PostgreSQL BIGINT, SQLite INTEGER)


def valid_id(row_id: int) -> bool:
    """Whether ``row_id`` can be a catalog id at all (a larger one overflows the database driver)."""
    return 1 <= row_id <= MAX_ID


def move_item_status(session: Session, item_id: int, from_statuses: Iterable[str], to_status: str,
                     moment: datetime) -> str | None:
    """Move an item to ``to_status`` only if it is in one of ``from_statuses`` now (one conditional UPDATE per
    status, checked by its row count, so concurrent callers cannot both succeed); returns the status it left,
    or None when it was in none of them."""
    for status in from_statuses:
        query = (update(ReviewItemRow).where(ReviewItemRow.id == item_id, ReviewItemRow.status == status)
                 .values(status=to_status, updated_at=moment).execution_options(synchronize_session=False))
        if session.execute(query).rowcount == 1:  # type: ignore[attr-defined]
            return status
    return None


def item_by_id(session: Session, item_id: int, *, lock: bool = False) -> ReviewItemRow | None:
    query = select(ReviewItemRow).filter_by(id=item_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def items(session: Session, *, status: str | None = None, channel: str | None = None, limit: int = 200
          ) -> list[ReviewItemRow]:
    """Items, newest first (of one status, of one channel, when given)."""
    query = select(ReviewItemRow).order_by(ReviewItemRow.id.desc()).limit(limit)
    if status:
        query = query.filter_by(status=status)
    if channel:
        query = query.filter_by(channel=channel)
    return list(session.scalars(query))


def partition_items(session: Session, channel: str, date: str, statuses: Iterable[str]) -> list[ReviewItemRow]:
    """The partition's items in one of ``statuses``, oldest first."""
    query = select(ReviewItemRow).where(
        ReviewItemRow.channel == channel, ReviewItemRow.date == date, ReviewItemRow.status.in_(list(statuses))
    )
    return list(session.scalars(query.order_by(ReviewItemRow.id)))


# ----------------------------------------------------------------------------- decisions and audit


def add_decision(session: Session, **fields: Any) -> ReviewDecisionRow:
    row = ReviewDecisionRow(**fields)
    session.add(row)
    session.flush()
    return row


def decisions_for(session: Session, item_id: int) -> list[ReviewDecisionRow]:
    return list(session.scalars(select(ReviewDecisionRow).filter_by(item_id=item_id).order_by(ReviewDecisionRow.id)))


def latest_decision(session: Session, item_id: int) -> ReviewDecisionRow | None:
    query = select(ReviewDecisionRow).filter_by(item_id=item_id).order_by(ReviewDecisionRow.id.desc()).limit(1)
    return session.scalars(query).first()


def pending_decisions(session: Session, after_id: int, limit: int = 50) -> list[ReviewDecisionRow]:
    """Decisions after ``after_id`` (the sensor's cursor), oldest first."""
    query = select(ReviewDecisionRow).where(ReviewDecisionRow.id > after_id).order_by(ReviewDecisionRow.id)
    return list(session.scalars(query.limit(limit)))


def rejection_count(session: Session, item: ReviewItemRow, up_to_decision: int | None = None) -> int:
    """People's rejections of this check on this partition across all attempts (up to a decision id, if given)."""
    query = (
        select(func.count())
        .select_from(ReviewDecisionRow)
        .join(ReviewItemRow)
        .where(
            ReviewItemRow.channel == item.channel,
            ReviewItemRow.date == item.date,
            ReviewItemRow.asset == item.asset,
            ReviewItemRow.check_name == item.check_name,
            ReviewDecisionRow.action == "reject",
            ReviewDecisionRow.automatic.is_(False),
        )
    )
    if up_to_decision is not None:
        query = query.where(ReviewDecisionRow.id <= up_to_decision)
    return session.scalar(query) or 0


def automatic_regeneration_count(session: Session, channel: str, date: str, asset: str, check_name: str) -> int:
    """How many times this check on this partition already regenerated its asset by itself."""
    query = (
        select(func.count())
        .select_from(ReviewDecisionRow)
        .join(ReviewItemRow)
        .where(
            ReviewItemRow.channel == channel,
            ReviewItemRow.date == date,
            ReviewItemRow.asset == asset,
            ReviewItemRow.check_name == check_name,
            ReviewDecisionRow.automatic.is_(True),
        )
    )
    return session.scalar(query) or 0


def add_audit(session: Session, **fields: Any) -> ReviewAuditRow:
    row = ReviewAuditRow(**fields)
    session.add(row)
    session.flush()
    return row


def audit_for(session: Session, item_id: int) -> list[ReviewAuditRow]:
    return list(session.scalars(select(ReviewAuditRow).filter_by(item_id=item_id).order_by(ReviewAuditRow.id)))


def partition_history(session: Session, channel: str, date: str) -> list[tuple[ReviewItemRow, list[ReviewAuditRow]]]:
    """Every item of one episode (all checks, all attempts, oldest first) with its audit trail."""
    query = select(ReviewItemRow).filter_by(channel=channel, date=date).order_by(ReviewItemRow.id)
    return [(item, audit_for(session, item.id)) for item in session.scalars(query)]


# ----------------------------------------------------------------------------- policy versions


def record_judgement(session: Session, keys: dict[str, Any], values: dict[str, Any]) -> ModerationJudgementRow:
    """Upsert the verdict of one check on one attempt (``keys``: channel, date, check_name, attempt)."""
    return upsert(session, ModerationJudgementRow, keys, values)


def latest_judgements(session: Session, channel: str | None = None) -> list[ModerationJudgementRow]:
    """Per episode and check, the judgement of its newest attempt (the one that counts), oldest episode first."""
    newest = (
        select(
            ModerationJudgementRow.channel,
            ModerationJudgementRow.date,
            ModerationJudgementRow.check_name,
            func.max(ModerationJudgementRow.attempt).label("attempt"),
        )
        .group_by(ModerationJudgementRow.channel, ModerationJudgementRow.date, ModerationJudgementRow.check_name)
        .subquery()
    )
    query = select(ModerationJudgementRow).join(
        newest,
        (ModerationJudgementRow.channel == newest.c.channel)
        & (ModerationJudgementRow.date == newest.c.date)
        & (ModerationJudgementRow.check_name == newest.c.check_name)
        & (ModerationJudgementRow.attempt == newest.c.attempt),
    )
    if channel:
        query = query.where(ModerationJudgementRow.channel == channel)
    order = (ModerationJudgementRow.channel, ModerationJudgementRow.date, ModerationJudgementRow.check_name)
    return list(session.scalars(query.order_by(*order)))


# ----------------------------------------------------------------------------- reviewers and logins


def add_reviewer(session: Session, username: str, password_hash: str, role: str,
                 must_change_password: bool = False) -> ReviewUserRow:
    row = ReviewUserRow(username=username, password_hash=password_hash, role=role, active=True,
                        must_change_password=must_change_password)
    session.add(row)
    session.flush()
    return row


def reviewer_by_name(session: Session, username: str, *, active_only: bool = False) -> ReviewUserRow | None:
    query = select(ReviewUserRow).filter_by(username=username)
    return session.scalars(query.filter_by(active=True) if active_only else query).one_or_none()


def reviewer_by_id(session: Session, user_id: int) -> ReviewUserRow | None:
    return session.get(ReviewUserRow, user_id)


def reviewers(session: Session) -> list[ReviewUserRow]:
    return list(session.scalars(select(ReviewUserRow).order_by(ReviewUserRow.id)))


def active_admin_count(session: Session) -> int:
    query = select(func.count()).select_from(ReviewUserRow).filter_by(role="admin", active=True)
    return session.scalar(query) or 0


def add_login(
    session: Session, token_sha256: str, user_id: int, csrf_token: str, created_at: datetime, expires_at: datetime
) -> ReviewSessionRow:
    row = ReviewSessionRow(
        token_sha256=token_sha256, user_id=user_id, csrf_token=csrf_token, created_at=created_at, expires_at=expires_at
    )
    session.add(row)
    session.flush()
    return row


def login_by_token(session: Session, token_sha256: str) -> ReviewSessionRow | None:
    return session.scalars(select(ReviewSessionRow).filter_by(token_sha256=token_sha256)).one_or_none()


def delete_logins_expired_before(session: Session, moment: datetime) -> None:
    session.execute(delete(ReviewSessionRow).where(ReviewSessionRow.expires_at < moment))


def delete_login(session: Session, token_sha256: str) -> None:
    session.execute(delete(ReviewSessionRow).where(ReviewSessionRow.token_sha256 == token_sha256))


def delete_logins_of(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End a user's sessions (but the one whose token hash is ``keep``); returns how many ended."""
    query = delete(ReviewSessionRow).where(ReviewSessionRow.user_id == user_id)
    if keep is not None:
        query = query.where(ReviewSessionRow.token_sha256 != keep)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def login_count(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(ReviewSessionRow).where(ReviewSessionRow.user_id == user_id)
    return session.scalar(query) or 0


def login_counts(session: Session, after: datetime) -> dict[int, int]:
    """Unexpired sessions per user id."""
    query = (select(ReviewSessionRow.user_id, func.count()).where(ReviewSessionRow.expires_at >= after)
             .group_by(ReviewSessionRow.user_id))
    return {user_id: count for user_id, count in session.execute(query)}

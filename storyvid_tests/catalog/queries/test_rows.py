"""The one get-or-create and upsert: keyed by the natural key, never duplicating a row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.rows import get_or_create, upsert
from storyvid_assets.catalog.tables.core import EpisodeRow
from storyvid_assets.catalog.tables.distribution import DistributionAlertRow

KEYS = {"channel": "bedtime", "date": "2026-11-01"}


def count(url: str, model: type) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_get_or_create_creates_once_and_keeps_the_first_values(url: str) -> None:
    with session_scope(url) as session:
        row, created = get_or_create(session, EpisodeRow, KEYS, {"attempt": 1, "status": "in_progress"})
        assert created and row.id is not None  # flushed: the id is there for the caller
    with session_scope(url) as session:
        again, created = get_or_create(session, EpisodeRow, KEYS, {"attempt": 5, "status": "published"})
        assert not created and (again.attempt, again.status) == (1, "in_progress")
    assert count(url, EpisodeRow) == 1


def test_upsert_overwrites_the_values(url: str) -> None:
    for attempt in (1, 2, 3):
        with session_scope(url) as session:
            upsert(session, EpisodeRow, KEYS, {"attempt": attempt, "status": "published"})
    with session_scope(url) as session:
        row = session.scalars(select(EpisodeRow)).one()
        assert row.attempt == 3
    assert count(url, EpisodeRow) == 1


def test_null_keys_match_null_columns(url: str) -> None:
    """The episode alert is keyed by ``upload_id IS NULL``: it is found again, not opened twice."""
    keys = {"upload_id": None, "channel": "bedtime", "date": "2026-11-01", "state": "open"}
    for reason in ("first", "second"):
        with session_scope(url) as session:
            upsert(session, DistributionAlertRow, keys, {"platform": "*", "format": "*", "reason": reason})
    assert count(url, DistributionAlertRow) == 1


def test_unique_constraint_refuses_a_second_insert(url: str) -> None:
    """Two writers that both found no row cannot both insert it: the loser's transaction fails."""
    with session_scope(url) as session:
        get_or_create(session, EpisodeRow, KEYS, {"attempt": 1, "status": "in_progress"})
    with pytest.raises(IntegrityError), session_scope(url) as session:
        session.add(EpisodeRow(**KEYS, attempt=1, status="in_progress"))
        session.flush()
    assert count(url, EpisodeRow) == 1

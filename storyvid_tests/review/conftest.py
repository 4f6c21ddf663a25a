"""Review fixtures: a migrated catalog with reviewers and a failed-check item."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.moderation.findings import Finding
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review import auth
from storyvid_assets.review.queue import open_review_item

PASSWORDS = {"ada": "admin-password-1", "otto": "operator-password-1", "vera": "viewer-password-1"}
ROLES = {"ada": "admin", "otto": "operator", "vera": "viewer"}


def profanity_finding(start: int = 18) -> Finding:
    return Finding(
        category="profanity",
        level="severe",
        blocking=True,
        what='profanity "fuck"',
        where=f"scene 2 narration, characters {start}-{start + 4}",
        why="blocked by the standard preset",
        field="scenes[1].narration",
        scene_index=1,
        start=start,
        end=start + 4,
        matched="fuck",
        term="fuck",
    )


def open_item(
    url: str,
    asset: str = "story",
    check: str = "story_text_policy",
    attempt: int = 1,
    channel: str = "midnight",
    date: str = "2026-03-01",
) -> int:
    with session_scope(url) as session:
        item, _ = open_review_item(
            session,
            channel=channel,
            date=date,
            asset=asset,
            check_name=check,
            attempt=attempt,
            findings=[profanity_finding()],
            evidence={"media": []},
            summary="1 blocking finding(s) in profanity",
            run_id="run-1",
        )
        return item.id


@pytest.fixture
def catalog_url(sqlite_catalog_url: str) -> str:
    migrate(sqlite_catalog_url)
    with session_scope(sqlite_catalog_url) as session:
        for name, password in PASSWORDS.items():
            auth.create_user(session, name, password, ROLES[name], "test")
    return sqlite_catalog_url


@pytest.fixture
def media_store(tmp_path: Path) -> LocalMediaStore:
    return LocalMediaStore(root=str(tmp_path / "media"))

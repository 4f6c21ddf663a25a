"""Configuration versions and episode pins under concurrency, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries import configurations as config_db

CHANNEL = "bedtime"


def race(url: str, actions: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each action in its own thread and transaction, all starting together; results or exceptions."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[Any], Any]) -> None:
        try:
            with session_scope(url) as session:
                config_db.active_configuration(session, CHANNEL)  # both read before either writes
                barrier.wait()
                results[index] = action(session)
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def new_version(based_on: int | None, mood: str) -> Callable[[Any], Any]:
    def action(session: Any) -> int:
        return config_db.activate_new_version(session, CHANNEL, based_on, {"music_mood": mood}, name=mood,
                                              created_by="test", reason="race").version
    return action


def assert_one_winner(url: str, results: list[Any], expected_version: int) -> None:
    wins = [r for r in results if isinstance(r, int)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert wins == [expected_version], results
    assert len(losses) == 1 and isinstance(losses[0], config_db.ConfigurationConflict | OperationalError), losses
    with session_scope(url) as session:
        rows = config_db.configurations(session, CHANNEL)
        assert [r.version for r in rows if r.is_active] == [expected_version]
        assert [r.version for r in rows] == list(range(1, expected_version + 1))


def exercise_version_race(url: str) -> None:
    migrate(url)
    assert_one_winner(url, race(url, [new_version(None, "calm"), new_version(None, "playful")]), 1)
    assert_one_winner(url, race(url, [new_version(1, "dreamy"), new_version(1, "epic")]), 2)


def test_two_changes_based_on_one_version_sqlite(sqlite_catalog_url: str) -> None:
    exercise_version_race(sqlite_catalog_url)


@pytest.mark.postgres
def test_two_changes_based_on_one_version_postgres(postgres_url: str) -> None:
    exercise_version_race(postgres_url)


def test_stale_base_version_is_refused(sqlite_catalog_url: str) -> None:
    migrate(sqlite_catalog_url)
    with session_scope(sqlite_catalog_url) as session:
        config_db.activate_new_version(session, CHANNEL, None, {"music_mood": "calm"}, name="v1", created_by="t",
                                       reason="")
    with pytest.raises(config_db.ConfigurationConflict, match="active configuration is version 1"), \
            session_scope(sqlite_catalog_url) as session:
        config_db.activate_new_version(session, CHANNEL, None, {"music_mood": "epic"}, name="v?", created_by="t",
                                       reason="")


def exercise_pin_race(url: str) -> None:
    migrate(url)

    def pin(mood: str) -> Callable[[Any], Any]:
        return lambda session: dict(config_db.pin_episode(session, CHANNEL, "2026-12-01", {
            "config_version": 0, "settings": {"music_mood": mood}}).settings)

    first, second = race(url, [pin("calm"), pin("epic")])
    assert isinstance(first, dict) and first == second, (first, second)
    with session_scope(url) as session:
        row = config_db.episode_row(session, CHANNEL, "2026-12-01")
        assert row is not None and row.settings == first


def test_two_steps_pin_one_episode_sqlite(sqlite_catalog_url: str) -> None:
    exercise_pin_race(sqlite_catalog_url)


@pytest.mark.postgres
def test_two_steps_pin_one_episode_postgres(postgres_url: str) -> None:
    exercise_pin_race(postgres_url)


def test_a_pending_change_is_decided_once(sqlite_catalog_url: str) -> None:
    migrate(sqlite_catalog_url)
    with session_scope(sqlite_catalog_url) as session:
        change, created = config_db.add_change(session, CHANNEL, "k", {"source": "t", "status": "pending",
                                                                         "before": {}, "after": {}, "evidence": {}})
        again, created_again = config_db.add_change(session, CHANNEL, "k", {"source": "t", "status": "pending",
                                                                            "before": {}, "after": {}, "evidence": {}})
        assert created and not created_again and again.id == change.id
    results = race(sqlite_catalog_url, [lambda s: config_db.decide_change(s, change.id, "applied"),
                                        lambda s: config_db.decide_change(s, change.id, "rejected")])
    decided = [r for r in results if r is True]
    assert len(decided) == 1, results

"""The catalog's migration history: one line with one head, upgradable from the old three heads, reversible."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from storyvid_assets.catalog.db import alembic_config, current_revisions, get_engine, head_revision, migrate
from storyvid_assets.catalog.tables.core import Base, EpisodeRow

OLD_HEADS = {"0002_review", "0003_distribution", "0004_cloud_ai"}
HEAD = "0010_channel_controls"


def alembic(url: str, action: Callable[..., None], revision: str) -> None:
    """Run an alembic command on ``url`` through one connection, as ``migrate`` does."""
    config = alembic_config(url)
    with get_engine(url).begin() as conn:
        config.attributes["connection"] = conn
        action(config, revision)


def version_rows(url: str) -> list[str]:
    with get_engine(url).connect() as conn:
        return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_matches_tables(url: str) -> bool:
    with get_engine(url).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_history_has_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == [HEAD]
    assert head_revision() == HEAD
    assert set(script.get_revision("0005_merge_heads").down_revision) == OLD_HEADS


def test_fresh_catalog_has_one_version_row(sqlite_catalog_url: str) -> None:
    migrate(sqlite_catalog_url)
    assert version_rows(sqlite_catalog_url) == [HEAD]
    assert schema_matches_tables(sqlite_catalog_url)


def test_catalog_at_the_three_old_heads_upgrades_to_the_one_head(sqlite_catalog_url: str) -> None:
    url = sqlite_catalog_url
    for old_head in sorted(OLD_HEADS):
        alembic(url, command.upgrade, old_head)
    assert version_rows(url) == sorted(OLD_HEADS)
    with get_engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO episodes (channel, date, attempt, status, created_at, updated_at) "
                "VALUES ('bedtime', '2026-11-01', 2, 'published', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    migrate(url)
    assert version_rows(url) == [HEAD]
    assert current_revisions(get_engine(url)) == {head_revision()}
    assert schema_matches_tables(url)
    with get_engine(url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(EpisodeRow)).scalar() == 1


def round_trip(url: str) -> None:
    migrate(url)
    tables = set(Base.metadata.tables)
    assert tables <= set(inspect(get_engine(url)).get_table_names())
    alembic(url, command.downgrade, "base")
    assert version_rows(url) == []
    assert not tables & set(inspect(get_engine(url)).get_table_names())
    alembic(url, command.upgrade, "head")
    assert version_rows(url) == [HEAD]
    assert schema_matches_tables(url)
    alembic(url, command.downgrade, "0001_initial")  # each branch's downgrade on its own
    assert version_rows(url) == ["0001_initial"]
    assert set(inspect(get_engine(url)).get_table_names()) - {"alembic_version"} == {
        "episodes", "stories", "media_assets", "videos", "platform_uploads", "analytics_data", "model_configurations",
    }
    migrate(url)
    assert version_rows(url) == [HEAD]
    assert schema_matches_tables(url)


def test_upgrade_downgrade_upgrade_on_sqlite(sqlite_catalog_url: str) -> None:
    round_trip(sqlite_catalog_url)


@pytest.mark.postgres
def test_upgrade_downgrade_upgrade_on_postgres(postgres_url: str) -> None:
    round_trip(postgres_url)


def test_analytics_upgrade_keeps_metrics_and_episodes(sqlite_catalog_url: str) -> None:
    url = sqlite_catalog_url
    alembic(url, command.upgrade, "0005_merge_heads")
    with get_engine(url).begin() as conn:
        conn.execute(text(
            "INSERT INTO episodes (channel, date, attempt, status, created_at, updated_at) "
            "VALUES ('bedtime', '2026-11-01', 1, 'published', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO platform_uploads (channel, date, format, platform, account, content_sha256, status, attempts, "
            "handle, created_at, updated_at) VALUES ('bedtime', '2026-11-01', '9:16', 'local', 'default', 'x', "
            "'published', 1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO analytics_data (upload_id, day, views, likes, comments, shares, watch_time_s, extra, "
            "created_at, updated_at) VALUES (1, '2026-11-02', 10, 1, 0, 0, 30.0, '{}', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"))
    migrate(url)
    assert version_rows(url) == [HEAD]
    assert schema_matches_tables(url)
    with get_engine(url).connect() as conn:
        views, source, simulated = conn.execute(text("SELECT views, source, simulated FROM analytics_data")).one()
        assert (views, source, bool(simulated)) == (10, "api", False)
        assert conn.execute(text("SELECT config_version FROM episodes")).scalar() is None

"""``daily_metrics``, ``recommendations`` and ``experiments`` through ``dagster.materialize`` on a simulated
history: rich metadata, checks, reruns that replace rather than duplicate, and a clear refusal of future days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import func, select

from storyvid_assets.analytics.audience import load_audience_model
from storyvid_assets.analytics.simulation import simulate_history
from storyvid_assets.assets import analytics
from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.tables.analytics import AnalyticsRow
from storyvid_assets.channels import get_channel, reset_channels
from storyvid_assets.episode import partition_key
from storyvid_assets.resources.metrics import SimulatedAudience
from storyvid_assets.resources.platforms import platform_resources
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.settings import reset_settings

CHANNEL_YAML = """
name: bedtime
display_name: Moonlit Bedtime Stories
audience: kids
genres: [bedtime]
theme_pool: [a shy owl learning to sing]
music: {mood: dreamy}
formats: ["9:16"]
platforms: [local]
optimization:
  explore: 0.5
  min_sample: 20
  tunables: [music_mood]
  choices: {music_mood: [dreamy, calm]}
experiments:
  - {name: thumbs, setting: thumbnail_variant, variants: [a, b], start: "%s", min_sample: 10, max_days: 90}
"""
DAYS = 40


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    channels = tmp_path / "channels"
    channels.mkdir()
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = end - timedelta(days=DAYS - 1)
    (channels / "bedtime.yaml").write_text(CHANNEL_YAML % start.isoformat())
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(channels))
    monkeypatch.setenv("STORYVID_HOME", str(tmp_path / "home"))
    reset_settings()
    reset_channels()
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    migrate(url)
    simulate_history(url, get_channel("bedtime"), start.isoformat(), DAYS, model=load_audience_model(), seed=3)
    store = LocalMediaStore(root=str(tmp_path / "media"))
    resources = {
        "catalog": CatalogResource(url=url), "media_store": store, "manifest_io_manager": ManifestIOManager(
            media_store=store), "metrics_provider": SimulatedAudience(seed=3), **platform_resources(),
    }
    yield {"url": url, "resources": resources, "end": end.isoformat(), "store": store}
    reset_channels()
    reset_settings()


def materialize(history: dict[str, Any], day: str, *names: str, raise_on_error: bool = True
                ) -> dg.ExecuteInProcessResult:
    defs = dg.load_assets_from_modules([analytics])
    checks = dg.load_asset_checks_from_modules([analytics])
    selection = dg.AssetSelection.assets(*names) | dg.AssetSelection.checks_for_assets(*names)
    return dg.materialize([*defs, *checks], selection=selection, partition_key=str(partition_key("bedtime", day)),
                          resources=history["resources"], raise_on_error=raise_on_error)


def day_rows(url: str, day: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(AnalyticsRow).where(AnalyticsRow.day == day))


def test_daily_metrics_stores_the_day_labelled_simulated_and_reruns_replace(history: dict[str, Any]) -> None:
    day = history["end"]
    before = day_rows(history["url"], day)
    result = materialize(history, day, "daily_metrics")
    [event] = result.asset_materializations_for_node("daily_metrics")
    meta = event.metadata
    assert meta["simulated"].value is True and "SIMULATED" in meta["label"].value
    assert meta["uploads"].value == DAYS and meta["dagster/row_count"].value == DAYS
    assert "| upload_id |" in meta["table"].value
    assert all(c.passed for c in result.get_asset_check_evaluations()), result.get_asset_check_evaluations()
    assert day_rows(history["url"], day) == before == DAYS
    materialize(history, day, "daily_metrics")
    assert day_rows(history["url"], day) == DAYS, "a rerun replaces the day's rows"


def test_recommendations_and_experiments_report_scores_plot_and_status(history: dict[str, Any]) -> None:
    day = history["end"]
    result = materialize(history, day, "recommendations", "experiments")
    [rec] = result.asset_materializations_for_node("recommendations")
    meta = rec.metadata
    assert meta["simulated"].value is True
    assert meta["samples"].value >= 20
    assert "cv_r2_ridge" in meta and "baseline_mae" in meta
    assert Path(meta["plot"].value).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "|" in meta["recommendations"].value
    assert all(c.passed for c in result.get_asset_check_evaluations())
    [exp] = result.asset_materializations_for_node("experiments")
    assert "thumbs" in exp.metadata["experiments"].value


def test_a_future_day_is_not_a_partition(history: dict[str, Any]) -> None:
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    with pytest.raises(dg.DagsterUnknownPartitionError):
        materialize(history, tomorrow, "daily_metrics")


def test_the_metrics_check_fails_when_counts_are_negative() -> None:
    bad = analytics.negative_counts([{"upload_id": 1, "views": -3, "likes": 0, "comments": 0, "shares": 0,
                                      "watch_time_s": 1.0, "revenue_usd": None}])
    assert bad == ["upload 1 views=-3"]
    assert analytics.coverage_verdict(10, 2, "2026-11-01", "2026-11-20")[0] is False
    assert analytics.coverage_verdict(10, 2, "2026-11-19", "2026-11-20")[0] is True, "inside the lag"

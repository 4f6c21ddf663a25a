from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from storyvid_assets.assets.schedules import channel_schedule, learning_schedule, metrics_schedule
from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries.configurations import activate_new_version
from storyvid_assets.channels import load_channels
from storyvid_assets.definitions import build_analytics_jobs, build_episode_job
from storyvid_assets.resources.storage.catalog import CatalogResource


def test_schedule_runs_at_the_channel_hour_for_that_local_day(sqlite_catalog_url: str) -> None:
    midnight = load_channels()["midnight"]
    schedule = channel_schedule(midnight, build_episode_job())
    assert schedule.cron_schedule == "0 * * * *"  # hourly: the posting hour is read from the active configuration
    assert schedule.execution_timezone == "America/New_York"
    catalog = CatalogResource(url=sqlite_catalog_url)
    # 21:00 in New York on the 25th is already the 26th in UTC: the episode is the 25th's.
    tick = datetime(2026, 11, 25, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    request = schedule(dg.build_schedule_context(scheduled_execution_time=tick, resources={"catalog": catalog}))
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "midnight|2026-11-25"
    assert request.run_key == "midnight|2026-11-25"
    other_hour = datetime(2026, 11, 25, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    skipped = schedule(dg.build_schedule_context(scheduled_execution_time=other_hour, resources={"catalog": catalog}))
    assert isinstance(skipped, dg.SkipReason)


def test_schedule_follows_a_changed_posting_hour(sqlite_catalog_url: str) -> None:
    midnight = load_channels()["midnight"]
    migrate(sqlite_catalog_url)
    with session_scope(sqlite_catalog_url) as session:
        activate_new_version(session, "midnight", None, {"posting_hour": 19}, name="hour", created_by="t", reason="")
    schedule = channel_schedule(midnight, build_episode_job())
    catalog = CatalogResource(url=sqlite_catalog_url)

    def at(hour: int) -> object:
        tick = datetime(2026, 11, 25, hour, 0, tzinfo=ZoneInfo("America/New_York"))
        return schedule(dg.build_schedule_context(scheduled_execution_time=tick, resources={"catalog": catalog}))

    assert isinstance(at(21), dg.SkipReason)
    assert isinstance(at(19), dg.RunRequest)


def test_metrics_schedule_collects_yesterday_and_the_trailing_days() -> None:
    channels = list(load_channels().values())
    metrics_job, learning_job = build_analytics_jobs()
    tick = datetime(2026, 12, 3, 3, 0, tzinfo=ZoneInfo("UTC"))
    requests = metrics_schedule(channels, metrics_job)(dg.build_schedule_context(scheduled_execution_time=tick))
    keys = sorted(str(r.partition_key) for r in requests)
    assert len(keys) == 3 * len(channels)
    assert {str(r.partition_key).split("|")[1] for r in requests} == {"2026-12-02", "2026-12-01", "2026-11-30"}
    assert len({r.run_key for r in requests}) == len(requests), "one run per channel-day"
    later = metrics_schedule(channels, metrics_job)(dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 12, 4, 3, 0, tzinfo=ZoneInfo("UTC"))))
    assert {r.run_key for r in requests}.isdisjoint({r.run_key for r in later}), "a revised day is collected again"
    learn = learning_schedule(channels, learning_job)(dg.build_schedule_context(scheduled_execution_time=tick))
    assert {str(r.partition_key).split("|")[1] for r in learn} == {"2026-12-02"}


def test_every_channel_has_its_own_named_schedule() -> None:
    channels = load_channels()
    names = {channel_schedule(c, build_episode_job()).name for c in channels.values()}
    assert names == {f"{name}_daily_schedule" for name in channels}

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from storyvid_assets.assets.schedules import channel_schedule
from storyvid_assets.channels import load_channels
from storyvid_assets.definitions import build_episode_job


def test_schedule_runs_at_the_channel_hour_for_that_local_day() -> None:
    midnight = load_channels()["midnight"]
    schedule = channel_schedule(midnight, build_episode_job())
    assert schedule.cron_schedule == "0 21 * * *"
    assert schedule.execution_timezone == "America/New_York"
    # 21:00 in New York on the 25th is already the 26th in UTC: the episode is the 25th's.
    tick = datetime(2026, 11, 25, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    request = schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "midnight|2026-11-25"
    assert request.run_key == "midnight|2026-11-25"


def test_every_channel_has_its_own_named_schedule() -> None:
    channels = load_channels()
    names = {channel_schedule(c, build_episode_job()).name for c in channels.values()}
    assert names == {f"{name}_daily_schedule" for name in channels}

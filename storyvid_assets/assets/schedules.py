"""A daily schedule per channel: at the channel's hour, in its timezone, make that day's episode."""

from __future__ import annotations

import dagster as dg

from storyvid_assets.channels import ChannelConfig
from storyvid_assets.episode import partition_key, run_tags


def channel_schedule(channel: ChannelConfig, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Materialize ``job`` for (channel, the local date of the tick) every day at the channel's hour."""

    @dg.schedule(
        name=f"{channel.name.replace('-', '_')}_daily_schedule",
        cron_schedule=f"{channel.schedule.minute} {channel.schedule.hour} * * *",
        execution_timezone=channel.schedule.timezone,
        job=job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Makes {channel.display_name}'s episode daily at {channel.schedule.hour:02d}:"
        f"{channel.schedule.minute:02d} {channel.schedule.timezone}.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        date = context.scheduled_execution_time.date().isoformat()
        key = partition_key(channel.name, date)
        return dg.RunRequest(run_key=str(key), partition_key=key, tags=run_tags(channel.name, "schedule"))

    return _schedule

"""Schedules: each channel's daily episode at its posting hour, and the analytics loop's daily runs."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from storyvid_assets.analytics.pinning import planned_settings
from storyvid_assets.catalog.queries.controls import schedule_enabled
from storyvid_assets.channels import ChannelConfig
from storyvid_assets.episode import partition_key, run_tags
from storyvid_assets.resources.storage.catalog import CatalogResource

METRICS_TRAILING_DAYS = 3  # platforms revise (and YouTube withholds) the last days: collected again each day


def posting_hour(channel: ChannelConfig, catalog: CatalogResource, date: str) -> int:
    """The hour the episode of ``date`` posts at: its pinned or planned settings (the active configuration,
    exploration and experiments; the channel file's ``schedule.hour`` until the analytics loop changes it)."""
    with catalog.session() as session:
        settings = planned_settings(session, channel, date).settings
    return settings.posting_hour if settings.posting_hour is not None else channel.schedule.hour


def channel_schedule(channel: ChannelConfig, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Materialize ``job`` for (channel, the local date of the tick) once a day, at the posting hour of that
    day's episode settings (checked every hour in its timezone, so a changed hour needs no reload). A channel an
    admin switched off in the console is skipped even while the Dagster schedule runs."""

    @dg.schedule(
        name=f"{channel.name.replace('-', '_')}_daily_schedule",
        cron_schedule=f"{channel.schedule.minute} * * * *",
        execution_timezone=channel.schedule.timezone,
        job=job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Makes {channel.display_name}'s episode daily at the active configuration's posting hour "
        f"(channel file: {channel.schedule.hour:02d}:{channel.schedule.minute:02d} {channel.schedule.timezone}).",
    )
    def _schedule(context: dg.ScheduleEvaluationContext, catalog: CatalogResource) -> dg.RunRequest | dg.SkipReason:
        tick = context.scheduled_execution_time
        date = tick.date().isoformat()
        with catalog.session() as session:
            enabled = schedule_enabled(session, channel.name)
        if not enabled:
            return dg.SkipReason(f"{channel.name}'s daily schedule is switched off in the console (/channels/"
                                 f"{channel.name}); switch it on there to make episodes again")
        hour = posting_hour(channel, catalog, date)
        if tick.hour != hour:
            return dg.SkipReason(f"{channel.name} posts {date}'s episode at {hour:02d}:{channel.schedule.minute:02d}")
        key = partition_key(channel.name, date)
        return dg.RunRequest(run_key=str(key), partition_key=key, tags=run_tags(channel.name, "schedule"))

    return _schedule


def metrics_schedule(channels: list[ChannelConfig], job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Every day at 03:00 UTC: each channel's metrics of yesterday and the days before it that platforms still
    revise (one run per channel-day; the asset's metadata says which days changed)."""

    @dg.schedule(name="daily_metrics_schedule", cron_schedule="0 3 * * *", execution_timezone="UTC", job=job,
                 default_status=dg.DefaultScheduleStatus.STOPPED,
                 description=f"Collects yesterday's metrics and re-collects the {METRICS_TRAILING_DAYS - 1} days "
                 "before it, per channel.")
    def _schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        today = context.scheduled_execution_time.date()
        requests = []
        for channel in channels:
            for back in range(1, METRICS_TRAILING_DAYS + 1):
                day = (today - timedelta(days=back)).isoformat()
                requests.append(dg.RunRequest(
                    run_key=f"metrics|{channel.name}|{day}|collected-{today.isoformat()}",
                    partition_key=partition_key(channel.name, day), tags=run_tags(channel.name, "metrics-schedule")))
        return requests

    return _schedule


def learning_schedule(channels: list[ChannelConfig], job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Every day at 05:00 UTC, after the metrics: recommendations and experiments of yesterday per channel."""

    @dg.schedule(name="daily_recommendations_schedule", cron_schedule="0 5 * * *", execution_timezone="UTC",
                 job=job, default_status=dg.DefaultScheduleStatus.STOPPED,
                 description="Trains, recommends and evaluates experiments on yesterday's data, per channel.")
    def _schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
        return [dg.RunRequest(run_key=f"learn|{c.name}|{day}", partition_key=partition_key(c.name, day),
                              tags=run_tags(c.name, "learning-schedule"))
                for c in channels if c.optimization.enabled or c.experiments]

    return _schedule

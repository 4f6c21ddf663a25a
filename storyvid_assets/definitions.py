"""The whole system in one screen: assets, checks, resources, jobs, schedules and sensors."""

from __future__ import annotations

from typing import Any

import dagster as dg

from storyvid_assets.assets import (
    analytics,
    images,
    moderation,
    music,
    narration,
    publishing,
    story,
    thumbnails,
    uploads,
    videos,
)
from storyvid_assets.assets.analytics import ANALYTICS_GROUP
from storyvid_assets.assets.partitions import ASSET_GROUP
from storyvid_assets.assets.schedules import channel_schedule, learning_schedule, metrics_schedule
from storyvid_assets.channels import load_channels
from storyvid_assets.executors import run_executor
from storyvid_assets.resources.sets import build_resources
from storyvid_assets.sensors import all_sensors

ASSET_MODULES = [story, narration, images, music, videos, thumbnails, publishing, uploads, moderation, analytics]


def build_episode_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        "episode_job",
        selection=dg.AssetSelection.groups(ASSET_GROUP),
        description="Everything for one episode: story to publication.",
    )


def build_analytics_jobs() -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    metrics_job = dg.define_asset_job(
        "metrics_job", selection=dg.AssetSelection.assets("daily_metrics"),
        description="One channel-day of metrics from the platforms (or the simulated audience).",
    )
    learning_job = dg.define_asset_job(
        "learning_job", selection=dg.AssetSelection.groups(ANALYTICS_GROUP) - dg.AssetSelection.assets("daily_metrics"),
        description="Recommendations and experiments of one channel-day, from the stored metrics.",
    )
    return metrics_job, learning_job


def build_definitions(resources: dict[str, Any] | None = None) -> dg.Definitions:
    """The code location; ``resources`` replaces the environment's resource set (tests, the demo)."""
    channels = load_channels()
    episode_job = build_episode_job()
    metrics_job, learning_job = build_analytics_jobs()
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[episode_job, metrics_job, learning_job],
        schedules=[
            *(channel_schedule(channel, episode_job) for channel in channels.values()),
            metrics_schedule(list(channels.values()), metrics_job),
            learning_schedule(list(channels.values()), learning_job),
        ],
        sensors=all_sensors(),
        executor=run_executor(),
        resources=resources if resources is not None else build_resources(),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()

"""Episode partitions: one episode per (channel, date)."""

from __future__ import annotations

import os
from functools import cache

import dagster as dg

from storyvid_assets.channels import load_channels

START_DATE_ENV = "STORYVID_START_DATE"
DEFAULT_START_DATE = "2026-01-01"


class EpisodeKey(dg.Config):
    """The two halves of an episode partition key."""

    channel: str
    date: str


@cache
def episode_partitions_def() -> dg.MultiPartitionsDefinition:
    """Channels (from ``channels/*.yaml``) × days from ``$STORYVID_START_DATE`` (default 2026-01-01)."""
    channels = sorted(load_channels())
    return dg.MultiPartitionsDefinition({
        "channel": dg.StaticPartitionsDefinition(channels),
        "date": dg.DailyPartitionsDefinition(
            start_date=os.environ.get(START_DATE_ENV) or DEFAULT_START_DATE, end_offset=1  # today is a partition
        ),
    })


def episode_key(partition_key: str | dg.MultiPartitionKey) -> EpisodeKey:
    """Split ``"bedtime|2026-11-25"`` (or a MultiPartitionKey) into channel and date."""
    if isinstance(partition_key, dg.MultiPartitionKey):
        dims = partition_key.keys_by_dimension
        return EpisodeKey(channel=dims["channel"], date=dims["date"])
    channel, date = str(partition_key).split("|")
    return EpisodeKey(channel=channel, date=date)


def episode_partition_key(channel: str, date: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"channel": channel, "date": date})

"""What every episode asset shares in the graph: its group and its partitions, one per (channel, date)."""

from __future__ import annotations

from functools import cache

import dagster as dg

from storyvid_assets.channels import load_channels
from storyvid_assets.episode import CHANNEL_DIMENSION, DATE_DIMENSION
from storyvid_assets.settings import settings

ASSET_GROUP = "episode"


@cache
def episode_partitions_def() -> dg.MultiPartitionsDefinition:
    """Channels (from ``channels/*.yaml``) × days from ``$STORYVID_START_DATE`` (default 2026-01-01); built once."""
    return dg.MultiPartitionsDefinition({
        CHANNEL_DIMENSION: dg.StaticPartitionsDefinition(sorted(load_channels())),
        DATE_DIMENSION: dg.DailyPartitionsDefinition(
            start_date=settings().start_date.isoformat(), end_offset=1  # today is a partition
        ),
    })

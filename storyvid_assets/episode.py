"""The episode a run works on: one channel's story for one day, at one attempt.

A partition key is ``"<channel>|<date>"`` (a two-dimension ``MultiPartitionKey``); this module is the only
code that joins or splits it, and the only one that derives media and manifest keys, seeds and run tags
from it. The attempt comes from one place, :func:`Episode.from_context`: the run's ``storyvid/attempt`` tag
(set by the review sensor when it regenerates) if present, else the catalog's current attempt. The channel's
settings are the channel file with the episode's pinned configuration (``analytics/pinning.py``) applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import BaseModel, ConfigDict, Field

from storyvid_assets.analytics.pinning import episode_settings
from storyvid_assets.analytics.tunables import apply_settings
from storyvid_assets.catalog.queries.episodes import current_attempt
from storyvid_assets.channels import ChannelConfig, get_channel
from storyvid_assets.resources.storage.catalog import CatalogResource

CHANNEL_DIMENSION, DATE_DIMENSION = "channel", "date"
ATTEMPT_TAG = "storyvid/attempt"
CHANNEL_TAG = "storyvid/channel"
TRIGGER_TAG = "storyvid/trigger"
# an automatic regeneration of scene images redraws only the flagged scenes and keeps the others of this attempt
REGENERATE_SCENES_TAG = "storyvid/regenerate-scenes"
REUSE_ATTEMPT_TAG = "storyvid/reuse-attempt"


def partition_key(channel: str, date: str) -> dg.MultiPartitionKey:
    """The partition of (channel, date); ``str()`` of it is ``"<channel>|<date>"``."""
    return dg.MultiPartitionKey({CHANNEL_DIMENSION: channel, DATE_DIMENSION: date})


def split_partition_key(key: str | dg.MultiPartitionKey) -> tuple[str, str]:
    """``(channel, date)`` of ``"bedtime|2026-11-25"`` or of a ``MultiPartitionKey``."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return dims[CHANNEL_DIMENSION], dims[DATE_DIMENSION]
    channel, sep, date = str(key).partition("|")
    if not sep or not channel or not date or "|" in date:
        raise ValueError(f"partition key {key!r} is not '<channel>|<date>'")
    return channel, date


def media_key(channel: str, date: str, asset: str, attempt: int, name: str) -> str:
    """The versioned key of one media file: ``<channel>/<date>/<asset>/attempt-<n>/<name>``."""
    return f"{channel}/{date}/{asset}/attempt-{attempt}/{name}"


def manifest_key(key: str | dg.MultiPartitionKey, asset: str) -> str:
    """Where an asset's manifest of a partition lives: ``<channel>/<date>/manifests/<asset>.json``."""
    channel, date = split_partition_key(key)
    return f"{channel}/{date}/manifests/{asset}.json"


def attempt_from_tags(tags: Mapping[str, str]) -> int | None:
    """The attempt a run was launched for (``storyvid/attempt``), None when the tag is absent."""
    raw = tags.get(ATTEMPT_TAG)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"run tag {ATTEMPT_TAG}={raw!r} must be a positive whole number")
    return int(raw)


class PartialRegeneration(BaseModel):
    """Redraw ``scenes`` (0-based); take every other scene from attempt ``reuse_attempt``."""

    scenes: frozenset[int]
    reuse_attempt: int = Field(ge=1)

    def tags(self) -> dict[str, str]:
        return {REGENERATE_SCENES_TAG: ",".join(str(i) for i in sorted(self.scenes)),
                REUSE_ATTEMPT_TAG: str(self.reuse_attempt)}


def partial_regeneration(tags: Mapping[str, str]) -> PartialRegeneration | None:
    """The run's partial regeneration (both tags present and well formed), else None: draw everything."""
    scenes, reuse = tags.get(REGENERATE_SCENES_TAG), tags.get(REUSE_ATTEMPT_TAG)
    if not scenes or not reuse:
        return None
    parts = scenes.split(",")
    if not reuse.isdigit() or not all(p.isdigit() for p in parts):
        raise ValueError(f"run tags {REGENERATE_SCENES_TAG}={scenes!r} and {REUSE_ATTEMPT_TAG}={reuse!r} must be "
                         "whole numbers (e.g. '0,3' and '1')")
    return PartialRegeneration(scenes=frozenset(int(p) for p in parts), reuse_attempt=int(reuse))


def run_tags(channel: str, trigger: str, attempt: int | None = None) -> dict[str, str]:
    """Tags of a run launched for an episode (the attempt only when the launcher fixes it)."""
    tags = {CHANNEL_TAG: channel, TRIGGER_TAG: trigger}
    return tags | {ATTEMPT_TAG: str(attempt)} if attempt is not None else tags


class Episode(BaseModel):
    """The episode a step is working on: the channel's settings, the date and the attempt."""

    model_config = ConfigDict(frozen=True)

    channel: ChannelConfig  # the channel file with the episode's pinned configuration applied
    date: str
    attempt: int = Field(ge=1)
    config_version: int = 0  # the configuration version it is made with (0: the channel file alone)
    assignments: dict[str, Any] = Field(default_factory=dict)  # experiment name -> variant

    @classmethod
    def from_context(
        cls, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, catalog: CatalogResource
    ) -> Episode:
        """The partition's episode; the attempt is the run tag's, else the catalog's current one."""
        name, date = split_partition_key(context.partition_key)
        attempt = attempt_from_tags(context.run.tags)
        channel = get_channel(name)
        with catalog.session() as session:
            if attempt is None:
                attempt = current_attempt(session, name, date)
            pinned = episode_settings(session, channel, date)
        return cls(channel=apply_settings(channel, pinned.settings), date=date, attempt=attempt,
                   config_version=pinned.version, assignments=pinned.assignments)

    @property
    def partition_key(self) -> dg.MultiPartitionKey:
        return partition_key(self.channel.name, self.date)

    @property
    def label(self) -> str:
        """``"<channel>|<date>"``, as the UI shows the partition."""
        return str(self.partition_key)

    @property
    def seed(self) -> int:
        """A stable seed for (channel, date, attempt)."""
        digest = hashlib.sha256(f"{self.channel.name}|{self.date}|{self.attempt}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def media_key(self, asset: str, name: str) -> str:
        return media_key(self.channel.name, self.date, asset, self.attempt, name)

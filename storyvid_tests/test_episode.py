"""Episode: the partition as an object — keys, seed, run tags, and the attempt from one source."""

# No `from __future__ import annotations`: dagster 1.13.27 rejects a string `context` annotation on the probe asset.

from pathlib import Path

import dagster as dg
import pytest

from storyvid_assets.assets.moderation import STORY_TEXT_CHECK, story_text_policy
from storyvid_assets.assets.partitions import episode_partitions_def
from storyvid_assets.assets.story import story
from storyvid_assets.catalog.db import migrate
from storyvid_assets.catalog.queries.episodes import set_episode_status
from storyvid_assets.channels import get_channel
from storyvid_assets.episode import (
    ATTEMPT_TAG,
    Episode,
    attempt_from_tags,
    manifest_key,
    media_key,
    partition_key,
    run_tags,
    split_partition_key,
)
from storyvid_assets.resources.sets import local_resources
from storyvid_assets.resources.storage.catalog import CatalogResource

CHANNEL, DATE = "bedtime", "2026-11-25"


def test_partition_key_joins_and_splits() -> None:
    key = partition_key(CHANNEL, DATE)
    assert str(key) == "bedtime|2026-11-25"
    assert split_partition_key(key) == (CHANNEL, DATE)
    assert split_partition_key(str(key)) == (CHANNEL, DATE)
    assert key in episode_partitions_def().get_partition_keys()
    for bad in ("bedtime", "bedtime|", "|2026-11-25", "a|b|c"):
        with pytest.raises(ValueError, match=r"is not '<channel>\|<date>'"):
            split_partition_key(bad)


def test_keys_seed_and_label() -> None:
    episode = Episode(channel=get_channel(CHANNEL), date=DATE, attempt=2)
    assert episode.partition_key == partition_key(CHANNEL, DATE) and episode.label == "bedtime|2026-11-25"
    assert episode.media_key("narration", "narration.wav") == "bedtime/2026-11-25/narration/attempt-2/narration.wav"
    assert episode.media_key("story", "story.md") == media_key(CHANNEL, DATE, "story", 2, "story.md")
    assert manifest_key(episode.partition_key, "story") == "bedtime/2026-11-25/manifests/story.json"
    assert episode.seed == Episode(channel=get_channel(CHANNEL), date=DATE, attempt=2).seed
    assert episode.seed != episode.model_copy(update={"attempt": 3}).seed
    with pytest.raises(ValueError):
        Episode(channel=get_channel(CHANNEL), date=DATE, attempt=0)


def test_attempt_and_run_tags() -> None:
    assert attempt_from_tags({}) is None
    assert attempt_from_tags({ATTEMPT_TAG: "3"}) == 3
    for bad in ("0", "-1", "two"):
        with pytest.raises(ValueError, match="positive whole number"):
            attempt_from_tags({ATTEMPT_TAG: bad})
    assert run_tags(CHANNEL, "schedule") == {"storyvid/channel": CHANNEL, "storyvid/trigger": "schedule"}
    assert run_tags(CHANNEL, "review", 2)[ATTEMPT_TAG] == "2"


@dg.asset(partitions_def=episode_partitions_def())
def probe(context: dg.AssetExecutionContext, catalog: CatalogResource) -> dg.MaterializeResult:
    episode = Episode.from_context(context, catalog)
    return dg.MaterializeResult(metadata={"attempt": episode.attempt, "channel": episode.channel.name})


def attempt_seen(catalog: CatalogResource, tags: dict[str, str] | None = None) -> int:
    result = dg.materialize(
        [probe], resources={"catalog": catalog}, partition_key=partition_key(CHANNEL, DATE), tags=tags
    )
    return result.asset_materializations_for_node("probe")[0].metadata["attempt"].value


def test_attempt_is_the_run_tag_else_the_catalog(storyvid_home: Path) -> None:
    catalog = CatalogResource(url=f"sqlite:///{storyvid_home / 'catalog.db'}")
    assert attempt_seen(catalog) == 1  # never made
    with catalog.session() as session:
        set_episode_status(session, CHANNEL, DATE, "regenerating", 2)
    assert attempt_seen(catalog) == 2
    assert attempt_seen(catalog, {ATTEMPT_TAG: "5"}) == 5


def test_a_check_judges_at_the_attempt_its_asset_was_made(storyvid_home: Path) -> None:
    """The story and its gate read the attempt from the same place: a tagged run beats the catalog for both."""
    resources = local_resources()
    migrate(resources["catalog"].url)
    with resources["catalog"].session() as session:
        set_episode_status(session, CHANNEL, DATE, "regenerating", 2)
    needed = ("story_writer", "catalog", "media_store", "manifest_io_manager", "moderation_provider")
    result = dg.materialize(
        [story, story_text_policy],
        resources={k: resources[k] for k in needed},
        partition_key=partition_key(CHANNEL, DATE),
        tags={ATTEMPT_TAG: "3"},
    )
    made = result.output_for_node("story")
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == STORY_TEXT_CHECK)
    assert made.attempt == 3 and check.metadata["attempt"].value == 3

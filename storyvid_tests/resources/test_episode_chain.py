"""Story, narration, scene images and music through cloud chains: every asset attributes its own costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from storyvid_assets.assets.images import scene_images
from storyvid_assets.assets.music import music
from storyvid_assets.assets.narration import narration
from storyvid_assets.assets.story import story
from storyvid_assets.episode import partition_key
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ProviderBreakers
from storyvid_assets.resources.images.chain import FallbackImageProvider
from storyvid_assets.resources.images.openai import OpenAIImages
from storyvid_assets.resources.music.chain import FallbackMusicProvider
from storyvid_assets.resources.music.elevenlabs import ElevenLabsMusic
from storyvid_assets.resources.sets import local_resources
from storyvid_assets.resources.speech.cache import SpeechCache
from storyvid_assets.resources.speech.chain import FallbackSpeechProvider
from storyvid_assets.resources.speech.elevenlabs import ElevenLabsSpeech
from storyvid_assets.resources.story.chain import FallbackStoryWriter
from storyvid_assets.resources.story.openai import OpenAIStoryWriter
from storyvid_tests.fakes.elevenlabs_fake import ElevenLabsFake
from storyvid_tests.fakes.music_fake import MusicFake
from storyvid_tests.fakes.openai_fake import OpenAIFake


def chained_resources(openai_fake: OpenAIFake, elevenlabs_fake: ElevenLabsFake, music_fake: MusicFake) -> dict:
    base = local_resources()
    ledger = CostLedger(catalog_url=base["catalog"].url)
    breaker = ProviderBreakers(namespace="episode-chain-test")
    common: dict[str, Any] = {"ledger": ledger, "breaker": breaker}
    return {
        **base,
        "story_writer": FallbackStoryWriter(
            openai=OpenAIStoryWriter(api_key=openai_fake.api_key, base_url=openai_fake.base_url),
            local=base["story_writer"],
            default_chain=["openai", "local"],
            **common,
        ),
        "speech_provider": FallbackSpeechProvider(
            elevenlabs=ElevenLabsSpeech(api_key=elevenlabs_fake.api_key, base_url=elevenlabs_fake.origin),
            local=base["speech_provider"],
            default_chain=["elevenlabs", "local"],
            cache=SpeechCache(media_store=base["media_store"]),
            **common,
        ),
        "image_provider": FallbackImageProvider(
            openai=OpenAIImages(api_key=openai_fake.api_key, base_url=openai_fake.base_url, size="256x256"),
            local=base["image_provider"],
            default_chain=["openai", "local"],
            **common,
        ),
        "music_provider": FallbackMusicProvider(
            elevenlabs_music=ElevenLabsMusic(api_key=music_fake.api_key, base_url=music_fake.origin),
            local=base["music_provider"],
            default_chain=["elevenlabs-music", "local"],
            **common,
        ),
    }


def test_each_asset_records_its_provider_and_cost(
    storyvid_home: Path, openai_fake: OpenAIFake, elevenlabs_fake: ElevenLabsFake, music_fake: MusicFake
) -> None:
    openai_fake.story_scenes, openai_fake.words_per_scene = 5, 60
    resources = chained_resources(openai_fake, elevenlabs_fake, music_fake)
    result = dg.materialize(
        [story, narration, scene_images, music],
        resources=resources,
        partition_key=partition_key("bedtime", "2026-11-24"),
    )
    assert result.success
    assert result.output_for_node("narration").provider == "elevenlabs:eleven_multilingual_v2"
    assert all(i.provider == "openai:gpt-image-1" for i in result.output_for_node("scene_images").images)
    bed = result.output_for_node("music")
    assert bed.provider == "elevenlabs-music:music_v1" and bed.licence.licence_id == music_fake.song_ids[-1]

    rows = CostLedger(catalog_url=resources["catalog"].url).ledger_rows(run_id=result.run_id)
    by_asset: dict[str, float] = {}
    for row in rows:
        assert row.outcome == "served" and (row.channel, row.date) == ("bedtime", "2026-11-24")
        by_asset[row.asset] = by_asset.get(row.asset, 0.0) + row.cost_usd
    assert set(by_asset) == {"story", "narration", "scene_images", "music"}
    assert by_asset["scene_images"] == pytest.approx(5 * 0.167)  # five gpt-image-1 images
    assert by_asset["music"] == pytest.approx(music_fake.reported_usage[-1]["seconds"] * 0.80 / 60)
    characters = sum(u["characters"] for u in elevenlabs_fake.reported_usage)
    assert by_asset["narration"] == pytest.approx(characters * 0.30 / 1000)
    for asset in ("story", "narration", "scene_images", "music"):
        event = result.asset_materializations_for_node(asset)[0]
        assert event.metadata["cost_usd"].value == pytest.approx(by_asset[asset], abs=1e-6)
        assert event.metadata["fallbacks"].value == 0


def test_a_configuration_version_chooses_the_tier_the_chains_use(
    storyvid_home: Path, openai_fake: OpenAIFake, elevenlabs_fake: ElevenLabsFake, music_fake: MusicFake
) -> None:
    """The provider tier of the episode's pinned configuration, not the channel file's, picks the model."""
    from storyvid_assets.analytics.tunables import base_settings
    from storyvid_assets.catalog.db import migrate, session_scope
    from storyvid_assets.catalog.queries.configurations import activate_new_version
    from storyvid_assets.channels import get_channel

    resources = chained_resources(openai_fake, elevenlabs_fake, music_fake)
    url = resources["catalog"].url
    migrate(url)
    file_tier = get_channel("bedtime").providers.tier
    chosen = "budget" if file_tier != "budget" else "standard"
    settings = base_settings(get_channel("bedtime")).model_dump() | {"provider_tier": chosen}
    with session_scope(url) as session:
        activate_new_version(session, "bedtime", None, settings, name="cheaper", created_by="test", reason="test")
    result = dg.materialize([story], resources=resources, partition_key=partition_key("bedtime", "2026-11-26"))
    assert result.success
    served = [r for r in CostLedger(catalog_url=url).ledger_rows(run_id=result.run_id) if r.outcome == "served"]
    assert served and {r.tier for r in served} == {chosen}

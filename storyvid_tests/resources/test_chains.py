"""Fallback chains for speech, images and music: breakers, budgets, the speech cache and chain errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from storyvid_assets.errors import ConfigError, ProviderError
from storyvid_assets.models import ImageStyle, StoryRequest, VoiceSettings
from storyvid_assets.provider_config import ChannelProviders
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ProviderBreakers
from storyvid_assets.resources.images import ProceduralImages
from storyvid_assets.resources.images.chain import FallbackImageProvider
from storyvid_assets.resources.images.openai import OpenAIImages
from storyvid_assets.resources.music import SynthMusic
from storyvid_assets.resources.music.chain import FallbackMusicProvider
from storyvid_assets.resources.music.elevenlabs import ElevenLabsMusic
from storyvid_assets.resources.scope import ProviderScope, attribute
from storyvid_assets.resources.speech.cache import SpeechCache
from storyvid_assets.resources.speech.chain import FallbackSpeechProvider
from storyvid_assets.resources.speech.elevenlabs import ElevenLabsSpeech
from storyvid_assets.resources.speech.openai import OpenAISpeech
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.resources.story import LocalStoryWriter
from storyvid_assets.resources.story.chain import FallbackStoryWriter
from storyvid_tests.fakes.ai_server import QUOTA, SERVER_ERROR
from storyvid_tests.fakes.elevenlabs_fake import ElevenLabsFake
from storyvid_tests.fakes.music_fake import MusicFake
from storyvid_tests.fakes.openai_fake import OpenAIFake

SCENES = ["Mira counted the boats one by one.", "Then the lighthouse blinked twice."]


def scope_for(providers: ChannelProviders, run: str = "run-1") -> ProviderScope:
    return ProviderScope(
        run_id=run,
        channel="bedtime",
        date="2026-11-25",
        asset="narration",
        providers=providers,
        source_file="channels/bedtime.yaml",
    )


def test_speech_falls_back_and_the_cache_serves_the_rerun(
    tmp_path: Path, sqlite_catalog_url: str, elevenlabs_fake: ElevenLabsFake, openai_fake: OpenAIFake
) -> None:
    ledger = CostLedger(catalog_url=sqlite_catalog_url)
    chain = FallbackSpeechProvider(
        elevenlabs=ElevenLabsSpeech(api_key=elevenlabs_fake.api_key, base_url=elevenlabs_fake.origin),
        openai=OpenAISpeech(api_key=openai_fake.api_key, base_url=openai_fake.base_url),
        default_chain=["elevenlabs", "openai"],
        ledger=ledger,
        cache=SpeechCache(media_store=LocalMediaStore(root=str(tmp_path / "media"))),
    )
    elevenlabs_fake.fail_always(QUOTA)  # quota used up: a 401, not retried
    settings = ChannelProviders(voices={"openai": "onyx"})
    first = scope_for(settings)
    with attribute(first):
        result = chain.synthesize(SCENES, VoiceSettings())
    assert result.provider == "openai:tts-1-hd" and result.voice == "onyx"
    assert [(u.provider, u.outcome) for u in first.usages] == [("elevenlabs", "failed"), ("openai", "served")]
    assert first.usages[1].cost_usd == pytest.approx(sum(len(s) for s in SCENES) * 30 / 1e6)
    calls = len(openai_fake.calls("/v1/audio/speech"))
    rerun = scope_for(settings, run="run-2")
    with attribute(rerun):
        again = chain.synthesize(SCENES, VoiceSettings())
    assert again.wav == result.wav and again.sentences == result.sentences
    assert len(openai_fake.calls("/v1/audio/speech")) == calls  # nothing was synthesized again
    assert [u.outcome for u in rerun.usages] == ["failed", "cache_hit"] and rerun.cost_usd == 0
    assert [r.outcome for r in ledger.ledger_rows(run_id="run-2")] == ["failed", "cache_hit"]


def test_breaker_opens_and_the_provider_is_skipped(openai_fake: OpenAIFake) -> None:
    breaker = ProviderBreakers(failure_threshold=2, reset_timeout_s=300, namespace="test-images")
    chain = FallbackImageProvider(
        openai=OpenAIImages(api_key=openai_fake.api_key, base_url=openai_fake.base_url, max_retries=0),
        local=ProceduralImages(),
        default_chain=["openai", "local"],
        breaker=breaker,
    )
    openai_fake.fail_always(SERVER_ERROR)
    outcomes = []
    for run in range(3):
        scope = scope_for(ChannelProviders(), run=f"r{run}")
        with attribute(scope):
            image = chain.generate("a fox", ImageStyle(seed=run), 128, 128)
        assert image.provider == "procedural" and (image.width, image.height) == (128, 128)
        outcomes.append([(u.provider, u.outcome) for u in scope.usages])
    assert outcomes[0][0] == ("openai", "failed") and outcomes[1][0] == ("openai", "failed")
    assert outcomes[2][0] == ("openai", "skipped") and "circuit open" in scope.usages[0].detail
    assert len(openai_fake.calls()) == 2  # the open breaker kept the third call away from the API
    assert breaker.circuit().state("openai") == "open"


def test_a_cache_hit_in_half_open_state_leaves_the_trial_call_free(tmp_path: Path, openai_fake: OpenAIFake) -> None:
    breakers = ProviderBreakers(failure_threshold=1, reset_timeout_s=60, namespace="test-half-open")
    chain = FallbackSpeechProvider(
        openai=OpenAISpeech(api_key=openai_fake.api_key, base_url=openai_fake.base_url),
        default_chain=["openai"],
        breaker=breakers,
        cache=SpeechCache(media_store=LocalMediaStore(root=str(tmp_path / "media"))),
    )
    with attribute(scope_for(ChannelProviders())):
        chain.synthesize(SCENES, VoiceSettings())
    circuit = breakers.circuit()
    circuit.record_failure("openai", time.time() - 61)  # opened a minute ago: half-open now
    rerun = scope_for(ChannelProviders(), run="run-2")
    with attribute(rerun):
        chain.synthesize(SCENES, VoiceSettings())
    assert [u.outcome for u in rerun.usages] == ["cache_hit"]
    assert circuit.allow("openai"), "the cache served; the half-open trial slot is still free for a real call"


def test_budget_exhausted_moves_on_when_the_channel_says_so(sqlite_catalog_url: str, music_fake: MusicFake) -> None:
    ledger = CostLedger(catalog_url=sqlite_catalog_url)
    chain = FallbackMusicProvider(
        elevenlabs_music=ElevenLabsMusic(api_key=music_fake.api_key, base_url=music_fake.origin),
        local=SynthMusic(),
        default_chain=["elevenlabs-music", "local"],
        ledger=ledger,
    )
    settings = ChannelProviders(budgets_usd={"elevenlabs-music": 0.1}, on_budget_exhausted="next_provider")
    with attribute(scope_for(settings)):
        paid = chain.compose("calm", 12.0, seed=1)  # 12 s at $0.80/min = $0.16: over the $0.10 budget
    assert paid.provider == "elevenlabs-music:music_v1" and paid.licence.licence_id == music_fake.song_ids[0]
    second = scope_for(settings, run="r2")
    with attribute(second):
        free = chain.compose("calm", 12.0, seed=1)
    assert free.provider == "storyvid-synth" and len(music_fake.calls()) == 1
    assert (second.usages[0].provider, second.usages[0].outcome, second.usages[0].detail) == (
        "elevenlabs-music",
        "skipped",
        "daily budget used up",
    )


def test_a_chain_naming_an_unoffered_provider_is_a_config_error(story_request: StoryRequest) -> None:
    chain = FallbackStoryWriter(local=LocalStoryWriter(), default_chain=["local"])
    with attribute(scope_for(ChannelProviders(story=["openai", "local"]))), pytest.raises(ConfigError) as raised:
        chain.write_story(story_request)
    assert raised.value.field == "providers.story" and raised.value.source == "channels/bedtime.yaml"
    assert "['openai']" in str(raised.value) and "['local']" in str(raised.value)


def test_when_every_provider_fails_the_error_says_why(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    from storyvid_assets.resources.story.openai import OpenAIStoryWriter

    openai_fake.fail_always(QUOTA)
    chain = FallbackStoryWriter(
        openai=OpenAIStoryWriter(api_key=openai_fake.api_key, base_url=openai_fake.base_url, max_retries=0),
        default_chain=["openai"],
    )
    with pytest.raises(ProviderError) as raised:
        chain.write_story(story_request.model_copy(update={"provider_chain": ["openai"]}))
    assert "no provider served" in str(raised.value) and "insufficient_quota" in str(raised.value)
    assert not raised.value.retryable


def test_an_unpriced_model_stops_before_the_call(
    sqlite_catalog_url: str, openai_fake: OpenAIFake, story_request: StoryRequest
) -> None:
    from storyvid_assets.resources.cloud import TierModels
    from storyvid_assets.resources.story.openai import OpenAIStoryWriter

    unpriced = TierModels(premium="gpt-99", standard="gpt-99", budget="gpt-99")
    chain = FallbackStoryWriter(
        openai=OpenAIStoryWriter(api_key=openai_fake.api_key, base_url=openai_fake.base_url, models=unpriced),
        default_chain=["openai"],
        ledger=CostLedger(catalog_url=sqlite_catalog_url),
    )
    with pytest.raises(ConfigError) as raised:
        chain.write_story(story_request)
    assert raised.value.field == "openai.gpt-99" and "prices.yaml" in raised.value.source
    assert openai_fake.calls() == []

"""Fixtures for the cloud provider tests: running loopback fakes, story requests and a fresh breaker state."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from storyvid_assets.channels import DEFAULT_CHANNELS_DIR
from storyvid_assets.models import MetadataRequest, StoryRequest
from storyvid_assets.reliability import reset_breakers
from storyvid_tests.fakes.anthropic_fake import AnthropicFake
from storyvid_tests.fakes.azure_fake import AzureSpeechFake
from storyvid_tests.fakes.elevenlabs_fake import ElevenLabsFake
from storyvid_tests.fakes.music_fake import MusicFake
from storyvid_tests.fakes.openai_fake import OpenAIFake


@pytest.fixture(autouse=True)
def fresh_breakers() -> Iterator[None]:
    """In-process breaker state does not leak from one test to the next."""
    reset_breakers()
    yield
    reset_breakers()


@pytest.fixture
def openai_fake() -> Iterator[OpenAIFake]:
    with OpenAIFake() as fake:
        yield fake


@pytest.fixture
def anthropic_fake() -> Iterator[AnthropicFake]:
    with AnthropicFake() as fake:
        yield fake


@pytest.fixture
def elevenlabs_fake() -> Iterator[ElevenLabsFake]:
    with ElevenLabsFake() as fake:
        yield fake


@pytest.fixture
def azure_fake() -> Iterator[AzureSpeechFake]:
    with AzureSpeechFake() as fake:
        yield fake


@pytest.fixture
def music_fake() -> Iterator[MusicFake]:
    with MusicFake() as fake:
        yield fake


@pytest.fixture
def story_request() -> StoryRequest:
    return StoryRequest(
        channel="bedtime",
        channel_display_name="Moonlit Bedtime Stories",
        date="2026-11-25",
        attempt=1,
        language="en",
        audience="kids",
        genres=["bedtime"],
        theme_pool=["a lost star finding its way home"],
    )


@pytest.fixture
def metadata_request() -> MetadataRequest:
    from storyvid_assets.resources.story.llm import parse_story
    from storyvid_tests.fakes.ai_content import story_json

    request = StoryRequest(
        channel="bedtime", channel_display_name="Moonlit", date="2026-11-25", genres=["bedtime"], theme_pool=["x"]
    )
    story = parse_story(story_json("bedtime"), request, "test")
    return MetadataRequest(
        story=story,
        channel="bedtime",
        channel_display_name="Moonlit Bedtime Stories",
        audience="kids",
        platforms=["local", "youtube", "tiktok"],
        hashtags=["bedtimestories"],
        content_marker="sv-0123456789ab",
    )


def write_channels(directory: Path, providers: dict[str, dict]) -> Path:
    """Copies of the repository's channel files in ``directory``, with ``providers:`` sections added."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in DEFAULT_CHANNELS_DIR.glob("*.yaml"):
        shutil.copy(source, directory / source.name)
    for name, section in providers.items():
        path = directory / f"{name}.yaml"
        data = yaml.safe_load(path.read_text())
        data["providers"] = section
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return directory

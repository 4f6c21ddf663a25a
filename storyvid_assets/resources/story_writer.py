"""Story writers: one interface, a local procedural writer by default, cloud LLMs by configuration."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg
from pydantic import BaseModel, ConfigDict

from storyvid_assets.models import Audience, PlatformMetadata, Story


class StoryRequest(BaseModel):
    """Everything a writer needs to write one episode."""

    model_config = ConfigDict(frozen=True)

    channel: str
    channel_display_name: str
    date: str  # ISO date of the partition
    attempt: int = 1
    language: str = "en"
    audience: Audience = "general"
    genres: list[str]
    theme_pool: list[str]
    min_words: int = 300
    max_words: int = 500
    min_scenes: int = 5
    max_scenes: int = 10
    provider_chain: list[str] | None = None  # cloud writers to try in order; None: the channel's providers.story


class MetadataRequest(BaseModel):
    """What a writer needs to write platform titles, descriptions and hashtags."""

    model_config = ConfigDict(frozen=True)

    story: Story
    channel: str
    channel_display_name: str
    audience: Audience
    platforms: list[str]
    hashtags: list[str]
    content_marker: str
    provider_chain: list[str] | None = None  # cloud writers to try in order; None: the channel's providers.metadata


class StoryWriter(dg.ConfigurableResource):
    """Writes a story for a partition and the platform metadata that goes with it."""

    @abstractmethod
    def write_story(self, request: StoryRequest) -> Story:
        """A complete story for ``request``; deterministic for (channel, date, attempt) where possible."""

    @abstractmethod
    def write_metadata(self, request: MetadataRequest) -> PlatformMetadata:
        """Titles, descriptions and hashtags per platform, within each platform's limits."""


class LocalStoryWriter(StoryWriter):
    """Offline writer: a procedural story from the genre vocabulary (operator scripts are read by the asset)."""

    def write_story(self, request: StoryRequest) -> Story:
        from storyvid_assets.story.writer import generate_story

        return generate_story(request)

    def write_metadata(self, request: MetadataRequest) -> PlatformMetadata:
        from storyvid_assets.publishing.metadata import build_platform_metadata

        return build_platform_metadata(request)

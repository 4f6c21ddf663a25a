"""Story writers: one interface, a local procedural writer by default, cloud LLMs by configuration."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg

from storyvid_assets.models import MetadataRequest, PlatformMetadata, Story, StoryRequest


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
        from storyvid_assets.distribution.text import build_platform_metadata

        return build_platform_metadata(request)

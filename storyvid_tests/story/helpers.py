"""Story requests built from the shipped channel files, as the story asset builds them."""

from __future__ import annotations

from datetime import date, timedelta

from storyvid_assets.channels import DEFAULT_CHANNELS_DIR, ChannelConfig, load_channel_file
from storyvid_assets.models import StoryRequest

# Channels that exercise every genre and both audiences, beside the shipped ones.
EXTRA_CHANNELS = [
    ChannelConfig(
        name="explainers",
        display_name="Explainers",
        genres=["history", "adventure", "fable"],
        theme_pool=["the first railway", "a map to a lost castle", "a proud hare"],
    ),
    ChannelConfig(
        name="kidsmix",
        display_name="Kids Mix",
        audience="kids",
        genres=["mystery", "adventure", "fable", "history", "horror"],
        theme_pool=["a missing key", "a message in a bottle", "sharing in winter", "a ticking clock"],
    ),
]


def shipped_channels() -> list[ChannelConfig]:
    return [load_channel_file(DEFAULT_CHANNELS_DIR / f"{name}.yaml") for name in ("bedtime", "midnight")]


def all_channels() -> list[ChannelConfig]:
    return [*shipped_channels(), *EXTRA_CHANNELS]


def request_for(channel: ChannelConfig, day: str, attempt: int = 1) -> StoryRequest:
    return StoryRequest(
        channel=channel.name,
        channel_display_name=channel.display_name,
        date=day,
        attempt=attempt,
        language=channel.language,
        audience=channel.audience,
        genres=channel.genres,
        theme_pool=channel.theme_pool,
    )


def dates(start: str, days: int) -> list[str]:
    first = date.fromisoformat(start)
    return [(first + timedelta(days=i)).isoformat() for i in range(days)]

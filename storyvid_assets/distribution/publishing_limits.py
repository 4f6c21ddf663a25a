"""What each platform accepts in a title, a description and hashtags, as data.

Sources: YouTube Data API (title <= 100 characters, description <= 5000 bytes, no ``<`` or ``>``, tags
<= 500 characters in total, more than 15 hashtags and YouTube ignores them all); TikTok Content Posting
API (``post_info.title`` <= 2200 UTF-16 code units); Instagram Graph API (caption <= 2200 characters,
<= 30 hashtags); Facebook Pages video ``title``/``description`` (practical limits kept here, not documented
hard limits). ``local`` is the offline library: generous, but still bounded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Unit = Literal["chars", "utf8_bytes", "utf16_units"]


class TextLimit(BaseModel):
    model_config = ConfigDict(frozen=True)

    max: int
    unit: Unit = "chars"


class PlatformLimits(BaseModel):
    """One platform's limits and the builder's preferences within them."""

    model_config = ConfigDict(frozen=True)

    title: TextLimit
    description: TextLimit
    max_hashtags: int  # hard limit: more and the platform rejects or ignores them
    preferred_hashtags: int  # how many the builder uses
    forbidden_chars: str = ""
    tags_total: int | None = None  # YouTube: all tags joined with commas
    caption_only: bool = False  # the description is the whole post (title line, hashtags, marker inside)


PLATFORM_LIMITS: dict[str, PlatformLimits] = {
    "youtube": PlatformLimits(
        title=TextLimit(max=100),
        description=TextLimit(max=5000, unit="utf8_bytes"),
        max_hashtags=15,
        preferred_hashtags=5,
        forbidden_chars="<>",
        tags_total=500,
    ),
    "tiktok": PlatformLimits(
        title=TextLimit(max=2200, unit="utf16_units"),
        description=TextLimit(max=2200, unit="utf16_units"),
        max_hashtags=30,
        preferred_hashtags=6,
        caption_only=True,
    ),
    "instagram": PlatformLimits(
        title=TextLimit(max=2200),
        description=TextLimit(max=2200),
        max_hashtags=30,
        preferred_hashtags=8,
        caption_only=True,
    ),
    "facebook": PlatformLimits(
        title=TextLimit(max=255),
        description=TextLimit(max=5000),
        max_hashtags=30,
        preferred_hashtags=5,
    ),
    "local": PlatformLimits(
        title=TextLimit(max=300),
        description=TextLimit(max=20000),
        max_hashtags=50,
        preferred_hashtags=10,
    ),
}


def text_length(text: str, unit: Unit) -> int:
    """Length of ``text`` the way a platform counts it."""
    if unit == "utf8_bytes":
        return len(text.encode("utf-8"))
    if unit == "utf16_units":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def limits_for(platform: str) -> PlatformLimits:
    if platform not in PLATFORM_LIMITS:
        raise KeyError(f"no limits for platform {platform!r}; known: {sorted(PLATFORM_LIMITS)}")
    return PLATFORM_LIMITS[platform]

"""What each platform accepts, as one table of data, and the check of a post against it before any byte is sent.

One entry per (platform, kind of post). Text limits are counted the way the platform counts them: YouTube's
description in UTF-8 bytes, TikTok's caption in UTF-16 code units, the others in characters
(``/work/shared/reference/platform-apis.md`` and ``platform-protocols.md``). Numbers marked (~) there are not
verified by the vendors' docs; they are kept here in one table so a correction is a one-line change.
``local`` is the offline library: generous, but still bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from storyvid_assets.distribution.errors import LimitExceeded
from storyvid_assets.models import PostKind, PostOptions, PublishItem

MB = 1024 * 1024
GB = 1024 * MB
Unit = Literal["chars", "utf8_bytes", "utf16_units"]
UNIT_NAMES: dict[str, str] = {"chars": "characters", "utf8_bytes": "bytes", "utf16_units": "UTF-16 units"}
HASHTAG_IN_TEXT_RE = re.compile(r"(?<![\w&])#\w+")


class TextLimit(BaseModel):
    model_config = ConfigDict(frozen=True)

    max: int
    unit: Unit = "chars"


class PlatformLimits(BaseModel):
    """One kind of post on one platform: its text, file and picture limits, and the builder's preferences."""

    model_config = ConfigDict(frozen=True)

    platform: str
    kind: PostKind
    title: TextLimit | None  # None: the post has no separate title (the caption is the whole post)
    text: TextLimit  # description or caption
    max_hashtags: int  # more and the platform rejects or ignores them
    preferred_hashtags: int  # how many the metadata builder uses
    forbidden_chars: str = ""
    tags_total: int | None = None  # YouTube: all tags joined with commas
    min_duration_s: float = 0.0
    max_duration_s: float = 12 * 3600
    max_bytes: int = 256 * GB
    min_side: int = 1
    max_side: int = 8192
    vertical_only: bool = False


MAIN_LIMITS = [
    PlatformLimits(
        platform="youtube", kind="video", title=TextLimit(max=100), text=TextLimit(max=5000, unit="utf8_bytes"),
        max_hashtags=15, preferred_hashtags=5, forbidden_chars="<>", tags_total=500, max_bytes=256 * GB,
    ),
    PlatformLimits(
        platform="instagram", kind="reel", title=None, text=TextLimit(max=2200), max_hashtags=30,
        preferred_hashtags=8, min_duration_s=3, max_duration_s=15 * 60, max_bytes=300 * MB, max_side=1920,
    ),  # (~) specs
    PlatformLimits(
        platform="tiktok", kind="video", title=None, text=TextLimit(max=2200, unit="utf16_units"), max_hashtags=30,
        preferred_hashtags=6, min_duration_s=1, max_duration_s=10 * 60, max_bytes=4 * GB, min_side=360,
        max_side=4096,
    ),
    PlatformLimits(
        platform="facebook", kind="video", title=TextLimit(max=255), text=TextLimit(max=5000), max_hashtags=30,
        preferred_hashtags=5, max_duration_s=240 * 60, max_bytes=10 * GB,
    ),  # (~) text limits
    PlatformLimits(
        platform="facebook", kind="reel", title=None, text=TextLimit(max=2200), max_hashtags=30,
        preferred_hashtags=5, min_duration_s=3, max_duration_s=90, max_bytes=1 * GB, min_side=540,
        vertical_only=True,
    ),
    PlatformLimits(
        platform="local", kind="video", title=TextLimit(max=300), text=TextLimit(max=20000), max_hashtags=50,
        preferred_hashtags=10,
    ),
]
# Shorts and feed videos follow their platform's main limits except where noted: (kind, main kind, changes).
DERIVED: dict[str, list[tuple[PostKind, PostKind, dict[str, object]]]] = {
    "youtube": [("short", "video", {"max_duration_s": 180})],  # (~) 3 min
    "instagram": [("feed", "reel", {})],
}
LIMITS: dict[tuple[str, str], PlatformLimits] = {(m.platform, m.kind): m for m in MAIN_LIMITS}
LIMITS |= {
    (platform, kind): LIMITS[(platform, main)].model_copy(update={"kind": kind, **changes})
    for platform, derived in DERIVED.items()
    for kind, main, changes in derived
}


def limits_for(platform: str, kind: str) -> PlatformLimits:
    """The limits of one kind of post; an unsupported kind is refused with the kinds the platform takes."""
    try:
        return LIMITS[(platform, kind)]
    except KeyError:
        kinds = sorted(k for p, k in LIMITS if p == platform)
        raise LimitExceeded(platform, [f"post kind {kind!r} is not supported; use one of {kinds}"]) from None


def platforms() -> list[str]:
    return sorted({p for p, _ in LIMITS})


def metadata_limits(platform: str) -> PlatformLimits:
    """What one metadata item of ``platform`` must meet to be postable as every kind the platform takes.

    The tightest limit of each kind wins; the title is None only when no kind of the platform has a title.
    """
    entries = [limits for (p, _), limits in LIMITS.items() if p == platform]
    if not entries:
        raise KeyError(f"no limits for platform {platform!r}; known: {platforms()}")
    titles = [e.title for e in entries if e.title is not None]
    totals = [e.tags_total for e in entries if e.tags_total is not None]
    return entries[0].model_copy(
        update={
            "title": min(titles, key=lambda t: t.max) if titles else None,
            "text": min((e.text for e in entries), key=lambda t: t.max),
            "max_hashtags": min(e.max_hashtags for e in entries),
            "preferred_hashtags": min(e.preferred_hashtags for e in entries),
            "forbidden_chars": "".join(sorted({c for e in entries for c in e.forbidden_chars})),
            "tags_total": min(totals) if totals else None,
        }
    )


def text_length(text: str, unit: str) -> int:
    """Length of ``text`` the way a platform counts it."""
    if unit == "utf8_bytes":
        return len(text.encode("utf-8"))
    if unit == "utf16_units":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def count_hashtags(text: str) -> int:
    """Hashtags in a text as the platforms count them (``#word`` not inside a word or an HTML entity)."""
    return len(HASHTAG_IN_TEXT_RE.findall(text))


@dataclass(frozen=True)
class PostText:
    """The text one post sends: title (empty where the post has none), description or caption, and tags."""

    title: str
    text: str  # hashtags and the dedup marker included
    tags: tuple[str, ...]  # without '#'


def _text_problems(field: str, text: str, limit: TextLimit, forbidden: str) -> list[str]:
    problems = []
    length = text_length(text, limit.unit)
    if length > limit.max:
        extra = " (marker and hashtags included)" if field == "description" else ""
        problems.append(f"{field} is {length} {UNIT_NAMES[limit.unit]}{extra}; the limit is {limit.max}")
    bad = sorted({c for c in text if c in forbidden})
    if bad:
        problems.append(f"{field} contains {''.join(bad)!r}, which the platform rejects")
    return problems


def check_post(item: PublishItem, options: PostOptions, platform: str, text: PostText) -> None:
    """Every limit broken by this video or its text, in one error that names the platform and each limit."""
    limits = limits_for(platform, options.kind)
    problems: list[str] = []
    if item.metadata.platform != platform:
        problems.append(f"metadata is for {item.metadata.platform!r}, not {platform!r}")
    if limits.title is not None:
        if not text.title:
            problems.append("title is empty; give the episode a title")
        problems += _text_problems("title", text.title, limits.title, limits.forbidden_chars)
    problems += _text_problems("description", text.text, limits.text, limits.forbidden_chars)
    if (hashtags := count_hashtags(text.text)) > limits.max_hashtags:
        problems.append(f"{hashtags} hashtags; the limit is {limits.max_hashtags}")
    if item.duration > limits.max_duration_s:
        problems.append(f"video is {item.duration:.1f} s long; the {options.kind} limit is {limits.max_duration_s:g} s")
    if item.duration < limits.min_duration_s:
        problems.append(
            f"video is {item.duration:.1f} s long; the {options.kind} minimum is {limits.min_duration_s:g} s"
        )
    path = Path(item.video_path)
    if not path.is_file():
        problems.append(f"video file {path} does not exist")
    elif path.stat().st_size > limits.max_bytes:
        problems.append(f"video is {path.stat().st_size / MB:.1f} MB; the limit is {limits.max_bytes / MB:g} MB")
    if min(item.width, item.height) < limits.min_side or max(item.width, item.height) > limits.max_side:
        problems.append(f"video is {item.width}x{item.height}; sides must be {limits.min_side}-{limits.max_side} px")
    if limits.vertical_only and item.height <= item.width:
        problems.append(f"a {options.kind} must be vertical; this video is {item.width}x{item.height}")
    if problems:
        raise LimitExceeded(platform, problems)

"""Platform limits, checked before any byte is sent, and the post text each platform receives.

Numbers marked (~) in ``/work/shared/reference/platform-apis.md`` are not verified by the vendors' docs;
they are kept here in one table so a correction is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from storyvid_assets.distribution.errors import LimitExceeded
from storyvid_assets.models import PostKind, PostOptions, PublishItem

MB = 1024 * 1024
GB = 1024 * MB


@dataclass(frozen=True)
class PlatformLimits:
    platform: str
    kind: PostKind
    title_max: int | None  # characters; None = the platform has no separate title
    text_max: int  # description / caption characters
    text_max_bytes: int | None = None  # YouTube counts description bytes
    min_duration_s: float = 0.0
    max_duration_s: float = 12 * 3600
    max_bytes: int = 256 * GB
    max_hashtags: int | None = None
    min_side: int = 1
    max_side: int = 8192
    vertical_only: bool = False
    forbidden_chars: str = ""


LIMITS: dict[tuple[str, str], PlatformLimits] = {
    ("youtube", "video"): PlatformLimits(
        "youtube",
        "video",
        title_max=100,
        text_max=5000,
        text_max_bytes=5000,
        max_duration_s=12 * 3600,
        max_bytes=256 * GB,
        forbidden_chars="<>",
    ),
    ("instagram", "reel"): PlatformLimits(
        "instagram",
        "reel",
        title_max=None,
        text_max=2200,
        min_duration_s=3,
        max_duration_s=15 * 60,
        max_bytes=300 * MB,
        max_hashtags=30,
        max_side=1920,
    ),  # (~) specs
    ("tiktok", "video"): PlatformLimits(
        "tiktok",
        "video",
        title_max=None,
        text_max=2200,
        min_duration_s=1,
        max_duration_s=10 * 60,
        max_bytes=4 * GB,
        min_side=360,
        max_side=4096,
    ),
    ("facebook", "video"): PlatformLimits(
        "facebook",
        "video",
        title_max=255,
        text_max=5000,  # (~) text limits
        max_duration_s=240 * 60,
        max_bytes=10 * GB,
    ),  # (~)
    ("facebook", "reel"): PlatformLimits(
        "facebook",
        "reel",
        title_max=None,
        text_max=2200,
        min_duration_s=3,
        max_duration_s=90,
        max_bytes=1 * GB,
        min_side=540,
        vertical_only=True,
    ),
}
# Shorts and feed videos follow their platform's main limits except where noted.
LIMITS[("youtube", "short")] = replace(LIMITS[("youtube", "video")], kind="short", max_duration_s=180)  # (~) 3 min
LIMITS[("instagram", "feed")] = replace(LIMITS[("instagram", "reel")], kind="feed")


def limits_for(platform: str, kind: str) -> PlatformLimits:
    try:
        return LIMITS[(platform, kind)]
    except KeyError:
        kinds = sorted(k for p, k in LIMITS if p == platform)
        raise LimitExceeded(platform, [f"post kind {kind!r} is not supported; use one of {kinds}"]) from None


@dataclass(frozen=True)
class PostText:
    title: str  # empty where the platform has no title
    text: str  # description or caption, hashtags and the dedup marker included
    tags: tuple[str, ...]


def _hashtags(tags: list[str]) -> list[str]:
    return ["#" + t.lstrip("#").replace(" ", "") for t in tags if t.strip("# ")]


def compose_text(item: PublishItem, options: PostOptions) -> PostText:
    """The title and description/caption sent to the platform; the marker always ends the text."""
    meta = item.metadata
    tags = _hashtags(meta.hashtags)
    if options.kind == "short" and "#Shorts" not in tags:
        tags.append("#Shorts")
    missing = [t for t in tags if t.lower() not in meta.description.lower()]
    body = meta.description.strip()
    if missing:
        body = f"{body}\n\n{' '.join(missing)}"
    text = f"{body}\n\n{options.marker}"
    title = meta.title.strip() if limits_for(meta.platform, options.kind).title_max is not None else ""
    return PostText(title=title, text=text, tags=tuple(t.lstrip("#") for t in tags))


def validate_post(item: PublishItem, options: PostOptions, platform: str) -> PostText:
    """Every limit broken by this video or its text, in one error that names the platform and each limit."""
    limits = limits_for(platform, options.kind)
    text = compose_text(item, options)
    problems: list[str] = []
    if item.metadata.platform != platform:
        problems.append(f"metadata is for {item.metadata.platform!r}, not {platform!r}")
    if limits.title_max is not None:
        if not text.title:
            problems.append("title is empty; give the episode a title")
        elif len(text.title) > limits.title_max:
            problems.append(f"title is {len(text.title)} characters; the limit is {limits.title_max}")
        bad = sorted({c for c in text.title if c in limits.forbidden_chars})
        if bad:
            problems.append(f"title contains {''.join(bad)!r}, which the platform rejects")
    if len(text.text) > limits.text_max:
        problems.append(
            f"description is {len(text.text)} characters (marker and hashtags included); the limit is {limits.text_max}"
        )
    if limits.text_max_bytes is not None and len(text.text.encode()) > limits.text_max_bytes:
        problems.append(f"description is {len(text.text.encode())} bytes; the limit is {limits.text_max_bytes}")
    if any(c in limits.forbidden_chars for c in text.text):
        problems.append(f"description contains one of {limits.forbidden_chars!r}, which the platform rejects")
    if limits.max_hashtags is not None and text.text.count("#") > limits.max_hashtags:
        problems.append(f"{text.text.count('#')} hashtags; the limit is {limits.max_hashtags}")
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
    return text

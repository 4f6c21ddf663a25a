"""Platform metadata: titles, descriptions and hashtags per platform, always within that platform's limits.

Every description ends with the episode's content marker (``ref:sv-<marker>``) so an uploader can find a
post it already made (see :func:`find_marker`) instead of posting twice.
"""

from __future__ import annotations

import re

from storyvid_assets.distribution.publishing_limits import PLATFORM_LIMITS, PlatformLimits, text_length
from storyvid_assets.errors import ConfigError
from storyvid_assets.models import MetadataRequest, PlatformMetadata, PlatformMetadataItem, Story
from storyvid_assets.story import vocabulary

MARKER_PREFIX = "ref:sv-"
MARKER_CHARS_RE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
MARKER_RE = re.compile(r"ref:sv-([A-Za-z0-9_-]{4,64})")
HASHTAG_RE = re.compile(r"^#\w+$")
HASHTAG_IN_TEXT_RE = re.compile(r"(?<![\w&])#\w+")
MAX_HASHTAG_CHARS = 40
ELLIPSIS = "…"
SENTENCE_END_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+")
WORD_RE = re.compile(r"[a-z']+")
TEASER_MAX_OVERLAP = 0.6


def marker_line(content_marker: str) -> str:
    """``ref:sv-<marker>``; the marker must be 4-64 letters, digits, '-' or '_'."""
    marker = content_marker.removeprefix(MARKER_PREFIX).removeprefix("sv-")
    if not MARKER_CHARS_RE.match(marker):
        raise ConfigError(
            "MetadataRequest",
            "content_marker",
            f"{content_marker!r} is not a usable marker",
            "use 4-64 letters, digits, '-' or '_' (e.g. the first 16 hex digits of a hash)",
        )
    return MARKER_PREFIX + marker


def find_marker(text: str) -> str | None:
    """The content marker embedded in a description or caption, if any."""
    found = MARKER_RE.findall(text)
    return found[-1] if found else None


def normalise_hashtag(raw: str) -> str | None:
    """``"#Bedtime Stories!"`` -> ``"#bedtimestories"``; None when nothing usable is left."""
    word = "".join(ch for ch in raw.lower() if ch.isalnum() or ch == "_")
    if not word or word.isdigit() or len(word) > MAX_HASHTAG_CHARS:
        return None
    return "#" + word


def merge_hashtags(*groups: list[str]) -> list[str]:
    tags: list[str] = []
    for group in groups:
        for raw in group:
            tag = normalise_hashtag(raw)
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def youtube_tags_length(hashtags: list[str]) -> int:
    """YouTube counts tags joined by commas; a tag with a space would count its quotes (ours have none)."""
    tags = [t.lstrip("#") for t in hashtags]
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


def hashtags_for(tags: list[str], limits: PlatformLimits) -> list[str]:
    chosen = tags[: min(limits.preferred_hashtags, limits.max_hashtags)]
    while limits.tags_total is not None and chosen and youtube_tags_length(chosen) > limits.tags_total:
        chosen = chosen[:-1]
    return chosen


def clean(text: str, forbidden: str) -> str:
    """Remove characters a platform refuses and control characters; keep paragraph breaks."""
    text = "".join(ch for ch in text if ch not in forbidden and (ch == "\n" or ch.isprintable()))
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def truncate(text: str, limit: int, unit: str) -> str:
    """``text`` cut at a word boundary with an ellipsis so it measures at most ``limit``."""
    if text_length(text, unit) <= limit:
        return text
    budget = limit - text_length(ELLIPSIS, unit)
    if budget <= 0:
        return ""
    words = text.split(" ")
    kept: list[str] = []
    for word in words:
        candidate = " ".join([*kept, word])
        if text_length(candidate, unit) > budget:
            break
        kept.append(word)
    if not kept:  # one enormous word: cut by characters
        cut = text
        while cut and text_length(cut, unit) > budget:
            cut = cut[:-1]
        return cut + ELLIPSIS if cut else ""
    return " ".join(kept).rstrip(",;:-–—") + ELLIPSIS


def teaser(story: Story) -> str:
    """A sentence of the inciting incident that the logline does not already say: the hook, not the ending."""
    inciting = [s for s in story.scenes if s.beat == "inciting_incident"] or story.scenes[1:2]
    logline_words = set(WORD_RE.findall(story.logline.lower()))
    for sentence in SENTENCE_END_RE.split(inciting[0].narration.strip()) if inciting else []:
        words = WORD_RE.findall(sentence.lower())
        if len(words) >= 4 and sum(w in logline_words for w in words) / len(words) < TEASER_MAX_OVERLAP:
            return sentence.strip()
    return ""


def genre_details(genre: str) -> tuple[str, list[str], str]:
    """(label, hashtags, YouTube category) of a genre the local writer knows; plain defaults otherwise."""
    if genre not in vocabulary.available_genres():
        return "A Short Story", [genre], "24"
    data = vocabulary.genre(genre)
    return data.label, data.hashtags, data.youtube_category


def disclosure(story: Story) -> str:
    if story.source == "script":
        return "Narration and pictures are computer-generated; the story was written for this channel."
    return "Story, narration and pictures are computer-generated."


def platform_title(story: Story, label: str, limits: PlatformLimits) -> str:
    title = clean(story.title, limits.forbidden_chars).replace("\n", " ") or "Untitled story"
    if not limits.caption_only:
        with_label = f"{title} | {clean(label, limits.forbidden_chars)}"
        if text_length(with_label, limits.title.unit) <= min(limits.title.max, 100):
            return with_label
    return truncate(title, min(limits.title.max, 150), limits.title.unit)


def platform_description(request: MetadataRequest, title: str, hashtags: list[str], limits: PlatformLimits) -> str:
    """Paragraphs in order of importance, each cut to what is left; the marker always ends the text."""
    story = request.story
    forbidden = limits.forbidden_chars
    tail = [" ".join(hashtags), marker_line(request.content_marker)]
    head = [
        clean(story.logline, forbidden),
        clean(teaser(story), forbidden),
        clean(f"More stories from {request.channel_display_name}. {disclosure(story)}", forbidden),
    ]
    if limits.caption_only:
        head.insert(0, title)
    unit, limit = limits.description.unit, limits.description.max
    tail_text = "\n\n".join(t for t in tail if t)
    if text_length(tail_text, unit) > limit:  # only an absurd marker could do this; keep the marker alone
        tail_text = tail[-1]
    budget = limit - text_length(tail_text, unit)
    kept: list[str] = []
    for paragraph in (p for p in head if p):
        room = budget - text_length("\n\n".join([*kept, ""]), unit) - text_length("\n\n", unit)
        piece = truncate(paragraph, room, unit) if room > 0 else ""
        if not piece:
            break
        kept.append(piece)
    return "\n\n".join([*kept, tail_text])


def build_item(
    request: MetadataRequest, platform: str, tags: list[str], label: str, category: str
) -> PlatformMetadataItem:
    limits = PLATFORM_LIMITS[platform]
    hashtags = hashtags_for(tags, limits)
    title = platform_title(request.story, label, limits)
    return PlatformMetadataItem(
        platform=platform,  # type: ignore[arg-type]
        title=title,
        description=platform_description(request, title, hashtags, limits),
        hashtags=hashtags,
        made_for_kids=request.audience == "kids",
        contains_synthetic_media=True,
        category_id=category if platform == "youtube" else None,
        language=request.story.language,
    )


def build_platform_metadata(request: MetadataRequest) -> PlatformMetadata:
    """One metadata item per requested platform, each within that platform's limits."""
    unknown = [p for p in request.platforms if p not in PLATFORM_LIMITS]
    if unknown:
        raise ConfigError(
            "MetadataRequest", "platforms", f"unknown platforms {unknown}", f"use some of {sorted(PLATFORM_LIMITS)}"
        )
    marker_line(request.content_marker)  # fail early on a bad marker
    label, genre_tags, category = genre_details(request.story.genre)
    tags = merge_hashtags(request.hashtags, genre_tags)
    items = [build_item(request, p, tags, label, category) for p in dict.fromkeys(request.platforms)]
    return PlatformMetadata(items=items, content_marker=request.content_marker)


def validate_metadata_item(item: PlatformMetadataItem, content_marker: str | None = None) -> list[str]:
    """Every way ``item`` breaks its platform's limits (empty when it is fine to upload)."""
    limits = PLATFORM_LIMITS.get(item.platform)
    if limits is None:
        return [f"unknown platform {item.platform!r}"]
    problems = []
    for field, text, limit in (
        ("title", item.title, limits.title),
        ("description", item.description, limits.description),
    ):
        length = text_length(text, limit.unit)
        if length > limit.max:
            problems.append(f"{item.platform} {field} is {length} {limit.unit}, over the limit of {limit.max}")
        bad = sorted({ch for ch in text if ch in limits.forbidden_chars})
        if bad:
            problems.append(f"{item.platform} {field} contains forbidden characters {bad}")
    if not item.title.strip():
        problems.append(f"{item.platform} title is empty")
    malformed = [t for t in item.hashtags if not HASHTAG_RE.match(t)]
    if malformed:
        problems.append(f"{item.platform} hashtags are malformed: {malformed}")
    if len({t.lower() for t in item.hashtags}) != len(item.hashtags):
        problems.append(f"{item.platform} hashtags repeat")
    in_text = HASHTAG_IN_TEXT_RE.findall(f"{item.title}\n{item.description}")
    count = max(len(item.hashtags), len(in_text))
    if count > limits.max_hashtags:
        problems.append(f"{item.platform} has {count} hashtags, over the limit of {limits.max_hashtags}")
    if limits.tags_total is not None and youtube_tags_length(item.hashtags) > limits.tags_total:
        problems.append(
            f"{item.platform} tags total {youtube_tags_length(item.hashtags)} characters, over {limits.tags_total}"
        )
    if content_marker is not None and find_marker(item.description) != marker_line(content_marker).removeprefix(
        MARKER_PREFIX
    ):
        problems.append(f"{item.platform} description lacks the content marker {marker_line(content_marker)}")
    return problems

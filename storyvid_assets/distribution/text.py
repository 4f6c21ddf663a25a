"""The text of every post: platform metadata (titles, descriptions), hashtags and the content marker.

Every description ends with a marker line (``ref:sv-<marker>``) so an uploader can find a post it already made
(see :func:`find_marker`) instead of posting twice: the metadata carries the episode's marker
(:func:`content_marker`), the text of each upload the marker of that (episode, format) (:func:`upload_marker`).
Hashtags are ``#`` and lower-case letters, digits or ``_`` (:func:`normalise_hashtag`), each once, as many as the
platform takes. The limits come from :mod:`storyvid_assets.distribution.limits`.
"""

from __future__ import annotations

import hashlib
import re

from storyvid_assets.distribution.limits import (
    HASHTAG_IN_TEXT_RE,
    PlatformLimits,
    PostText,
    TextLimit,
    count_hashtags,
    limits_for,
    metadata_limits,
    platforms,
    text_length,
)
from storyvid_assets.errors import ConfigError
from storyvid_assets.models import (
    MetadataRequest,
    PlatformMetadata,
    PlatformMetadataItem,
    PostOptions,
    PublishItem,
    Story,
    format_slug,
)
from storyvid_assets.story import vocabulary

MARKER_PREFIX = "ref:sv-"
MARKER_CHARS_RE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
MARKER_RE = re.compile(r"ref:sv-([A-Za-z0-9_-]{4,64})")
HASHTAG_RE = re.compile(r"^#\w+$")
MAX_HASHTAG_CHARS = 40
SHORTS_TAG = "#Shorts"  # YouTube's own tag, kept in its spelling
TITLE_CAP = 150  # the longest title the builder writes, whatever the platform allows
LABELLED_TITLE_MAX = 100  # "Title | Label" only when it fits in this
ELLIPSIS = "…"
SENTENCE_END_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+")
WORD_RE = re.compile(r"[a-z']+")
TEASER_MAX_OVERLAP = 0.6


# -- markers ------------------------------------------------------------------------------------------------


def content_marker(partition_key: str) -> str:
    """The episode's marker: ``sv-`` and 12 hex digits of the hash of its partition key (``channel|date``)."""
    return "sv-" + hashlib.sha256(str(partition_key).encode()).hexdigest()[:12]


def upload_marker(content_marker: str, fmt: str) -> str:
    """Unique per (episode, format): the same episode's 16:9 video and 9:16 Short must not match each other."""
    return f"{content_marker}-{format_slug(fmt)}"


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
    """The content marker embedded in a description or caption, if any (the last one)."""
    found = MARKER_RE.findall(text)
    return found[-1] if found else None


def without_marker(text: str) -> str:
    """``text`` without its marker lines (an upload's text ends with the upload's own marker instead)."""
    if not MARKER_RE.search(text):
        return text
    return re.sub(r"\n{3,}", "\n\n", MARKER_RE.sub("", text)).strip()


# -- hashtags -----------------------------------------------------------------------------------------------


def normalise_hashtag(raw: str) -> str | None:
    """``"#Bedtime Stories!"`` -> ``"#bedtimestories"``; None when nothing usable is left."""
    word = "".join(ch for ch in raw.lower() if ch.isalnum() or ch == "_")
    if not word or word.isdigit() or len(word) > MAX_HASHTAG_CHARS:
        return None
    return "#" + word


def merge_hashtags(*groups: list[str]) -> list[str]:
    """The groups' hashtags normalised, in order (the first group first), each once."""
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
    """The first tags the platform takes: its preferred count, within its tag-length total."""
    chosen = tags[: min(limits.preferred_hashtags, limits.max_hashtags)]
    while limits.tags_total is not None and chosen and youtube_tags_length(chosen) > limits.tags_total:
        chosen = chosen[:-1]
    return chosen


# -- titles and descriptions --------------------------------------------------------------------------------


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


def title_limit(limits: PlatformLimits) -> TextLimit:
    """The title's limit; a post without a separate title carries it inside the caption, so the caption's."""
    return limits.title or limits.text


def fit_title(title: str, limits: PlatformLimits, label: str = "") -> str:
    """``title`` cleaned and cut to the platform; ``"Title | Label"`` where the post has a title and it fits."""
    title = clean(title, limits.forbidden_chars).replace("\n", " ") or "Untitled story"
    limit = title_limit(limits)
    if label and limits.title is not None:
        with_label = f"{title} | {clean(label, limits.forbidden_chars)}"
        if text_length(with_label, limit.unit) <= min(limit.max, LABELLED_TITLE_MAX):
            return with_label
    return truncate(title, min(limit.max, TITLE_CAP), limit.unit)


def fit_description(
    title: str, paragraphs: list[str], hashtags: list[str], content_marker: str, limits: PlatformLimits
) -> str:
    """Paragraphs in order of importance, each cut to what is left, then the hashtags; the marker ends the text.

    A caption-only post (no separate title) opens with the title.
    """
    forbidden = limits.forbidden_chars
    head = [clean(p, forbidden) for p in paragraphs]
    if limits.title is None and not (head and head[0].startswith(title)):
        head.insert(0, title)
    tail = [" ".join(hashtags), marker_line(content_marker)]
    unit, limit = limits.text.unit, limits.text.max
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


def fit_item(
    request: MetadataRequest,
    platform: str,
    title: str,
    paragraphs: list[str],
    hashtags: list[str],
    label: str = "",
    category: str | None = None,
) -> PlatformMetadataItem:
    """One platform's metadata item within its limits, whoever wrote the words (the builder or a model).

    ``hashtags``: the candidates in order of preference (the channel's first); normalised and cut here.
    """
    limits = metadata_limits(platform)
    tags = hashtags_for(merge_hashtags(hashtags), limits)
    fitted = fit_title(title, limits, label)
    return PlatformMetadataItem(
        platform=platform,  # type: ignore[arg-type]
        title=fitted,
        description=fit_description(fitted, paragraphs, tags, request.content_marker, limits),
        hashtags=tags,
        made_for_kids=request.audience == "kids",
        contains_synthetic_media=True,
        category_id=category if platform == "youtube" else None,
        language=request.story.language,
    )


def check_request(request: MetadataRequest) -> None:
    """Refuse unknown platforms and an unusable marker before anything is written."""
    unknown = [p for p in request.platforms if p not in platforms()]
    if unknown:
        raise ConfigError(
            "MetadataRequest", "platforms", f"unknown platforms {unknown}", f"use some of {platforms()}"
        )
    marker_line(request.content_marker)


def build_platform_metadata(request: MetadataRequest) -> PlatformMetadata:
    """One metadata item per requested platform, each within that platform's limits."""
    check_request(request)
    story = request.story
    label, genre_tags, category = genre_details(story.genre)
    paragraphs = [
        story.logline,
        teaser(story),
        f"More stories from {request.channel_display_name}. {disclosure(story)}",
    ]
    items = [
        fit_item(request, p, story.title, paragraphs, [*request.hashtags, *genre_tags], label, category)
        for p in dict.fromkeys(request.platforms)
    ]
    return PlatformMetadata(items=items, content_marker=request.content_marker)


def validate_metadata_item(item: PlatformMetadataItem, content_marker: str | None = None) -> list[str]:
    """Every way ``item`` breaks its platform's limits (empty when it is fine to upload)."""
    try:
        limits = metadata_limits(item.platform)
    except KeyError:
        return [f"unknown platform {item.platform!r}"]
    problems = []
    for field, text, limit in (
        ("title", item.title, title_limit(limits)),
        ("description", item.description, limits.text),
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
    count = max(len(item.hashtags), count_hashtags(f"{item.title}\n{item.description}"))
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


# -- the text of one upload ---------------------------------------------------------------------------------


def compose_text(item: PublishItem, options: PostOptions) -> PostText:
    """The title and description/caption sent for one upload: the metadata's text, every hashtag once (and
    ``#Shorts`` on a Short), ending with the upload's marker line instead of the episode's."""
    meta = item.metadata
    tags = merge_hashtags(meta.hashtags)
    if options.kind == "short" and SHORTS_TAG.lower() not in tags:
        tags.append(SHORTS_TAG)
    body = without_marker(meta.description.strip())
    present = {t.lower() for t in HASHTAG_IN_TEXT_RE.findall(body)}
    missing = [t for t in tags if t.lower() not in present]
    if missing:
        body = f"{body}\n\n{' '.join(missing)}"
    text = f"{body}\n\n{marker_line(options.marker)}"
    title = meta.title.strip() if limits_for(meta.platform, options.kind).title is not None else ""
    return PostText(title=title, text=text, tags=tuple(t.lstrip("#") for t in tags))

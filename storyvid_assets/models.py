"""Pydantic payloads that cross a boundary: between assets, providers, the catalog and the renderer.

Every asset's output is one of these models; the manifest IO manager stores it as JSON in the media
store, and media bytes live in the media store under the keys the models point to.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WORD_RE = re.compile(r"[A-Za-z0-9']+")

Audience = Literal["general", "kids"]
FormatName = Literal["16:9", "9:16", "1:1"]
Platform = Literal["local", "youtube", "instagram", "tiktok", "facebook"]

FORMAT_SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
}


def count_words(text: str) -> int:
    """Words as a reader counts them (letters, digits, apostrophes)."""
    return len(WORD_RE.findall(text))


def format_slug(fmt: str) -> str:
    """File-name-safe form of a format name: ``16:9`` -> ``16x9``."""
    return fmt.replace(":", "x")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- story


class Character(Frozen):
    name: str
    role: str  # e.g. "hero", "friend", "mentor", "antagonist"
    description: str  # short visual description reused in every image prompt


class Scene(Frozen):
    index: int = Field(ge=0)
    beat: str  # setup | inciting_incident | rising_action | climax | resolution
    narration: str
    image_prompt: str
    mood: str = "calm"


class Story(Frozen):
    title: str
    logline: str
    genre: str
    setting: str
    characters: list[Character]
    scenes: list[Scene]
    language: str = "en"
    provider: str  # which story writer produced it ("local", "script", "openai", ...)
    source: Literal["generated", "script"] = "generated"
    attempt: int = 1

    @property
    def text(self) -> str:
        return "\n\n".join(s.narration for s in self.scenes)

    @property
    def word_count(self) -> int:
        return count_words(self.text)


# --------------------------------------------------------------------------- voice & narration


class VoiceSettings(Frozen):
    voice: str = "en-us"  # provider voice id (espeak-ng voice name for the local provider)
    rate: int = Field(default=165, ge=80, le=450)  # words per minute
    pitch: int = Field(default=50, ge=0, le=99)
    language: str = "en"


class WordTiming(Frozen):
    text: str
    start: float  # seconds from the start of the narration audio
    end: float


class SentenceTiming(Frozen):
    text: str
    start: float
    end: float
    scene_index: int
    words: list[WordTiming]


class SceneSpan(Frozen):
    scene_index: int
    start: float
    end: float


class SpeechResult(BaseModel):
    """What a speech provider returns: mono 16-bit PCM WAV bytes and measured timings."""

    wav: bytes
    sample_rate: int
    duration: float
    sentences: list[SentenceTiming]
    scenes: list[SceneSpan]
    provider: str
    voice: str


class MediaRef(Frozen):
    """A file in the media store: its key, checksum and size."""

    key: str
    sha256: str
    bytes: int
    content_type: str


class Narration(Frozen):
    audio: MediaRef  # WAV
    duration: float
    sample_rate: int
    sentences: list[SentenceTiming]
    scenes: list[SceneSpan]
    srt: MediaRef
    vtt: MediaRef
    provider: str
    voice: str
    attempt: int = 1

    @property
    def words(self) -> list[WordTiming]:
        return [w for s in self.sentences for w in s.words]


# --------------------------------------------------------------------------- images & music


class ImageStyle(Frozen):
    mood: str = "calm"
    genre: str = "bedtime"
    seed: int = 0


class GeneratedImage(BaseModel):
    """What an image provider returns: the PNG, its size, who drew it and where its subject is."""

    png: bytes
    width: int
    height: int
    provider: str
    revised_prompt: str | None = None
    focal_point: tuple[float, float] | None = None  # the main subject, normalised (x, y): keep it in frame


class SceneImage(Frozen):
    scene_index: int
    image: MediaRef
    width: int
    height: int
    prompt: str
    provider: str
    focal_point: tuple[float, float] | None = None  # normalised (x, y) of the main subject


class SceneImages(Frozen):
    images: list[SceneImage]
    attempt: int = 1


class LicenceEvidence(Frozen):
    """Proof that a generated or licensed piece of media may be published."""

    provider: str
    licence_id: str
    terms: str
    prompt: str
    created_at: datetime


class MusicResult(BaseModel):
    wav: bytes
    sample_rate: int
    duration: float
    peak_dbfs: float
    licence: LicenceEvidence
    provider: str


class MusicBed(Frozen):
    audio: MediaRef
    duration: float
    mood: str
    peak_dbfs: float
    licence: LicenceEvidence
    provider: str
    attempt: int = 1


# --------------------------------------------------------------------------- video


class RenderedVideo(Frozen):
    format: str  # "16:9" | "9:16" | "1:1"
    video: MediaRef
    width: int
    height: int
    duration: float
    fps: float
    preset: str
    encoder: str
    metadata: dict[str, str | float | int | bool] = Field(default_factory=dict)


class EpisodeVideos(Frozen):
    videos: list[RenderedVideo]
    attempt: int = 1

    def by_format(self, fmt: str) -> RenderedVideo:
        for video in self.videos:
            if video.format == fmt:
                return video
        raise KeyError(f"no video in format {fmt!r}; rendered: {[v.format for v in self.videos]}")


class Thumbnail(Frozen):
    name: str  # e.g. "youtube_a", "cover_9x16_a"
    image: MediaRef
    width: int
    height: int
    variant: str  # "a" | "b"


class EpisodeThumbnails(Frozen):
    thumbnails: list[Thumbnail]
    scene_index: int  # the scene the thumbnails were made from


# --------------------------------------------------------------------------- publishing


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


class PlatformMetadataItem(Frozen):
    platform: Platform
    title: str
    description: str
    hashtags: list[str]
    made_for_kids: bool
    contains_synthetic_media: bool = True
    category_id: str | None = None
    language: str = "en"


class PlatformMetadata(Frozen):
    items: list[PlatformMetadataItem]
    content_marker: str  # unique marker for dedup, embedded in descriptions

    def for_platform(self, platform: str) -> PlatformMetadataItem:
        for item in self.items:
            if item.platform == platform:
                return item
        raise KeyError(f"no metadata for platform {platform!r}")


class PublishItem(Frozen):
    """One video handed to a publisher."""

    channel: str
    date: str
    format: str
    video_path: str  # local filesystem path of the rendered file
    video_sha256: str
    thumbnail_path: str | None
    captions_path: str | None  # SRT
    captions_burned_in: bool = True  # drawn into the picture: a caption track would show every line twice
    metadata: PlatformMetadataItem
    content_marker: str
    duration: float
    width: int
    height: int


class PlatformPost(Frozen):
    platform: Platform
    format: str
    post_id: str
    url: str
    status: str  # "published" | "processing" | "scheduled" | "deferred" | "failed"
    attempts: int = 1


class Publication(Frozen):
    posts: list[PlatformPost]
    library_index: str | None = None  # local library index.html path


# --------------------------------------------------------------------------- distribution (platform uploads)

PostKind = Literal["video", "short", "reel", "feed"]
UploadStatus = Literal[
    "pending",
    "uploading",
    "processing",
    "scheduled",
    "published",
    "deferred",
    "uncertain",
    "failed",
    "skipped",
    "in_progress",
]
POSTED_STATUSES = frozenset({"processing", "scheduled", "published"})


class PostOptions(Frozen):
    """How one video is posted on one platform: the kind of post, who sees it, when, and its dedup marker."""

    kind: PostKind = "video"
    privacy: Literal["public", "unlisted", "private"] = "public"
    publish_at: datetime | None = None  # scheduled publication (YouTube, Facebook); None = now
    marker: str  # unique per (episode, format): found among recent posts before anything is re-created
    account: str = "default"


class UploadOutcome(Frozen):
    """Where one (format, platform, account) upload stands after a publishing attempt."""

    platform: Platform
    format: str
    account: str = "default"
    kind: PostKind = "video"
    status: UploadStatus
    post_id: str | None = None
    url: str | None = None
    attempts: int = 0  # publishing runs that worked on this upload
    retries: int = 0  # step retries in the latest run
    error: str | None = None
    deferred_until: datetime | None = None
    alert: str | None = None  # the review item / admin alert opened for it


class Uploads(Frozen):
    """The ``uploads`` asset: every upload of the episode and its state."""

    outcomes: list[UploadOutcome]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class PostMetrics(Frozen):
    """Counters of one post as the platform reports them: that day's own figures (``daily``: YouTube
    Analytics) or the cumulative counters read on that day (``lifetime``: Instagram, TikTok, Facebook).
    ``None`` = not reported (not zero)."""

    platform: Platform
    post_id: str
    day: str
    kind: Literal["daily", "lifetime"] = "lifetime"
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    watch_time_s: float = 0.0
    avg_view_pct: float | None = None  # 0..100
    completion_rate: float | None = None  # 0..1
    revenue_usd: float | None = None
    extra: dict[str, float | int | str] = Field(default_factory=dict)


# --------------------------------------------------------------------------- cloud AI providers

ProviderTier = Literal["premium", "standard", "budget"]
UsageOutcome = Literal["served", "invalid", "failed", "skipped", "cache_hit"]


class ProviderUsage(Frozen):
    """What one provider call used and cost; the cost ledger stores one row per instance."""

    kind: str  # story | metadata | speech | images | music
    provider: str  # name in the fallback chain: "openai", "anthropic", "local", ...
    model: str
    tier: ProviderTier | None = None
    units: dict[str, float] = Field(default_factory=dict)  # input_tokens, output_tokens, characters, images, seconds
    cost_usd: float = 0.0
    outcome: UsageOutcome = "served"
    detail: str = ""  # why a call failed or was skipped (never holds a secret)

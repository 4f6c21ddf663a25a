"""Which rendered format goes to which platform, as what kind of post, with which text and options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storyvid_assets.channels import ChannelConfig
from storyvid_assets.distribution.text import upload_marker
from storyvid_assets.models import (
    EpisodeThumbnails,
    EpisodeVideos,
    PlatformMetadata,
    PostKind,
    PostOptions,
    PublishItem,
    RenderedVideo,
    Thumbnail,
)


@dataclass(frozen=True)
class PlannedUpload:
    platform: str
    format: str
    kind: PostKind | None
    item: PublishItem | None
    options: PostOptions | None
    problem: str | None = None  # why it cannot be attempted (format not rendered, no metadata, ...)


def cover_for(video: RenderedVideo, thumbnails: EpisodeThumbnails, variant: str = "a") -> Thumbnail | None:
    """The cover of ``video``: the ``variant`` (the episode's thumbnail A/B setting) of the thumbnails of its
    shape (else of its orientation, portrait vs landscape/square), else the first of them; None when none matches."""
    shape = video.width / video.height
    portrait = video.height > video.width
    same_shape = [t for t in thumbnails.thumbnails if abs(t.width / t.height - shape) <= 0.01 * shape]
    matching = same_shape or [t for t in thumbnails.thumbnails if (t.height > t.width) == portrait]
    return next((t for t in matching if t.variant == variant), matching[0] if matching else None)


def plan_uploads(
    channel: ChannelConfig,
    date: str,
    videos: EpisodeVideos,
    metadata: PlatformMetadata,
    thumbnails: EpisodeThumbnails,
    kinds: dict[str, dict[str, PostKind]],
    local_path: Callable[[str], str],
    captions_path: str | None,
    now: datetime,
) -> list[PlannedUpload]:
    """One planned upload per (platform the channel lists, format configured for it)."""
    plans: list[PlannedUpload] = []
    settings = channel.distribution
    for platform in channel.platforms:
        if platform == "local":
            continue
        for fmt in settings.formats_for(platform):
            kind = kinds.get(platform, {}).get(fmt)
            if kind is None:
                plans.append(
                    PlannedUpload(
                        platform,
                        fmt,
                        None,
                        None,
                        None,
                        f"{platform} takes no {fmt} posts; use {sorted(kinds.get(platform, {}))}",
                    )
                )
                continue
            try:
                video = videos.by_format(fmt)
            except KeyError:
                plans.append(
                    PlannedUpload(
                        platform, fmt, kind, None, None, f"{fmt} was not rendered; add it to the channel's formats"
                    )
                )
                continue
            try:
                meta = metadata.for_platform(platform)
            except KeyError:
                plans.append(
                    PlannedUpload(
                        platform, fmt, kind, None, None, f"platform_metadata has no {platform} entry; rematerialize it"
                    )
                )
                continue
            if channel.is_kids and not meta.made_for_kids:  # the channel's audience decides, whatever the writer said
                meta = meta.model_copy(update={"made_for_kids": True})
            cover = cover_for(video, thumbnails, channel.thumbnail_variant) if kind == "video" else None
            delay = settings.publish_delay_minutes.get(platform, 0)  # type: ignore[call-overload]
            item = PublishItem(
                channel=channel.name,
                date=date,
                format=fmt,
                video_path=local_path(video.video.key),
                video_sha256=video.video.sha256,
                thumbnail_path=local_path(cover.image.key) if cover else None,
                captions_path=captions_path,
                captions_burned_in=channel.captions,
                metadata=meta,
                content_marker=metadata.content_marker,
                duration=video.duration,
                width=video.width,
                height=video.height,
            )
            options = PostOptions(
                kind=kind,
                privacy=settings.privacy,
                marker=upload_marker(metadata.content_marker, fmt),
                publish_at=now + timedelta(minutes=delay) if delay else None,
                account=settings.account_for(platform),
            )
            plans.append(PlannedUpload(platform, fmt, kind, item, options))
    return plans

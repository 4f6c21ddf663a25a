"""Platform metadata and publication to the channel's platforms (the local library by default)."""

import dagster as dg

from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.assets.review_gate import require_cleared
from storyvid_assets.catalog.queries.episodes import set_episode_status
from storyvid_assets.catalog.queries.uploads import record_post
from storyvid_assets.distribution.plan import cover_for
from storyvid_assets.distribution.text import content_marker
from storyvid_assets.episode import Episode
from storyvid_assets.models import (
    EpisodeThumbnails,
    EpisodeVideos,
    MetadataRequest,
    Narration,
    PlatformMetadata,
    PlatformPost,
    Publication,
    PublishItem,
    Story,
)
from storyvid_assets.provider_config import POOLS
from storyvid_assets.resources.publisher import Publisher
from storyvid_assets.resources.scope import attribute, episode_scope
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.resources.story import StoryWriter


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"text"},
    io_manager_key="manifest_io_manager",
    pool=POOLS["metadata"],
)
def platform_metadata(
    context: dg.AssetExecutionContext, story: Story, story_writer: StoryWriter, catalog: CatalogResource
) -> dg.Output[PlatformMetadata]:
    """Title, description and hashtags for each platform the channel publishes to, within its limits."""
    episode = Episode.from_context(context, catalog)
    channel = episode.channel
    providers = episode_scope(context, episode.channel)
    with attribute(providers):
        result = story_writer.write_metadata(MetadataRequest(
            story=story, channel=channel.name, channel_display_name=channel.display_name, audience=channel.audience,
            platforms=list(dict.fromkeys(["local", *channel.platforms])), hashtags=channel.hashtags,
            content_marker=content_marker(episode.label),
        ))
    table = "| platform | title | chars | hashtags |\n|---|---|---|---|\n" + "\n".join(
        f"| {i.platform} | {i.title} | {len(i.description)} | {' '.join(i.hashtags)} |" for i in result.items
    )
    return dg.Output(result, metadata={"platforms": dg.MetadataValue.md(table), "marker": result.content_marker,
                                       **providers.metadata()})


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"html"},
    io_manager_key="manifest_io_manager",
)
def publication(
    context: dg.AssetExecutionContext,
    videos: EpisodeVideos,
    thumbnail: EpisodeThumbnails,
    platform_metadata: PlatformMetadata,
    narration: Narration,
    publisher: Publisher,
    catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.Output[Publication]:
    """Every rendered format published to the local channel library (``index.html`` plays them)."""
    episode = Episode.from_context(context, catalog)
    require_cleared(catalog, episode)  # held while a review item of this partition is unresolved
    meta = platform_metadata.for_platform("local")
    posts: list[PlatformPost] = []
    for video in videos.videos:
        cover = cover_for(video, thumbnail, episode.channel.thumbnail_variant)
        item = PublishItem(
            channel=episode.channel.name, date=episode.date, format=video.format,
            video_path=str(media_store.local_path(video.video.key)), video_sha256=video.video.sha256,
            thumbnail_path=str(media_store.local_path(cover.image.key)) if cover else None,
            captions_path=str(media_store.local_path(narration.srt.key)),
            captions_burned_in=episode.channel.captions, metadata=meta,
            content_marker=platform_metadata.content_marker, duration=video.duration, width=video.width,
            height=video.height,
        )
        post = publisher.publish(item)
        posts.append(post)
        context.log.info(f"published {video.format} as {post.post_id}: {post.url}")
    with catalog.session() as session:
        for video, post in zip(videos.videos, posts, strict=True):
            record_post(session, episode.channel.name, episode.date, video.video.sha256, post)
        set_episode_status(session, episode.channel.name, episode.date, "published")
    index = publisher.gallery_path()
    return dg.Output(Publication(posts=posts, library_index=str(index) if index else None), metadata={
        "posts": dg.MetadataValue.md("\n".join(f"- {p.format}: [{p.post_id}]({p.url})" for p in posts)),
        **({"index": dg.MetadataValue.path(str(index))} if index else {}),
    })

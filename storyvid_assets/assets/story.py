"""The story: title, logline, scenes with narration text and image prompts."""

import dagster as dg

from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.catalog.queries.configurations import merge_episode_features
from storyvid_assets.catalog.queries.episodes import record_story, set_episode_status
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.episode import Episode
from storyvid_assets.models import Story, StoryRequest
from storyvid_assets.provider_config import POOLS
from storyvid_assets.resources.scope import provider_scope
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.resources.story import StoryWriter
from storyvid_assets.story.script import find_script, parse_script, word_bound_warning


def story_request(episode: Episode) -> StoryRequest:
    channel = episode.channel
    return StoryRequest(
        channel=channel.name, channel_display_name=channel.display_name, date=episode.date,
        attempt=episode.attempt, language=channel.language, audience=channel.audience,
        genres=channel.genres, theme_pool=channel.theme_pool, **word_bounds(channel.target_words),
    )


def word_bounds(target_words: int | None) -> dict[str, int]:
    """The writer's word range around the channel's target length (±15 %); empty: the writer's default."""
    if target_words is None:
        return {}
    return {"min_words": round(target_words * 0.85), "max_words": round(target_words * 1.15)}


def story_markdown(story: Story) -> str:
    """The story as a person reads it in the UI."""
    cast = ", ".join(f"**{c.name}** ({c.role})" for c in story.characters)
    scenes = "\n\n".join(
        f"**Scene {s.index + 1} — {s.beat.replace('_', ' ')}**\n\n{s.narration}\n\n*Image: {s.image_prompt}*"
        for s in story.scenes
    )
    return f"# {story.title}\n\n_{story.logline}_\n\nCast: {cast}\n\nSetting: {story.setting}\n\n{scenes}\n"


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"python", "text"},
    io_manager_key="manifest_io_manager",
    pool=POOLS["story"],
)
def story(
    context: dg.AssetExecutionContext, story_writer: StoryWriter, catalog: CatalogResource, media_store: MediaStore
) -> dg.Output[Story]:
    """The episode's story: 300–500 words in 5–10 scenes, each with narration and an image prompt.

    Uses the operator's script at ``stories/<channel>/<date>.md`` when there is one.
    """
    episode = Episode.from_context(context, catalog)
    request = story_request(episode)
    script = find_script(episode.channel.name, episode.date)
    with provider_scope(context, episode.channel) as providers:
        written = parse_script(script, request) if script else story_writer.write_story(request)
    result = written.model_copy(update={"attempt": episode.attempt})
    warning = word_bound_warning(result, request) if script else None
    if warning:
        context.log.warning(f"{script}: {warning}")
    markdown = story_markdown(result)
    ref = media_store.put_bytes(episode.media_key("story", "story.md"), markdown.encode(), "text/markdown")
    with catalog.session() as session:
        record_story(session, episode.channel.name, episode.date, result)
        record_media(session, episode.channel.name, episode.date, "story", episode.attempt, ref)
        set_episode_status(session, episode.channel.name, episode.date, "in_progress", episode.attempt)
        merge_episode_features(session, episode.channel.name, episode.date,
                               {"genre": result.genre, "words": result.word_count})
    context.log.info(f"story '{result.title}': {result.word_count} words, {len(result.scenes)} scenes")
    return dg.Output(result, metadata={
        "preview": dg.MetadataValue.md(markdown),
        "title": result.title,
        "word_count": result.word_count,
        "scene_count": len(result.scenes),
        "provider": result.provider,
        "source": result.source,
        **({"script": dg.MetadataValue.path(str(script))} if script else {}),
        **({"warning": warning} if warning else {}),
        "attempt": episode.attempt,
        "path": dg.MetadataValue.path(str(media_store.local_path(ref.key))),
        **providers.metadata(),
    })

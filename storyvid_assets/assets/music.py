"""Music: a background bed as long as the narration, in the channel's mood."""

import dagster as dg

from storyvid_assets.assets.metadata import media_metadata
from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.catalog.queries.media import record_licence_evidence, record_media
from storyvid_assets.episode import Episode
from storyvid_assets.models import MusicBed, Narration
from storyvid_assets.provider_config import POOLS
from storyvid_assets.resources.music import MusicProvider
from storyvid_assets.resources.scope import provider_scope
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

TAIL_S = 2.0  # music runs a little past the narration so the end card is not silent


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"audio"},
    io_manager_key="manifest_io_manager",
    pool=POOLS["music"],
)
def music(
    context: dg.AssetExecutionContext, narration: Narration, music_provider: MusicProvider, catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.Output[MusicBed]:
    """Background music at least as long as the narration, with its licence evidence."""
    episode = Episode.from_context(context, catalog)
    mood = episode.channel.music.mood
    with provider_scope(context, episode.channel) as providers:
        composed = music_provider.compose(mood, narration.duration + TAIL_S, episode.seed)
    ref = media_store.put_bytes(episode.media_key("music", "music.wav"), composed.wav, "audio/wav")
    with catalog.session() as session:
        record_media(session, episode.channel.name, episode.date, "music", episode.attempt, ref,
                     {"licence": composed.licence.model_dump(mode="json")})
        record_licence_evidence(session, episode.channel.name, episode.date, "music", episode.attempt, ref,
                                composed.licence)
    bed = MusicBed(audio=ref, duration=composed.duration, mood=mood, peak_dbfs=composed.peak_dbfs,
                   licence=composed.licence, provider=composed.provider, attempt=episode.attempt)
    return dg.Output(bed, metadata={
        **media_metadata(media_store, ref),
        "duration_s": round(bed.duration, 3),
        "mood": mood,
        "peak_dbfs": round(bed.peak_dbfs, 2),
        "provider": bed.provider,
        "licence": dg.MetadataValue.json(bed.licence.model_dump(mode="json")),
        **providers.metadata(),
    })

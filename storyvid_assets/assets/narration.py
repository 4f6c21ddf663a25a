"""Narration: the story spoken, with measured sentence and word timings and caption files."""

import dagster as dg

from storyvid_assets.assets.metadata import media_metadata
from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.catalog.queries.configurations import merge_episode_features
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.episode import Episode
from storyvid_assets.models import Narration, Story
from storyvid_assets.provider_config import POOLS
from storyvid_assets.resources.scope import provider_scope
from storyvid_assets.resources.speech import SpeechProvider
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.speech.captions import build_cues, to_srt, to_vtt


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"audio"},
    io_manager_key="manifest_io_manager",
    pool=POOLS["speech"],
)
def narration(
    context: dg.AssetExecutionContext, story: Story, speech_provider: SpeechProvider, catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.Output[Narration]:
    """The narrator reads the story; timings are measured from the audio; SRT and WebVTT captions."""
    episode = Episode.from_context(context, catalog)
    voice = episode.channel.narrator
    context.log.info(f"narrating {len(story.scenes)} scenes, voice {voice.voice} ({type(speech_provider).__name__})")
    with provider_scope(context, episode.channel) as providers:
        spoken = speech_provider.synthesize([s.narration for s in story.scenes], voice)
    cues = build_cues(spoken.sentences, end_limit=spoken.duration)
    audio = media_store.put_bytes(episode.media_key("narration", "narration.wav"), spoken.wav, "audio/wav")
    srt = media_store.put_bytes(episode.media_key("narration", "captions.srt"), to_srt(cues).encode(), "text/srt")
    vtt = media_store.put_bytes(episode.media_key("narration", "captions.vtt"), to_vtt(cues).encode(), "text/vtt")
    with catalog.session() as session:
        for ref in (audio, srt, vtt):
            record_media(session, episode.channel.name, episode.date, "narration", episode.attempt, ref)
        merge_episode_features(session, episode.channel.name, episode.date, {"duration_s": round(spoken.duration, 2)})
    result = Narration(
        audio=audio, duration=spoken.duration, sample_rate=spoken.sample_rate, sentences=spoken.sentences,
        scenes=spoken.scenes, srt=srt, vtt=vtt, provider=spoken.provider, voice=spoken.voice,
        attempt=episode.attempt,
    )
    words = result.words
    return dg.Output(result, metadata={
        **media_metadata(media_store, audio),
        "duration_s": round(result.duration, 3),
        "sentences": len(result.sentences),
        "words": len(words),
        "words_per_minute": round(60 * len(words) / max(result.duration, 1e-6), 1),
        "caption_cues": len(cues),
        "srt_path": dg.MetadataValue.path(str(media_store.local_path(srt.key))),
        "vtt_path": dg.MetadataValue.path(str(media_store.local_path(vtt.key))),
        "provider": result.provider,
        "voice": result.voice,
        "first_words": dg.MetadataValue.md(
            "| word | start | end |\n|---|---|---|\n"
            + "\n".join(f"| {w.text} | {w.start:.2f} | {w.end:.2f} |" for w in words[:12])
        ),
        **providers.metadata(),
    })

"""Scene images: one illustration per scene, large enough for every format's crop."""

import dagster as dg

from storyvid_assets.assets.metadata import inline_thumbnail_md
from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.episode import Episode
from storyvid_assets.imaging.distinctness import Fingerprint, distinctness_of, fingerprint
from storyvid_assets.imaging.plan import understood_words
from storyvid_assets.models import ImageStyle, SceneImage, SceneImages, Story
from storyvid_assets.provider_config import POOLS
from storyvid_assets.resources.images import ImageProvider
from storyvid_assets.resources.scope import attribute, episode_scope
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

SCENE_IMAGE_SIZE = 2048  # square, so 16:9, 9:16 and 1:1 crops of 1920 px stay sharp


def words_table(rows: list[tuple[int, list[str], list[str]]]) -> str:
    """Per scene, the prompt words the local illustrator drew from and the ones it ignored (markdown)."""
    lines = ["| scene | understood | ignored |", "| --- | --- | --- |"]
    lines += [f"| {i + 1} | {', '.join(known)} | {', '.join(ignored)} |" for i, known, ignored in rows]
    return "\n".join(lines)


def distinctness_metadata(prints: list[Fingerprint]) -> dict[str, float | int]:
    """How different the episode's scene pictures are (dHash bits of 64, colour-histogram distance 0..1)."""
    if len(prints) < 2:
        return {}
    d = distinctness_of(prints)
    return {
        "distinct_median_dhash_bits": d.median_dhash_bits,
        "distinct_min_dhash_bits": d.min_dhash_bits,
        "distinct_median_histogram_distance": d.median_histogram_distance,
        "distinct_min_histogram_distance": d.min_histogram_distance,
    }


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"image"},
    io_manager_key="manifest_io_manager",
    pool=POOLS["images"],
)
def scene_images(
    context: dg.AssetExecutionContext, story: Story, image_provider: ImageProvider, catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.Output[SceneImages]:
    """One image per scene, drawn from the scene's prompt in the channel's mood."""
    episode = Episode.from_context(context, catalog)
    made: list[SceneImage] = []
    previews: list[str] = []
    prints: list[Fingerprint] = []
    words: list[tuple[int, list[str], list[str]]] = []
    providers = episode_scope(context)
    for scene in story.scenes:
        style = ImageStyle(mood=scene.mood, genre=story.genre, seed=episode.seed + scene.index)
        with attribute(providers):
            generated = image_provider.generate(scene.image_prompt, style, SCENE_IMAGE_SIZE, SCENE_IMAGE_SIZE)
        ref = media_store.put_bytes(episode.media_key("scene_images", f"scene-{scene.index:02d}.png"),
                                    generated.png, "image/png")
        made.append(SceneImage(scene_index=scene.index, image=ref, width=generated.width, height=generated.height,
                               prompt=scene.image_prompt, provider=generated.provider,
                               focal_point=getattr(generated, "focal_point", None)))
        previews.append(inline_thumbnail_md(generated.png, f"scene {scene.index + 1}", max_px=96))
        prints.append(fingerprint(generated.png))
        if generated.provider == "procedural":
            words.append((scene.index, *understood_words(scene.image_prompt)))
        context.log.info(f"scene {scene.index + 1}/{len(story.scenes)}: {generated.width}x{generated.height} "
                         f"from '{scene.image_prompt[:60]}'")
    with catalog.session() as session:
        for image in made:
            record_media(session, episode.channel.name, episode.date, "scene_images", episode.attempt, image.image,
                         {"prompt": image.prompt, "provider": image.provider})
    return dg.Output(SceneImages(images=made, attempt=episode.attempt), metadata={
        "count": len(made),
        "size": f"{made[0].width}x{made[0].height}",
        "provider": made[0].provider,
        "folder": dg.MetadataValue.path(str(media_store.local_path(made[0].image.key).parent)),
        "preview": dg.MetadataValue.md(" ".join(previews)),
        **distinctness_metadata(prints),
        **({"prompt_words": dg.MetadataValue.md(words_table(words))} if words else {}),
        **providers.metadata(),
    })

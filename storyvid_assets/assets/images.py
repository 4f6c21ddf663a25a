"""Scene images: one illustration per scene, large enough for every format's crop."""

import json

import dagster as dg

from storyvid_assets.assets.metadata import inline_thumbnail_md
from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.episode import Episode, PartialRegeneration, manifest_key, partial_regeneration
from storyvid_assets.imaging.distinctness import Fingerprint, distinctness_of, fingerprint
from storyvid_assets.imaging.plan import understood_words
from storyvid_assets.models import ImageStyle, SceneImage, SceneImages, Story
from storyvid_assets.provider_config import POOLS
from storyvid_assets.resources.images import ImageProvider
from storyvid_assets.resources.scope import attribute, episode_scope
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

SCENE_IMAGE_SIZE = 2048  # square, so 16:9, 9:16 and 1:1 crops of 1920 px stay sharp
SAFER_PROMPT = "; gentle, safe for all ages, nothing graphic"  # a redraw after a failed image gate


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


def reusable_images(media_store: MediaStore, partition: str, plan: PartialRegeneration | None
                    ) -> dict[int, SceneImage]:
    """The scenes an automatic regeneration keeps: the stored output's, when it is the attempt the plan names."""
    if plan is None:
        return {}
    key = manifest_key(partition, "scene_images")
    if not media_store.exists(key):
        return {}
    stored = SceneImages.model_validate(json.loads(media_store.read_bytes(key))["data"])
    if stored.attempt != plan.reuse_attempt:
        return {}
    return {i.scene_index: i for i in stored.images if i.scene_index not in plan.scenes}


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
    """One image per scene, drawn from the scene's prompt in the channel's mood.

    An automatic regeneration after a failed image gate redraws only the flagged scenes (new seed, prompt
    asking for a picture safe for all ages) and keeps the others.
    """
    episode = Episode.from_context(context, catalog)
    plan = partial_regeneration(context.run.tags)
    kept = reusable_images(media_store, context.partition_key, plan)
    made: list[SceneImage] = []
    previews: list[str] = []
    prints: list[Fingerprint] = []
    words: list[tuple[int, list[str], list[str]]] = []
    providers = episode_scope(context, episode.channel)
    for scene in story.scenes:
        key = episode.media_key("scene_images", f"scene-{scene.index:02d}.png")
        if scene.index in kept:
            png = media_store.read_bytes(kept[scene.index].image.key)
            made.append(kept[scene.index].model_copy(update={"image": media_store.put_bytes(key, png, "image/png")}))
            context.log.info(f"scene {scene.index + 1}/{len(story.scenes)}: kept from attempt {plan.reuse_attempt}")
        else:
            prompt = scene.image_prompt + (SAFER_PROMPT if plan else "")
            style = ImageStyle(mood=scene.mood, genre=story.genre, seed=episode.seed + scene.index)
            with attribute(providers):
                generated = image_provider.generate(prompt, style, SCENE_IMAGE_SIZE, SCENE_IMAGE_SIZE)
            png = generated.png
            made.append(SceneImage(scene_index=scene.index, image=media_store.put_bytes(key, png, "image/png"),
                                   width=generated.width, height=generated.height, prompt=prompt,
                                   provider=generated.provider, focal_point=getattr(generated, "focal_point", None)))
            if generated.provider == "procedural":
                words.append((scene.index, *understood_words(prompt)))
            context.log.info(f"scene {scene.index + 1}/{len(story.scenes)}: {generated.width}x{generated.height} "
                             f"from '{prompt[:60]}'")
        previews.append(inline_thumbnail_md(png, f"scene {scene.index + 1}", max_px=96))
        prints.append(fingerprint(png))
    with catalog.session() as session:
        for image in made:
            record_media(session, episode.channel.name, episode.date, "scene_images", episode.attempt, image.image,
                         {"prompt": image.prompt, "provider": image.provider})
    return dg.Output(SceneImages(images=made, attempt=episode.attempt), metadata={
        "count": len(made),
        "size": f"{made[0].width}x{made[0].height}",
        "provider": made[0].provider,
        **({"redrawn_scenes": ", ".join(str(i + 1) for i in sorted(plan.scenes)),
            "kept_from_attempt": plan.reuse_attempt} if plan else {}),
        "folder": dg.MetadataValue.path(str(media_store.local_path(made[0].image.key).parent)),
        "preview": dg.MetadataValue.md(" ".join(previews)),
        **distinctness_metadata(prints),
        **({"prompt_words": dg.MetadataValue.md(words_table(words))} if words else {}),
        **providers.metadata(),
    })

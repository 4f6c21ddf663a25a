"""Thumbnails: a 1280x720 YouTube thumbnail, a 9:16 cover and a cover for any other format the channel renders
(1:1), two variants each, from the most striking scene."""

# No `from __future__ import annotations` here: dagster 1.13.27 compares the `context` annotation
# with the class itself and rejects the string form.

import dagster as dg
from PIL import Image

from storyvid_assets.assets.metadata import inline_thumbnail_md
from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.episode import Episode
from storyvid_assets.models import EpisodeThumbnails, SceneImages, Story, Thumbnail
from storyvid_assets.render.thumbnail import encode_jpeg, make_thumbnail, striking_score, thumbnail_specs
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

VARIANTS = ("a", "b")


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"image"},
    io_manager_key="manifest_io_manager",
)
def thumbnail(
    context: dg.AssetExecutionContext,
    story: Story,
    scene_images: SceneImages,
    catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.Output[EpisodeThumbnails]:
    """The title set large over the most striking scene (colourfulness + contrast), variants a and b per size."""
    episode = Episode.from_context(context, catalog)
    scores = {
        img.scene_index: striking_score(Image.open(media_store.local_path(img.image.key)))
        for img in scene_images.images
    }
    best_index = max(scores, key=lambda i: scores[i])
    best = next(img for img in scene_images.images if img.scene_index == best_index)
    source = Image.open(media_store.local_path(best.image.key)).convert("RGB")
    made: list[Thumbnail] = []
    previews: list[str] = []
    for spec in thumbnail_specs(episode.channel.formats):
        for variant in VARIANTS:
            picture = make_thumbnail(
                source, story.title, spec, variant, best.focal_point, episode.channel.look.caption_highlight
            )
            data = encode_jpeg(picture)
            name = f"{spec.name}_{variant}"
            ref = media_store.put_bytes(episode.media_key("thumbnail", f"{name}.jpg"), data, "image/jpeg")
            made.append(Thumbnail(name=name, image=ref, width=spec.width, height=spec.height, variant=variant))
            previews.append(inline_thumbnail_md(data, name, max_px=120))
    with catalog.session() as session:
        for thumb in made:
            record_media(
                session,
                episode.channel.name,
                episode.date,
                "thumbnail",
                episode.attempt,
                thumb.image,
                {"variant": thumb.variant, "scene_index": best_index},
            )
    context.log.info(
        f"thumbnails from scene {best_index + 1} (score {scores[best_index]:.1f}; "
        f"others {', '.join(f'{s:.1f}' for i, s in sorted(scores.items()) if i != best_index)})"
    )
    return dg.Output(
        EpisodeThumbnails(thumbnails=made, scene_index=best_index),
        metadata={
            "scene_index": best_index,
            "striking_scores": dg.MetadataValue.json({str(i): round(s, 2) for i, s in sorted(scores.items())}),
            "sizes": ", ".join(f"{t.name} {t.width}x{t.height} {t.image.bytes // 1024} KB" for t in made),
            "folder": dg.MetadataValue.path(str(media_store.local_path(made[0].image.key).parent)),
            "preview": dg.MetadataValue.md(" ".join(previews)),
        },
    )

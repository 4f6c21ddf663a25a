"""The videos and thumbnail assets on synthetic upstream outputs (no other provider needed), checked by measurement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from PIL import Image

from storyvid_assets.assets.partitions import episode_partitions_def
from storyvid_assets.assets.thumbnails import thumbnail
from storyvid_assets.assets.videos import VIDEO_QC_CHECK, video_qc, videos
from storyvid_assets.episode import manifest_key
from storyvid_assets.models import FORMAT_SIZES, EpisodeThumbnails, EpisodeVideos, MediaRef, MusicBed, SceneImages
from storyvid_assets.resources.renderer import FFmpegRenderer
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_tests.probe import probe
from storyvid_tests.samples import synthetic_episode

PARTITION = "midnight|2026-11-21"  # 9:16 and 16:9
DURATION = 12.04  # not a whole number of frames at 10 fps: cues must still end inside the video

pytestmark = pytest.mark.slow


def _store_manifest(store: LocalMediaStore, asset: str, model: Any) -> None:
    data = model.model_dump(mode="json", exclude=set(type(model).model_computed_fields))
    envelope = {"model": f"{type(model).__module__}.{type(model).__qualname__}", "data": data}
    store.put_bytes(manifest_key(PARTITION, asset), json.dumps(envelope).encode(), "application/json")


def _stored(store: LocalMediaStore, path: Path, key: str, content_type: str) -> MediaRef:
    return store.put_bytes(key, path.read_bytes(), content_type)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYVID_HOME", str(home))
        mp.delenv("STORYVID_CATALOG_URL", raising=False)
        store = LocalMediaStore(root=str(home / "media"))
        resources = {
            "media_store": store,
            "manifest_io_manager": ManifestIOManager(media_store=store),
            "catalog": CatalogResource(url=f"sqlite:///{home / 'catalog.db'}"),
            "renderer": FFmpegRenderer(preset="draft", fps=10),
        }
        story, narration, images, wav, music_wav = synthetic_episode(home / "inputs", 4, DURATION, image_size=1024)
        base = "midnight/2026-11-21"
        narration = narration.model_copy(update={"audio": _stored(store, wav, f"{base}/narration.wav", "audio/wav")})
        scene_images = SceneImages(
            images=[
                img.model_copy(update={"image": _stored(store, path, f"{base}/{path.name}", "image/png")})
                for img, path in images
            ]
        )
        licence = {
            "provider": "synthetic",
            "licence_id": "test",
            "terms": "test",
            "prompt": "",
            "created_at": "2026-01-01T00:00:00Z",
        }
        music = MusicBed(
            audio=_stored(store, music_wav, f"{base}/music.wav", "audio/wav"),
            duration=DURATION + 2,
            mood="tense",
            peak_dbfs=-6.0,
            licence=licence,
            provider="synthetic",
        )
        for name, model in (
            ("story", story),
            ("narration", narration),
            ("scene_images", scene_images),
            ("music", music),
        ):
            _store_manifest(store, name, model)
        upstream = [
            dg.AssetSpec(k, partitions_def=episode_partitions_def()).with_io_manager_key("manifest_io_manager")
            for k in ("story", "narration", "scene_images", "music")
        ]
        result = dg.materialize(
            [*upstream, videos, video_qc, thumbnail],
            resources=resources,
            partition_key=PARTITION,
            selection=[videos, thumbnail],
            raise_on_error=False,
        )
        yield {"result": result, "store": store, "narration": narration, "home": home}


def test_materializes_and_passes_qc(rendered: dict[str, Any]) -> None:
    result: dg.ExecuteInProcessResult = rendered["result"]
    evaluations = result.get_asset_check_evaluations()
    assert result.success, [e.metadata for e in evaluations]
    assert [e.check_name for e in evaluations] == [VIDEO_QC_CHECK]
    assert evaluations[0].passed, evaluations[0].metadata
    sync = {k: v.value for k, v in evaluations[0].metadata.items() if k.endswith("caption_sync_within_0_1_s_pct")}
    assert sorted(sync) == ["16x9_caption_sync_within_0_1_s_pct", "9x16_caption_sync_within_0_1_s_pct"]
    assert all(share >= 95 for share in sync.values()), sync


def test_every_format_has_exact_size_and_duration(rendered: dict[str, Any]) -> None:
    made: EpisodeVideos = rendered["result"].output_for_node("videos")
    assert sorted(v.format for v in made.videos) == ["16:9", "9:16"]
    for video in made.videos:
        measured = probe(rendered["store"].local_path(video.video.key))
        assert (measured.width, measured.height) == FORMAT_SIZES[video.format]
        assert abs(measured.video_duration - rendered["narration"].duration) <= 0.25
        assert measured.audio_codec == "aac" and measured.fps == 10
        assert video.metadata["retried_with_draft"] is False


def test_thumbnails_sizes_and_variants(rendered: dict[str, Any]) -> None:
    thumbs: EpisodeThumbnails = rendered["result"].output_for_node("thumbnail")
    assert sorted(t.name for t in thumbs.thumbnails) == ["cover_9x16_a", "cover_9x16_b", "youtube_a", "youtube_b"]
    for thumb in thumbs.thumbnails:
        path = rendered["store"].local_path(thumb.image.key)
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.size == (thumb.width, thumb.height)
        assert path.stat().st_size < 2 * 1024 * 1024

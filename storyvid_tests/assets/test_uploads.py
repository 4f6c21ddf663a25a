"""The ``uploads`` asset through ``dagster.materialize``: four platforms (loopback fakes), one failing,
missing credentials, and the licence gate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from PIL import Image
from sqlalchemy import select

from storyvid_assets.assets.partitions import episode_partitions_def
from storyvid_assets.assets.uploads import uploads
from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries.media import record_media
from storyvid_assets.catalog.tables.core import PlatformUploadRow
from storyvid_assets.catalog.tables.distribution import DistributionAlertRow
from storyvid_assets.episode import manifest_key, partition_key
from storyvid_assets.models import (
    EpisodeThumbnails,
    EpisodeVideos,
    LicenceEvidence,
    MusicBed,
    Narration,
    PlatformMetadata,
    PlatformMetadataItem,
    Publication,
    RenderedVideo,
    Thumbnail,
    Uploads,
)
from storyvid_assets.reliability import reset_breakers
from storyvid_assets.resources.platforms import PLATFORM_CLIENTS, PLATFORM_RESOURCE_KEYS
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.manifest_io import ManifestIOManager
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_tests.distribution.conftest import FakeClock, client_for, new_fake, render_test_video
from storyvid_tests.fakes.platform_server import PlatformFake

DATE = "2026-11-25"
PARTITION = partition_key("bedtime", DATE)
UPSTREAM = ["publication", "platform_metadata", "videos", "thumbnail", "music", "narration"]
CHANNEL_YAML = """
name: bedtime
display_name: Moonlit Bedtime Stories
audience: kids
genres: [bedtime]
theme_pool: [a lost star finding its way home]
formats: ["16:9", "9:16"]
platforms: [local, youtube, instagram, tiktok, facebook]
hashtags: [bedtimestories]
distribution:
  formats: {facebook: ["16:9", "9:16"]}
  privacy: unlisted
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("upload-media")
    return {
        "16:9": render_test_video(folder / "v16x9.mp4", 1920, 1080),
        "9:16": render_test_video(folder / "v9x16.mp4", 1080, 1920),
    }


@pytest.fixture
def episode(storyvid_home: Path, rendered: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Upstream manifests and catalog rows of bedtime|2026-11-25, as the earlier assets leave them."""
    channels = storyvid_home / "channels"
    channels.mkdir()
    (channels / "bedtime.yaml").write_text(CHANNEL_YAML)
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(channels))
    store = LocalMediaStore(root=str(storyvid_home / "media"))
    catalog = CatalogResource(url=f"sqlite:///{storyvid_home / 'catalog.db'}")
    migrate(catalog.url)

    def put(key: str, path: Path, content_type: str) -> Any:
        target = store.scratch_dir() / Path(key).name
        target.write_bytes(path.read_bytes())
        return store.put_file(key, target, content_type)

    videos = EpisodeVideos(
        videos=[
            RenderedVideo(
                format=fmt,
                video=put(f"bedtime/{DATE}/videos/attempt-1/{fmt.replace(':', 'x')}.mp4", path, "video/mp4"),
                width=1920 if fmt == "16:9" else 1080,
                height=1080 if fmt == "16:9" else 1920,
                duration=3.0,
                fps=30,
                preset="test",
                encoder="libx264",
            )
            for fmt, path in rendered.items()
        ]
    )
    thumb_path = store.scratch_dir() / "thumb.jpg"
    Image.new("RGB", (1280, 720), (20, 40, 90)).save(thumb_path)
    thumbs = EpisodeThumbnails(
        scene_index=0,
        thumbnails=[
            Thumbnail(
                name="youtube_a",
                image=put(f"bedtime/{DATE}/thumbnail/attempt-1/youtube_a.jpg", thumb_path, "image/jpeg"),
                width=1280,
                height=720,
                variant="a",
            )
        ],
    )
    srt = store.put_bytes(
        f"bedtime/{DATE}/narration/attempt-1/narration.srt",
        b"1\n00:00:00,000 --> 00:00:02,000\nOnce upon a time\n",
        "application/x-subrip",
    )
    wav = store.put_bytes(f"bedtime/{DATE}/music/attempt-1/music.wav", b"RIFF....WAVE", "audio/wav")
    licence = LicenceEvidence(
        provider="synth",
        licence_id="synth-1",
        terms="Generated in-house; all rights held.",
        prompt="dreamy",
        created_at=datetime.now(UTC) - timedelta(hours=1),
    )
    music = MusicBed(audio=wav, duration=3.0, mood="dreamy", peak_dbfs=-3.0, licence=licence, provider="synth")
    with session_scope(catalog.url) as session:
        record_media(session, "bedtime", DATE, "music", 1, wav, {"licence": licence.model_dump(mode="json")})
    narration = Narration(
        audio=srt,
        duration=3.0,
        sample_rate=22050,
        sentences=[],
        scenes=[],
        srt=srt,
        vtt=srt,
        provider="espeak",
        voice="en-us",
    )
    meta = PlatformMetadata(
        content_marker="sv-0123456789ab",
        items=[
            PlatformMetadataItem(
                platform=p,
                title="The Lost Star",
                description="A little star finds its way home.",
                hashtags=["bedtimestories"],
                made_for_kids=True,
            )
            for p in ("local", "youtube", "instagram", "tiktok", "facebook")
        ],
    )
    manifests = {
        "publication": Publication(posts=[]),
        "platform_metadata": meta,
        "videos": videos,
        "thumbnail": thumbs,
        "music": music,
        "narration": narration,
    }
    for name, model in manifests.items():
        envelope = {
            "model": f"{type(model).__module__}.{type(model).__qualname__}",
            "data": model.model_dump(mode="json"),
        }
        store.put_bytes(manifest_key(str(PARTITION), name), json.dumps(envelope).encode(), "application/json")
    return {"store": store, "catalog": catalog, "videos": videos}


@pytest.fixture
def fakes() -> Iterator[dict[str, PlatformFake]]:
    reset_breakers()
    clock = FakeClock()
    started = {p: new_fake(p, clock).start() for p in PLATFORM_CLIENTS}
    yield started
    for fake in started.values():
        fake.stop()
    reset_breakers()


def materialize(episode: dict[str, Any], clients: dict[str, Any]) -> dg.ExecuteInJobResult:
    upstream = [
        dg.AssetSpec(name, partitions_def=episode_partitions_def()).with_io_manager_key("manifest_io_manager")
        for name in UPSTREAM
    ]
    resources = {
        "media_store": episode["store"],
        "catalog": episode["catalog"],
        "manifest_io_manager": ManifestIOManager(media_store=episode["store"]),
        **clients,
    }
    return dg.materialize(
        [uploads, *upstream], selection=[uploads], partition_key=PARTITION, resources=resources, raise_on_error=False
    )


def statuses(result: dg.ExecuteInJobResult) -> dict[tuple[str, str], str]:
    output: Uploads = result.output_for_node("uploads")
    return {(o.platform, o.format): o.status for o in output.outcomes}


def test_publishes_every_format_to_every_platform_and_contains_one_failure(
    episode: dict[str, Any], fakes: dict[str, PlatformFake]
) -> None:
    fakes["tiktok"].inject("http_503", "init", times=50)  # TikTok is down for the whole run
    clients = {PLATFORM_RESOURCE_KEYS[p]: client_for(p, fake) for p, fake in fakes.items()}
    result = materialize(episode, clients)

    assert result.success
    assert statuses(result) == {
        ("youtube", "16:9"): "processing",
        ("youtube", "9:16"): "processing",
        ("instagram", "9:16"): "published",
        ("tiktok", "9:16"): "failed",
        ("facebook", "16:9"): "published",
        ("facebook", "9:16"): "published",
    }
    for platform, expected in (("youtube", 2), ("instagram", 1), ("tiktok", 0), ("facebook", 2)):
        assert len(fakes[platform].posts) == expected, platform
    sha = {v.format: v.video.sha256 for v in episode["videos"].videos}
    assert {p.sha256 for p in fakes["youtube"].posts} == {sha["16:9"], sha["9:16"]}
    assert fakes["youtube"].posts[0].meta["status"]["privacyStatus"] == "unlisted"
    metadata = result.asset_materializations_for_node("uploads")[0].metadata
    assert metadata["failed"].value == 1 and metadata["posted"].value == 5
    assert "| tiktok | 9:16 | video | failed |" in metadata["uploads"].value
    with session_scope(episode["catalog"].url) as session:
        rows = {(r.platform, r.format): r for r in session.scalars(select(PlatformUploadRow))}
        assert rows[("youtube", "9:16")].url.startswith("https://www.youtube.com/shorts/")
        assert (
            rows[("tiktok", "9:16")].status == "failed" and "gave up after 3 attempts" in rows[("tiktok", "9:16")].error
        )
        [alert] = session.scalars(select(DistributionAlertRow)).all()
        assert (alert.platform, alert.state) == ("tiktok", "open")

    fakes["tiktok"].clear_faults()  # TikTok is back: a rerun posts only what is missing
    again = materialize(episode, clients)
    assert again.success and statuses(again)[("tiktok", "9:16")] == "published"
    assert [len(f.posts) for f in fakes.values()] == [2, 1, 1, 2]
    with session_scope(episode["catalog"].url) as session:
        assert session.scalars(select(DistributionAlertRow)).one().state == "resolved"


def test_platforms_without_credentials_are_skipped_with_a_clear_message(
    episode: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for cls in PLATFORM_CLIENTS.values():
        for var in {**cls.required_env, **cls.optional_env}.values():
            monkeypatch.delenv(var, raising=False)
    clients = {PLATFORM_RESOURCE_KEYS[p]: cls.from_env() for p, cls in PLATFORM_CLIENTS.items()}
    result = materialize(episode, clients)
    assert result.success
    output: Uploads = result.output_for_node("uploads")
    assert {o.status for o in output.outcomes} == {"skipped"}
    youtube = next(o for o in output.outcomes if o.platform == "youtube")
    assert "YOUTUBE_REFRESH_TOKEN" in (youtube.error or "") and "youtube credentials" in (youtube.error or "")


def test_licence_gate_blocks_every_upload(episode: dict[str, Any], fakes: dict[str, PlatformFake]) -> None:
    with session_scope(episode["catalog"].url) as session:
        from storyvid_assets.catalog.tables.core import MediaAssetRow

        row = session.scalars(select(MediaAssetRow).filter_by(asset="music")).one()
        row.details = {}  # the evidence never reached the catalog
    clients = {PLATFORM_RESOURCE_KEYS[p]: client_for(p, fake) for p, fake in fakes.items()}
    result = materialize(episode, clients)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "Licence evidence gate" in str(failure.event_specific_data.error)
    assert "carries no licence evidence" in str(failure.event_specific_data.error)
    assert all(not fake.seen for fake in fakes.values()), "no request reached any platform"
    with session_scope(episode["catalog"].url) as session:
        assert session.scalars(select(PlatformUploadRow)).all() == []
        assert "licence gate" in session.scalars(select(DistributionAlertRow)).one().reason

"""The whole graph for one partition, offline, with small render settings: what a newcomer's demo makes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.tables.core import MediaAssetRow, PlatformUploadRow, StoryRow, VideoRow
from storyvid_assets.channels import get_channel
from storyvid_assets.models import EpisodeVideos, Narration, Publication, Story
from storyvid_assets.resources.storage.media_store import sha256_file
from storyvid_assets.speech.captions import parse_srt
from storyvid_tests.probe import probe

CHANNEL, DATE = "bedtime", "2026-11-20"
pytestmark = pytest.mark.slow


def catalog_counts(catalog_url: str) -> dict[str, int]:
    with session_scope(catalog_url) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (StoryRow, VideoRow, PlatformUploadRow, MediaAssetRow)
        }


class Episode:
    def __init__(self, home: Path, runs: list[Any], counts_after_first: dict[str, int]) -> None:
        self.home = home
        self.runs = runs
        self.result = runs[0]
        self.catalog_url = f"sqlite:///{home / 'catalog.db'}"
        self.counts_after_first = counts_after_first

    def output(self, name: str) -> Any:
        return self.result.output_for_node(name)


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Episode]:
    from storyvid_assets.resources.renderer import FFmpegRenderer
    from storyvid_assets.resources.sets import local_resources
    from storyvid_assets.runner import run_episode

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYVID_HOME", str(home))
        mp.delenv("STORYVID_CATALOG_URL", raising=False)
        resources = local_resources(renderer=FFmpegRenderer(preset="draft", fps=10))
        first = run_episode(CHANNEL, DATE, resources=resources)
        counts = catalog_counts(f"sqlite:///{home / 'catalog.db'}")
        second = run_episode(CHANNEL, DATE, resources=resources)  # the same partition again
        yield Episode(home, [first, second], counts)


def test_every_step_succeeded(episode: Episode) -> None:
    for run in episode.runs:
        assert run.success
        failed_checks = [e for e in run.get_asset_check_evaluations() if not e.passed]
        assert failed_checks == []


def test_story_shape(episode: Episode) -> None:
    story: Story = episode.output("story")
    assert 300 <= story.word_count <= 500
    assert 5 <= len(story.scenes) <= 10
    assert all(scene.image_prompt for scene in story.scenes)


def test_videos_have_the_right_size_duration_and_audio(episode: Episode) -> None:
    narration: Narration = episode.output("narration")
    videos: EpisodeVideos = episode.output("videos")
    media = episode.home / "media"
    assert sorted(v.format for v in videos.videos) == sorted(get_channel(CHANNEL).formats)
    expected = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}
    for video in videos.videos:
        measured = probe(media / video.video.key)
        assert (measured.width, measured.height) == expected[video.format]
        assert measured.video_codec == "h264" and measured.pix_fmt == "yuv420p"
        assert measured.audio_codec == "aac"
        assert abs(measured.video_duration - narration.duration) <= 0.25, video.format


def test_captions_cover_the_narration(episode: Episode) -> None:
    narration: Narration = episode.output("narration")
    cues = parse_srt((episode.home / "media" / narration.srt.key).read_text())
    assert cues
    assert abs(cues[-1].end - narration.duration) <= 0.5
    assert all(a.end <= b.start + 1e-6 for a, b in itertools.pairwise(cues))


def test_library_lists_the_episode(episode: Episode) -> None:
    publication: Publication = episode.output("publication")
    index = Path(publication.library_index).read_text()
    for post in publication.posts:
        assert f'data-post-id="{post.post_id}"' in index
    assert index.count("<video") == len(get_channel(CHANNEL).formats)


def test_library_plays_each_format_with_its_own_poster_and_no_second_set_of_captions(episode: Episode) -> None:
    """Captions are burned in: the WebVTT track is offered but not on by default; a 1:1 video gets a 1:1 cover."""
    from PIL import Image

    from storyvid_assets.distribution.library import library_items

    publication: Publication = episode.output("publication")
    index = Path(publication.library_index).read_text()
    assert index.count("<track") == len(get_channel(CHANNEL).formats) and " default>" not in index
    items = library_items(Path(publication.library_index).parent)
    assert sorted(item.format for _, item in items) == sorted(get_channel(CHANNEL).formats)
    for folder, item in items:
        assert item.thumbnail
        with Image.open(folder / item.thumbnail) as poster:
            assert abs(poster.width / poster.height - item.width / item.height) < 0.01, item.format


def test_rerun_keeps_one_row_per_story_video_and_publication(episode: Episode) -> None:
    formats = len(get_channel(CHANNEL).formats)
    assert catalog_counts(episode.catalog_url) == episode.counts_after_first
    with session_scope(episode.catalog_url) as session:
        assert session.scalar(select(func.count()).select_from(StoryRow)) == 1
        assert session.scalar(select(func.count()).select_from(VideoRow)) == formats
        local = select(func.count()).select_from(PlatformUploadRow).where(PlatformUploadRow.platform == "local")
        assert session.scalar(local) == formats


def test_catalog_checksums_match_the_media_files(episode: Episode) -> None:
    with session_scope(episode.catalog_url) as session:
        rows = session.scalars(select(MediaAssetRow)).all()
        assert {r.asset for r in rows} >= {"story", "narration", "scene_images", "music", "videos"}
        for row in rows:
            assert sha256_file(episode.home / "media" / row.key) == row.sha256, row.key
        assert all("/attempt-1/" in r.key for r in rows)

"""Timeline assembly from an episode's pieces, and what QC expects of each rendered file."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.channels import ChannelConfig, LookSettings, MusicSettings
from storyvid_assets.models import FORMAT_SIZES, MediaRef, MusicBed, RenderedVideo, SceneImages
from storyvid_assets.render.assemble import episode_timeline, music_gain_db, qc_expectations
from storyvid_assets.render.timeline import build_timeline
from storyvid_tests.samples import synthetic_episode

LICENCE = {"provider": "synthetic", "licence_id": "t", "terms": "t", "prompt": "", "created_at": "2026-01-01T00:00:00Z"}


def bed(peak_dbfs: float, key: str = "music.wav") -> MusicBed:
    ref = MediaRef(key=key, sha256="0" * 64, bytes=1, content_type="audio/wav")
    return MusicBed(audio=ref, duration=20.0, mood="calm", peak_dbfs=peak_dbfs, licence=LICENCE, provider="synthetic")


@pytest.mark.parametrize(
    ("peak", "volume", "gain"),
    [(-6.0, -20.0, -14.0), (0.0, -20.0, -20.0), (float("-inf"), -18.0, -18.0), (1.5, -20.0, -20.0)],
)
def test_music_peaks_at_the_channel_volume(peak: float, volume: float, gain: float) -> None:
    assert music_gain_db(bed(peak), volume) == pytest.approx(gain)


def test_episode_timeline_uses_the_channel_and_local_paths(tmp_path: Path) -> None:
    story, narration, images, wav, music_path = synthetic_episode(tmp_path, 4, 16.0, image_size=256, seed=3)
    channel = ChannelConfig(
        name="test",
        display_name="Test Channel",
        genres=["bedtime"],
        theme_pool=["x"],
        music=MusicSettings(volume_db=-24.0),
        look=LookSettings(),
        captions=False,
    )
    music = bed(-6.0, key=music_path.name)
    timeline = episode_timeline(
        story, narration, SceneImages(images=[i for i, _ in images]), music, channel, 11, lambda key: tmp_path / key
    )
    expected = build_timeline(
        story, narration, images, wav, music_path, channel.look, False, "Test Channel", music_gain_db=-18.0, seed=11
    )
    assert timeline == expected
    assert timeline.audio.music_path == str(music_path) and timeline.audio.narration_path == str(wav)
    assert [s.image_path for s in timeline.scenes] == [str(p) for _, p in images]


def test_qc_expectations_follow_the_format_and_the_timeline(tmp_path: Path) -> None:
    story, narration, images, wav, music_path = synthetic_episode(tmp_path, 3, 12.0, image_size=128, seed=2)
    timeline = build_timeline(story, narration, images, wav, music_path, LookSettings(), True, "C")
    ref = MediaRef(key="v.mp4", sha256="0" * 64, bytes=1, content_type="video/mp4")
    video = RenderedVideo(
        format="9:16", video=ref, width=1, height=1, duration=12.0, fps=10.0, preset="draft", encoder="libx264",
        metadata={"target_fps": 10},
    )
    expected = qc_expectations(video, timeline, narration.duration)
    assert (expected.width, expected.height) == FORMAT_SIZES["9:16"]
    assert expected.fps == 10.0 and expected.narration_duration == narration.duration
    assert expected.target_lufs == timeline.audio.target_lufs
    assert expected.intended_dark == timeline.intended_dark_intervals()

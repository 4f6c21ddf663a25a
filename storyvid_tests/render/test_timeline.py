"""The timeline follows the narration; moves keep the subject in frame; the compiled video puts it where planned."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyvid_assets.channels import LookSettings
from storyvid_assets.models import FORMAT_SIZES, SceneImage
from storyvid_assets.render.compiler import scene_frames, total_frames, view_rect
from storyvid_assets.render.encoders import LIBX264
from storyvid_assets.render.engine import render_format
from storyvid_assets.render.timeline import (
    AudioMix,
    CaptionTrack,
    Motion,
    Timeline,
    TimelineScene,
    Transition,
    build_timeline,
    choose_motion,
    motion_sequence,
)
from storyvid_tests.samples import synthetic_episode

MOTIONS = ["zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down"]


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return synthetic_episode(tmp_path_factory.mktemp("ep"), 6, 30.0, image_size=256, seed=4)


@pytest.fixture(scope="module")
def timeline(episode) -> Timeline:  # type: ignore[no-untyped-def]
    story, narration, images, wav, music = episode
    return build_timeline(story, narration, images, wav, music, LookSettings(), True, "Channel", seed=9)


def test_scenes_change_in_the_pause_between_scenes(timeline: Timeline, episode) -> None:  # type: ignore[no-untyped-def]
    narration = episode[1]
    assert [s.index for s in timeline.scenes] == [s.scene_index for s in narration.scenes]
    words = narration.words
    for scene in timeline.scenes[1:]:
        assert scene.transition_in is not None
        # no word is being spoken at the cut, and a fade through black only happens in silence
        assert not any(w.start < scene.start < w.end for w in words)
        if scene.transition_in.kind == "fade_black":
            assert not any(w.start < scene.transition_in.end and w.end > scene.transition_in.start for w in words)


def test_transitions_fit_between_their_neighbours(timeline: Timeline) -> None:
    for prev, scene in zip(timeline.scenes, timeline.scenes[1:], strict=False):
        assert prev.start < scene.transition_in.start < scene.transition_in.end < scene.end  # type: ignore[union-attr]


def test_frame_ranges_tile_the_video(timeline: Timeline) -> None:
    for fps in (10, 30):
        frames = scene_frames(timeline, fps)
        assert frames[0].first == 0 and frames[-1].last == total_frames(timeline, fps)
        assert all(b.first < a.last for a, b in itertools.pairwise(frames))  # overlaps = transitions


def test_moves_vary() -> None:
    kinds = motion_sequence(12, seed=3)
    assert kinds[0] == "zoom_in"
    assert all(a != b for a, b in itertools.pairwise(kinds))
    assert len(set(kinds)) >= 4


@pytest.mark.parametrize("kind", MOTIONS)
@pytest.mark.parametrize("focus", [(0.5, 0.5), (0.05, 0.95), (0.9, 0.1), (0.3, 0.7)])
@pytest.mark.parametrize("image_size", [(2048, 2048), (1792, 1024), (1024, 1792)])
def test_subject_stays_in_frame_in_every_format(
    kind: str, focus: tuple[float, float], image_size: tuple[int, int]
) -> None:
    motion = choose_motion(kind, focus)  # type: ignore[arg-type]
    iw, ih = image_size
    for width, height in FORMAT_SIZES.values():
        for step in range(11):
            rect = view_rect(motion, iw, ih, width, height, step / 10)
            assert rect.x >= -1e-6 and rect.y >= -1e-6 and rect.x + rect.w <= iw + 1e-6 and rect.y + rect.h <= ih + 1e-6
            assert rect.contains(focus[0] * iw, focus[1] * ih)
            assert abs(rect.w / rect.h - width / height) < 1e-6  # a crop, never letterboxed or stretched


def _dot_image(path: Path, focus: tuple[float, float], size: int = 1024) -> Path:
    image = Image.new("RGB", (size, size), (60, 70, 80))
    draw = ImageDraw.Draw(image)
    for i in range(0, size, 64):  # texture, so the encoder has something to do
        draw.line([(i, 0), (i, size)], fill=(90, 90, 100), width=3)
    x, y, r = focus[0] * size, focus[1] * size, 10
    draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 0, 0))
    image.save(path)
    return path


def _red_centroid(frame: np.ndarray) -> tuple[float, float]:
    mask = (frame[..., 0] > 170) & (frame[..., 1] < 90) & (frame[..., 2] < 90)
    ys, xs = np.nonzero(mask)
    assert len(xs) > 20, "subject marker not visible"
    return float(xs.mean()), float(ys.mean())


@pytest.mark.parametrize(("kind", "fmt"), [("zoom_in", "16:9"), ("pan_right", "9:16"), ("zoom_out", "1:1")])
def test_rendered_move_puts_the_subject_where_the_timeline_says(tmp_path: Path, kind: str, fmt: str) -> None:
    focus = (0.62, 0.38)
    image = _dot_image(tmp_path / "dot.png", focus)
    motion: Motion = choose_motion(kind, focus)  # type: ignore[arg-type]
    silent = AudioMix(narration_path=str(image))  # unused: rendered without audio
    timeline = Timeline(
        duration=3.0,
        captions=CaptionTrack(enabled=False),
        audio=silent,
        fade_in_s=0,
        fade_out_s=0,
        scenes=[
            TimelineScene(
                index=0, image_path=str(image), image_width=1024, image_height=1024, start=0, end=3.0, motion=motion
            )
        ],
    )
    fps = 10
    result = render_format(timeline, fmt, None, tmp_path / "out.mp4", tmp_path, "standard", fps, LIBX264)
    width, height = FORMAT_SIZES[fmt]
    n = total_frames(timeline, fps)
    with av.open(result.path) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == n
    for index in (0, n // 2, n - 1):
        rect = view_rect(motion, 1024, 1024, width, height, index / (n - 1))
        want_x = (focus[0] * 1024 - rect.x) / rect.w * width
        want_y = (focus[1] * 1024 - rect.y) / rect.h * height
        got_x, got_y = _red_centroid(frames[index])
        assert abs(got_x - want_x) <= 2.5 and abs(got_y - want_y) <= 2.5, (index, (got_x, got_y), (want_x, want_y))


def test_missing_scene_image_is_a_clear_error(episode) -> None:  # type: ignore[no-untyped-def]
    story, narration, images, wav, music = episode
    with pytest.raises(ValueError, match="no image for scenes"):
        build_timeline(story, narration, images[:-1], wav, music, LookSettings(), True, "Channel")


def test_scene_images_keep_their_focal_points(timeline: Timeline, episode) -> None:  # type: ignore[no-untyped-def]
    images: list[tuple[SceneImage, Path]] = episode[2]
    focal = {img.scene_index: img.focal_point for img, _ in images}
    assert all(scene.motion.focus == focal[scene.index] for scene in timeline.scenes)


@pytest.mark.parametrize("kind", ["crossfade", "fade_black", "slide"])
def test_transitions_blend_only_their_frames(tmp_path: Path, kind: str) -> None:
    colours = [(220, 40, 40), (40, 60, 220)]
    paths = []
    for i, colour in enumerate(colours):
        paths.append(tmp_path / f"c{i}.png")
        Image.new("RGB", (640, 640), colour).save(paths[-1])
    hold = choose_motion("pan_left", (0.5, 0.5)).model_copy(update={"pan": (0.0, 0.0)})
    transition = Transition(kind=kind, at=2.0, duration=1.0, direction="left")  # type: ignore[arg-type]
    timeline = Timeline(
        duration=4.0,
        captions=CaptionTrack(enabled=False),
        audio=AudioMix(narration_path="unused"),
        fade_in_s=0,
        fade_out_s=0,
        scenes=[
            TimelineScene(
                index=0, image_path=str(paths[0]), image_width=640, image_height=640, start=0, end=2.0, motion=hold
            ),
            TimelineScene(
                index=1,
                image_path=str(paths[1]),
                image_width=640,
                image_height=640,
                start=2.0,
                end=4.0,
                motion=hold,
                transition_in=transition,
            ),
        ],
    )
    fps = 10
    result = render_format(timeline, "16:9", None, tmp_path / "t.mp4", tmp_path, "draft", fps, LIBX264)
    with av.open(result.path) as container:
        frames = [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(video=0)]
    assert len(frames) == 40
    red, blue = np.array(colours[0], float), np.array(colours[1], float)

    def near(pixel: np.ndarray, colour: np.ndarray) -> bool:
        return bool(np.abs(pixel - colour).max() < 25)

    assert near(frames[10][540, 960], red) and near(frames[14][540, 960], red)  # before the transition (1.5-2.5 s)
    assert near(frames[26][540, 960], blue) and near(frames[35][540, 960], blue)  # after it
    middle = frames[20]
    if kind == "crossfade":
        assert not near(middle[540, 960], red) and not near(middle[540, 960], blue)
        assert np.abs(middle[540, 960] - (red + blue) / 2).max() < 45
    elif kind == "fade_black":
        assert middle.mean() < 40
    else:  # the new scene covers the right part of the frame, sliding leftwards
        assert near(middle[540, 100], red) and near(middle[540, 1800], blue)

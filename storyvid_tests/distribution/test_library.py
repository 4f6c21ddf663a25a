from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyvid_assets.distribution.library import library_items
from storyvid_assets.models import FORMAT_SIZES, PlatformMetadataItem, PublishItem
from storyvid_assets.resources.publisher import LocalPublisher


def make_item(
    tmp_path: Path,
    fmt: str,
    title: str = "The Owl <Who> Sang",
    thumbnail: Path | None = None,
    burned_in: bool = True,
) -> PublishItem:
    video = tmp_path / f"in-{fmt.replace(':', 'x')}.mp4"
    video.write_bytes(b"not really a video")
    srt = tmp_path / "captions.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    srt.with_suffix(".vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n")
    meta = PlatformMetadataItem(
        platform="local", title=title, description="A gentle tale.\nref:sv-1", hashtags=["#owl"], made_for_kids=True
    )
    width, height = FORMAT_SIZES[fmt]
    return PublishItem(
        channel="bedtime",
        date="2026-11-01",
        format=fmt,
        video_path=str(video),
        video_sha256="ab",
        thumbnail_path=str(thumbnail) if thumbnail else None,
        captions_path=str(srt),
        captions_burned_in=burned_in,
        metadata=meta,
        content_marker="sv-1",
        duration=12.5,
        width=width,
        height=height,
    )


def test_publishing_twice_keeps_one_item_and_a_playable_index(tmp_path: Path) -> None:
    publisher = LocalPublisher(root=str(tmp_path / "library"))
    first = publisher.publish(make_item(tmp_path, "9:16"))
    again = publisher.publish(make_item(tmp_path, "9:16"))
    publisher.publish(make_item(tmp_path, "16:9"))
    assert first.post_id == again.post_id == "bedtime-2026-11-01-9x16"
    items = sorted((tmp_path / "library").glob("*/*/*/item.json"))
    assert len(items) == 2
    record = json.loads(items[1].read_text())
    assert record["title"] == "The Owl <Who> Sang" and record["vtt"] == "captions.vtt"
    index = publisher.gallery_path().read_text()
    assert index.count("<video") == 2
    assert 'src="bedtime/2026-11-01/9x16/video.mp4"' in index
    assert "The Owl &lt;Who&gt; Sang" in index  # escaped
    assert '<track kind="captions" src="bedtime/2026-11-01/9x16/captions.vtt"' in index


@pytest.mark.parametrize("burned_in", [True, False])
def test_caption_track_is_default_only_when_captions_are_not_burned_in(tmp_path: Path, burned_in: bool) -> None:
    """Burned-in captions plus a default WebVTT track showed every line twice."""
    publisher = LocalPublisher(root=str(tmp_path / "library"))
    publisher.publish(make_item(tmp_path, "16:9", burned_in=burned_in))
    index = publisher.gallery_path().read_text()
    (track,) = [part.split(">")[0] for part in index.split("<track")[1:]]
    assert 'src="bedtime/2026-11-01/16x9/captions.vtt"' in track  # offered either way
    assert ("default" in track) is not burned_in


def cover(path: Path, width: int, height: int, colour: tuple[int, int, int]) -> Path:
    """A cover with a circle in the middle (a stretch would make it an ellipse)."""
    image = Image.new("RGB", (width, height), colour)
    r = min(width, height) // 3
    ImageDraw.Draw(image).ellipse([width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r], fill="white")
    image.save(path, quality=95)
    return path


def test_each_format_plays_with_a_poster_of_its_own_shape(tmp_path: Path) -> None:
    publisher = LocalPublisher(root=str(tmp_path / "library"))
    colours = {"16:9": (200, 40, 40), "9:16": (40, 200, 40), "1:1": (40, 40, 200)}
    for fmt, colour in colours.items():
        width, height = FORMAT_SIZES[fmt]
        own = cover(tmp_path / f"cover-{fmt.replace(':', 'x')}.jpg", width // 2, height // 2, colour)
        publisher.publish(make_item(tmp_path, fmt, thumbnail=own))
    index = publisher.gallery_path().read_text()
    root = tmp_path / "library"
    for folder, item in library_items(root):
        assert item.thumbnail and f'poster="{folder.relative_to(root).as_posix()}/{item.thumbnail}"' in index
        with Image.open(folder / item.thumbnail) as poster:
            assert abs(poster.width / poster.height - item.width / item.height) < 0.01, item.format
            corner = np.asarray(poster.convert("RGB"))[5, 5].astype(int)
        assert np.abs(corner - colours[item.format]).max() < 12, f"{item.format} shows another format's cover"


def test_a_cover_of_another_shape_is_fitted_not_stretched(tmp_path: Path) -> None:
    """A 1:1 video with only a 16:9 cover: a square poster with the whole cover inside at its own proportions."""
    publisher = LocalPublisher(root=str(tmp_path / "library"))
    wide = cover(tmp_path / "wide.jpg", 640, 360, (200, 40, 40))
    publisher.publish(make_item(tmp_path, "1:1", thumbnail=wide))
    ((folder, item),) = library_items(tmp_path / "library")
    with Image.open(folder / (item.thumbnail or "")) as poster:
        pixels = np.asarray(poster.convert("RGB")).astype(int)
    assert pixels.shape[:2] == (640, 640)
    white = (pixels > 200).all(axis=-1)
    ys, xs = np.nonzero(white)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert abs(width - height) <= 3, f"the circle became {width}x{height}: stretched"
    middle = pixels[140:500]  # the cover itself, unscaled, between the two filled margins
    original = np.asarray(Image.open(wide).convert("RGB")).astype(int)
    assert np.abs(middle - original).mean() < 4

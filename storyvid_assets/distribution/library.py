"""The local channel library: a folder per episode and format, a JSON per item, an index.html gallery
(rendered from ``templates/library.html`` with autoescaping).

Each format's video gets a poster of its own shape (a cover made for another shape is fitted, never stretched);
the WebVTT track is offered, but shown by default only when the captions are not burned into the picture.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image
from pydantic import BaseModel

from storyvid_assets.models import PlatformPost, PublishItem, format_slug
from storyvid_assets.render.thumbnail import encode_jpeg, fit_to_aspect

ITEM_FILE = "item.json"
TEMPLATES = Path(__file__).resolve().parent / "templates"


class LibraryItem(BaseModel):
    """What the library keeps about one published video (written as ``item.json``)."""

    post_id: str
    channel: str
    date: str
    format: str
    title: str
    description: str
    hashtags: list[str]
    video: str  # file names relative to the item folder
    thumbnail: str | None
    captions: str | None
    vtt: str | None
    captions_burned_in: bool = True  # items written before this field was kept had their captions burned in
    sha256: str
    duration: float
    width: int
    height: int


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".tmp-{dst.name}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def publish_to_library(root: Path, item: PublishItem) -> PlatformPost:
    """Copy the video (and thumbnail, captions) into the library and refresh the index; idempotent."""
    slug = format_slug(item.format)
    folder = root / item.channel / item.date / slug
    folder.mkdir(parents=True, exist_ok=True)
    _copy_atomic(Path(item.video_path), folder / "video.mp4")
    thumbnail = captions = vtt = None
    if item.thumbnail_path:
        thumbnail = _write_poster(Path(item.thumbnail_path), folder, item.width, item.height)
    if item.captions_path:
        captions = "captions.srt"
        _copy_atomic(Path(item.captions_path), folder / captions)
        vtt_source = Path(item.captions_path).with_suffix(".vtt")
        if vtt_source.exists():
            vtt = "captions.vtt"
            _copy_atomic(vtt_source, folder / vtt)
    post_id = f"{item.channel}-{item.date}-{slug}"
    record = LibraryItem(
        post_id=post_id,
        channel=item.channel,
        date=item.date,
        format=item.format,
        title=item.metadata.title,
        description=item.metadata.description,
        hashtags=item.metadata.hashtags,
        video="video.mp4",
        thumbnail=thumbnail,
        captions=captions,
        vtt=vtt,
        captions_burned_in=item.captions_burned_in,
        sha256=item.video_sha256,
        duration=item.duration,
        width=item.width,
        height=item.height,
    )
    _write_atomic(folder / ITEM_FILE, record.model_dump_json(indent=2))
    write_index(root)
    return PlatformPost(
        platform="local", format=item.format, post_id=post_id, url=(folder / "video.mp4").as_uri(), status="published"
    )


def _write_poster(cover: Path, folder: Path, width: int, height: int) -> str:
    """The video's poster in ``folder``: ``cover`` as is when it has the video's shape, else fitted to it."""
    with Image.open(cover) as image:
        shape = width / height
        if abs(image.width / image.height - shape) <= 0.01 * shape:
            name = "thumbnail" + cover.suffix
            _copy_atomic(cover, folder / name)
            return name
        fitted = fit_to_aspect(image, width, height)
    name = "thumbnail.jpg"
    tmp = folder / f".tmp-{name}"
    tmp.write_bytes(encode_jpeg(fitted))
    os.replace(tmp, folder / name)
    return name


def caption_track(src: str, burned_in: bool) -> str:
    """The WebVTT ``<track>``: always offered, on by default only when the picture has no captions of its own."""
    default = "" if burned_in else " default"
    return f'<track kind="captions" src="{html.escape(src)}" srclang="en" label="English"{default}>'


def library_items(root: Path) -> list[tuple[Path, LibraryItem]]:
    """Every item in the library, newest date first."""
    found = []
    for path in root.glob(f"*/*/*/{ITEM_FILE}"):
        found.append((path.parent, LibraryItem.model_validate(json.loads(path.read_text(encoding="utf-8")))))
    return sorted(found, key=lambda pair: (pair[1].date, pair[1].channel, pair[1].format), reverse=True)


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def render_index(root: Path) -> str:
    """The gallery page; every field goes through Jinja's autoescaping (a title is text, never markup)."""
    cards = []
    for folder, item in library_items(root):
        rel = folder.relative_to(root).as_posix()
        cards.append({"item": item, "slug": format_slug(item.format), "video": f"{rel}/{item.video}",
                      "poster": f"{rel}/{item.thumbnail}" if item.thumbnail else None,
                      "vtt": f"{rel}/{item.vtt}" if item.vtt else None})
    return _templates().get_template("library.html").render(cards=cards)


def write_index(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    index = root / "index.html"
    _write_atomic(index, render_index(root))
    return index

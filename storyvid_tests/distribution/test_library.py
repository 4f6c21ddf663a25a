from __future__ import annotations

import json
from pathlib import Path

from storyvid_assets.models import PlatformMetadataItem, PublishItem
from storyvid_assets.resources.publisher import LocalPublisher


def make_item(tmp_path: Path, fmt: str, title: str = "The Owl <Who> Sang") -> PublishItem:
    video = tmp_path / f"in-{fmt.replace(':', 'x')}.mp4"
    video.write_bytes(b"not really a video")
    srt = tmp_path / "captions.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    srt.with_suffix(".vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n")
    meta = PlatformMetadataItem(platform="local", title=title, description="A gentle tale.\nref:sv-1",
                                hashtags=["#owl"], made_for_kids=True)
    return PublishItem(channel="bedtime", date="2026-11-01", format=fmt, video_path=str(video), video_sha256="ab",
                       thumbnail_path=None, captions_path=str(srt), metadata=meta, content_marker="sv-1",
                       duration=12.5, width=1080, height=1920)


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

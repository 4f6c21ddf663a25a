"""One limits table: every kind of post, the derived kinds, and the metadata limits taken from it."""

from __future__ import annotations

import pytest

from storyvid_assets.distribution.errors import LimitExceeded
from storyvid_assets.distribution.limits import (
    LIMITS,
    check_post,
    count_hashtags,
    limits_for,
    metadata_limits,
    text_length,
)
from storyvid_assets.distribution.text import compose_text
from storyvid_assets.resources.platforms import PLATFORM_CLIENTS
from storyvid_tests.distribution.conftest import Media, make_item, make_options


def test_every_kind_a_client_posts_has_limits() -> None:
    for name, client in PLATFORM_CLIENTS.items():
        for kind in client.format_kinds.values():
            assert limits_for(name, kind).kind == kind
    with pytest.raises(LimitExceeded) as refused:
        limits_for("youtube", "reel")
    assert "use one of ['short', 'video']" in str(refused.value)


def test_shorts_and_feed_posts_are_derived_from_their_main_entries() -> None:
    short, video = LIMITS[("youtube", "short")], LIMITS[("youtube", "video")]
    assert short.max_duration_s == 180
    assert short.model_dump(exclude={"kind", "max_duration_s"}) == video.model_dump(exclude={"kind", "max_duration_s"})
    feed, reel = LIMITS[("instagram", "feed")], LIMITS[("instagram", "reel")]
    assert feed.model_dump(exclude={"kind"}) == reel.model_dump(exclude={"kind"})


def test_values_follow_the_platform_references() -> None:
    youtube = limits_for("youtube", "video")
    assert youtube.title and youtube.title.max == 100 and youtube.forbidden_chars == "<>"
    assert (youtube.text.max, youtube.text.unit) == (5000, "utf8_bytes")
    assert youtube.max_hashtags == 15 and youtube.tags_total == 500
    tiktok = limits_for("tiktok", "video")
    assert tiktok.title is None and (tiktok.text.max, tiktok.text.unit) == (2200, "utf16_units")
    assert (tiktok.min_side, tiktok.max_side, tiktok.max_duration_s) == (360, 4096, 600)
    reel = limits_for("instagram", "reel")
    assert reel.title is None and reel.text.max == 2200 and reel.max_hashtags == 30
    assert (reel.min_duration_s, reel.max_duration_s) == (3, 900)
    facebook_reel = limits_for("facebook", "reel")
    assert facebook_reel.vertical_only and (facebook_reel.min_duration_s, facebook_reel.max_duration_s) == (3, 90)


def test_metadata_limits_are_the_tightest_of_the_platforms_kinds() -> None:
    facebook = metadata_limits("facebook")
    assert facebook.title and facebook.title.max == 255, "the video's title (a reel has none)"
    assert facebook.text.max == 2200, "the reel's caption limit, so one description fits both kinds"
    assert metadata_limits("tiktok").title is None
    with pytest.raises(KeyError):
        metadata_limits("myspace")


def test_text_is_counted_the_way_each_platform_counts_it() -> None:
    assert text_length("ü🌙", "chars") == 2
    assert text_length("ü🌙", "utf8_bytes") == 6
    assert text_length("ü🌙", "utf16_units") == 3
    assert count_hashtags("#one two#three &#39; #four") == 2


def test_tiktok_caption_limit_is_in_utf16_units(media: Media) -> None:
    """Once two tables disagreed: 2200 characters at upload, 2200 UTF-16 units when writing the caption."""
    item = make_item(media, "tiktok", "9:16", description="🌙" * 1090)  # 1090 characters, 2180 UTF-16 units
    options = make_options("tiktok", "9:16")
    text = compose_text(item, options)
    assert len(text.text) < 2200 < text_length(text.text, "utf16_units")
    with pytest.raises(LimitExceeded) as refused:
        check_post(item, options, "tiktok", text)
    assert "UTF-16 units" in str(refused.value) and "the limit is 2200" in str(refused.value)


def test_youtube_refuses_more_than_15_hashtags(media: Media) -> None:
    """Once the upload check allowed any number on YouTube while the metadata builder kept to 15."""
    tags = " ".join(f"#tag{i}" for i in range(16))
    item = make_item(media, "youtube", "16:9", description=f"A calm story. {tags}")
    options = make_options("youtube", "16:9")
    with pytest.raises(LimitExceeded) as refused:
        check_post(item, options, "youtube", compose_text(item, options))
    assert "18 hashtags; the limit is 15" in str(refused.value)

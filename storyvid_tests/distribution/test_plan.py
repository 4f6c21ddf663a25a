"""Which format goes where, as what, with which options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyvid_assets.channels import ChannelConfig
from storyvid_assets.distribution.plan import cover_for, plan_uploads
from storyvid_assets.models import (
    EpisodeThumbnails,
    EpisodeVideos,
    MediaRef,
    PlatformMetadata,
    PlatformMetadataItem,
    RenderedVideo,
    Thumbnail,
)
from storyvid_assets.resources.platforms import PLATFORM_CLIENTS

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def ref(name: str) -> MediaRef:
    return MediaRef(
        key=f"bedtime/2026-11-25/x/attempt-1/{name}", sha256=name.ljust(64, "0")[:64], bytes=1, content_type="video/mp4"
    )


def test_plan_follows_the_channel_distribution_settings() -> None:
    channel = ChannelConfig.model_validate(
        {
            "name": "bedtime",
            "display_name": "Bedtime",
            "audience": "kids",
            "genres": ["bedtime"],
            "theme_pool": ["stars"],
            "formats": ["16:9", "9:16"],
            "platforms": ["local", "youtube", "instagram", "tiktok", "facebook"],
            "distribution": {
                "formats": {"instagram": ["9:16", "1:1"], "facebook": ["16:9", "9:16"]},
                "privacy": "unlisted",
                "publish_delay_minutes": {"youtube": 90},
                "accounts": {"tiktok": "second"},
            },
        }
    )
    videos = EpisodeVideos(
        videos=[
            RenderedVideo(
                format="16:9",
                video=ref("wide.mp4"),
                width=1920,
                height=1080,
                duration=30,
                fps=30,
                preset="p",
                encoder="e",
            ),
            RenderedVideo(
                format="9:16",
                video=ref("tall.mp4"),
                width=1080,
                height=1920,
                duration=30,
                fps=30,
                preset="p",
                encoder="e",
            ),
        ]
    )
    thumbs = EpisodeThumbnails(
        scene_index=0,
        thumbnails=[
            Thumbnail(name="youtube_b", image=ref("b.jpg"), width=1280, height=720, variant="b"),
            Thumbnail(name="youtube_a", image=ref("a.jpg"), width=1280, height=720, variant="a"),
        ],
    )
    meta = PlatformMetadata(
        content_marker="sv-abc",
        items=[
            PlatformMetadataItem(platform=p, title="T", description="D", hashtags=[], made_for_kids=False)
            for p in ("youtube", "instagram", "tiktok", "facebook")
        ],
    )
    plans = plan_uploads(
        channel,
        "2026-11-25",
        videos,
        meta,
        thumbs,
        kinds={n: dict(c.format_kinds) for n, c in PLATFORM_CLIENTS.items()},
        local_path=lambda key: "/media/" + key,
        captions_path=None,
        now=NOW,
    )
    got = {(p.platform, p.format): p for p in plans}
    assert {k: p.kind for k, p in got.items()} == {
        ("youtube", "16:9"): "video",
        ("youtube", "9:16"): "short",
        ("instagram", "9:16"): "reel",
        ("instagram", "1:1"): "feed",
        ("tiktok", "9:16"): "video",
        ("facebook", "16:9"): "video",
        ("facebook", "9:16"): "reel",
    }
    assert got[("instagram", "1:1")].item is None and "1:1 was not rendered" in (
        got[("instagram", "1:1")].problem or ""
    )
    wide = got[("youtube", "16:9")]
    assert wide.item and wide.options
    assert wide.item.metadata.made_for_kids, "a kids channel is always made for kids"
    assert wide.item.thumbnail_path and wide.item.thumbnail_path.endswith("a.jpg")
    assert wide.options.publish_at == NOW + timedelta(minutes=90) and wide.options.privacy == "unlisted"
    assert wide.options.marker == "sv-abc-16x9" and got[("youtube", "9:16")].options.marker == "sv-abc-9x16"
    assert got[("tiktok", "9:16")].options.account == "second"
    assert got[("instagram", "9:16")].options.publish_at is None


def test_the_cover_is_variant_a_of_the_matching_orientation() -> None:
    """Once the library's cover was the first matching thumbnail (here "b") and the uploads' variant "a"."""

    def thumb(name: str, variant: str, width: int, height: int) -> Thumbnail:
        return Thumbnail(name=name, image=ref(f"{name}.jpg"), width=width, height=height, variant=variant)

    def video(width: int, height: int) -> RenderedVideo:
        return RenderedVideo(
            format="x", video=ref("v.mp4"), width=width, height=height, duration=3, fps=30, preset="p", encoder="e"
        )

    thumbs = EpisodeThumbnails(
        scene_index=0,
        thumbnails=[
            thumb("wide_b", "b", 1280, 720),
            thumb("tall_b", "b", 720, 1280),
            thumb("wide_a", "a", 1280, 720),
        ],
    )
    assert (cover := cover_for(video(1920, 1080), thumbs)) and cover.name == "wide_a"
    assert (cover := cover_for(video(1080, 1920), thumbs)) and cover.name == "tall_b", "no portrait 'a': the first"
    assert cover_for(video(1080, 1920), EpisodeThumbnails(scene_index=0, thumbnails=thumbs.thumbnails[:1])) is None


def test_each_format_gets_the_cover_of_its_own_shape() -> None:
    """A 1:1 video gets the 1:1 cover, not the landscape thumbnail of the same orientation."""

    def thumb(name: str, width: int, height: int) -> Thumbnail:
        return Thumbnail(name=name, image=ref(f"{name}.jpg"), width=width, height=height, variant="a")

    def video(width: int, height: int) -> RenderedVideo:
        return RenderedVideo(
            format="x", video=ref("v.mp4"), width=width, height=height, duration=3, fps=30, preset="p", encoder="e"
        )

    thumbs = EpisodeThumbnails(
        scene_index=0,
        thumbnails=[thumb("youtube_a", 1280, 720), thumb("cover_9x16_a", 1080, 1920), thumb("cover_1x1_a", 1080, 1080)],
    )
    chosen = {size: cover_for(video(*size), thumbs) for size in ((1920, 1080), (1080, 1920), (1080, 1080))}
    assert {size: c.name if c else None for size, c in chosen.items()} == {
        (1920, 1080): "youtube_a",
        (1080, 1920): "cover_9x16_a",
        (1080, 1080): "cover_1x1_a",
    }

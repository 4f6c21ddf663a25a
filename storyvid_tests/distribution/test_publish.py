"""Each platform: a real rendered video through the real client to the fake; the fake holds exactly its bytes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storyvid_assets.distribution import state
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_tests.distribution.conftest import (
    FakeClock,
    Media,
    client_for,
    make_env,
    make_item,
    make_options,
)
from storyvid_tests.fakes.facebook import FakeFacebook
from storyvid_tests.fakes.instagram import FakeInstagram
from storyvid_tests.fakes.platform_server import PlatformFake
from storyvid_tests.fakes.tiktok import FakeTikTok
from storyvid_tests.fakes.youtube import FakeYouTube

TARGETS = [
    ("youtube", "16:9"),
    ("youtube", "9:16"),
    ("instagram", "9:16"),
    ("instagram", "1:1"),
    ("tiktok", "9:16"),
    ("facebook", "16:9"),
    ("facebook", "9:16"),
]


def check_metadata(platform: str, fake: PlatformFake, fmt: str, marker: str) -> None:
    post = fake.posts_with(marker)[0]
    if isinstance(fake, FakeYouTube):
        snippet, status = post.meta["snippet"], post.meta["status"]
        assert 0 < len(snippet["title"]) <= 100 and len(snippet["description"].encode()) <= 5000
        assert status["selfDeclaredMadeForKids"] is True and status["containsSyntheticMedia"] is True
        assert ("#Shorts" in snippet["description"]) == (fmt == "9:16")
        assert fake.thumbnails.get(post.id) if fmt == "16:9" else True
    elif isinstance(fake, FakeInstagram):
        assert len(post.text) <= 2200 and post.text.count("#") <= 30
        assert post.meta["share_to_feed"] == (fmt == "1:1")
    elif isinstance(fake, FakeTikTok):
        assert len(post.text) <= 2200
        assert post.meta["is_aigc"] is True and post.meta["privacy_level"] == "PUBLIC_TO_EVERYONE"
    elif isinstance(fake, FakeFacebook):
        assert len(post.title) <= 255
        assert post.meta["kind"] == ("reel" if fmt == "9:16" else "video")
    assert post.text.rstrip().endswith(marker), "the dedup marker ends the description"


@pytest.mark.parametrize(("platform", "fmt"), TARGETS, ids=[f"{p}-{f}" for p, f in TARGETS])
def test_publishes_real_video_bytes_and_metadata(
    platform: str, fmt: str, fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes[platform]
    item, options = make_item(media, platform, fmt), make_options(platform, fmt)
    outcome = publish_target(make_env(catalog_url, clock), client_for(platform, fake), item, options)

    assert outcome.status in POSTED_STATUSES, outcome.error
    posts = fake.posts_with(options.marker)
    assert len(posts) == 1
    assert posts[0].sha256 == media.sha(fmt) and posts[0].size == media.videos[fmt].stat().st_size
    assert outcome.post_id == posts[0].id and outcome.url and outcome.url.startswith("https://")
    check_metadata(platform, fake, fmt, options.marker)
    record = state.open_upload(catalog_url, "bedtime", "2026-11-25", fmt, platform, "default", item.video_sha256)
    assert (record.status, record.post_id, record.url) == (outcome.status, outcome.post_id, outcome.url)
    assert record.attempts == 1


def test_youtube_uploads_in_256k_chunks_and_resumes_from_the_acknowledged_byte(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    """A drop half-way through a 512 KiB chunk: the fake keeps 256 KiB, the client sends only the rest."""
    fake = fakes["youtube"]
    assert isinstance(fake, FakeYouTube)
    fake.inject("drop", "chunk", times=2)  # httplib2 re-sends once by itself; the second drop reaches our retry
    client = client_for("youtube", fake, chunk_size=512 * 1024)
    item, options = make_item(media, "youtube", "16:9"), make_options("youtube", "16:9")
    outcome = publish_target(make_env(catalog_url, clock), client, item, options)

    assert outcome.status in POSTED_STATUSES and outcome.retries >= 1
    [post] = fake.posts_with(options.marker)
    assert post.sha256 == media.sha("16:9")
    queries = [s for s in fake.seen if s.step == "query"]
    assert queries, "after the drop the client asked the session how many bytes it had"
    sent = sum(s.body_bytes for s in fake.seen if s.step in ("chunk", "final_chunk"))
    assert sent < media.videos["16:9"].stat().st_size + 2 * 512 * 1024  # no restart from byte 0


def test_status_and_metrics_come_from_each_platform(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    env = make_env(catalog_url, clock)
    for platform, fmt in (("youtube", "16:9"), ("instagram", "9:16"), ("tiktok", "9:16"), ("facebook", "16:9")):
        fake = fakes[platform]
        client = client_for(platform, fake, analytics_base_url=fake.origin + "/") if platform == "youtube" else (
            client_for(platform, fake)
        )
        outcome = publish_target(env, client, make_item(media, platform, fmt), make_options(platform, fmt))
        record = state.open_upload(catalog_url, "bedtime", "2026-11-25", fmt, platform, "default", "")
        from storyvid_assets.models import PlatformPost

        post = PlatformPost(
            platform=platform, format=fmt, post_id=record.post_id or "", url=record.url or "", status=outcome.status
        )
        assert client.status(post).status == "published"
        day = "2026-11-22"  # YouTube leaves out the newest days
        if isinstance(fake, FakeYouTube):
            fake.set_daily(post.post_id, day, engagedViews=40, likes=3, estimatedMinutesWatched=2)
        answer = client.fetch_metrics([post], [day], catalog_url=catalog_url, clock=clock)
        [metrics] = answer.metrics
        assert metrics.post_id == post.post_id and metrics.day == day and metrics.views > 0
        assert metrics.kind == ("daily" if platform == "youtube" else "lifetime") and answer.missing == []


def test_scheduled_posts_carry_their_publish_time(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    from datetime import timedelta

    when = clock.now() + timedelta(hours=6)
    env = make_env(catalog_url, clock)
    youtube = publish_target(
        env,
        client_for("youtube", fakes["youtube"]),
        make_item(media, "youtube", "16:9"),
        make_options("youtube", "16:9", publish_at=when),
    )
    assert youtube.status == "scheduled"
    status = fakes["youtube"].posts[0].meta["status"]
    assert status["privacyStatus"] == "private" and status["publishAt"] == "2026-11-25T18:00:00Z"
    facebook = publish_target(
        env,
        client_for("facebook", fakes["facebook"]),
        make_item(media, "facebook", "16:9"),
        make_options("facebook", "16:9", publish_at=when),
    )
    assert facebook.status == "scheduled" and fakes["facebook"].posts[0].meta["published"] == "false"


def test_circuit_breaker_defers_the_rest_of_a_failing_platform(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["youtube"]
    fake.inject("http_503", "session", times=50)
    client = client_for("youtube", fake, breaker_threshold=4, breaker_cooldown_s=900)
    env = make_env(catalog_url, clock)
    first = publish_target(env, client, make_item(media, "youtube", "16:9"), make_options("youtube", "16:9"))
    second = publish_target(env, client, make_item(media, "youtube", "9:16"), make_options("youtube", "9:16"))
    assert first.status == "failed" and first.alert
    assert second.status == "deferred" and "circuit open" in (second.error or "")
    assert second.deferred_until is not None and second.deferred_until > clock.now()
    assert len(fake.steps("session")) == 4, "the breaker stopped calls after four failures in a row"
    other = publish_target(
        env, client_for("tiktok", fakes["tiktok"]), make_item(media, "tiktok", "9:16"), make_options("tiktok", "9:16")
    )
    assert other.status == "published", "another platform is not affected"


def test_a_retry_after_longer_than_the_cap_defers_the_upload_until_then(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["tiktok"]
    fake.inject("rate_limit", "init", retry_after="3600")  # the client's cap is 2 s (FAST)
    env = make_env(catalog_url, clock)
    item, options = make_item(media, "tiktok", "9:16"), make_options("tiktok", "9:16")
    outcome = publish_target(env, client_for("tiktok", fake), item, options)
    assert outcome.status == "deferred" and "asks to wait 3600 s" in (outcome.error or "")
    assert outcome.deferred_until == clock.now() + timedelta(seconds=3600) and not outcome.alert
    assert len(fake.steps("init")) == 1, "no early retry that the platform would refuse again"
    clock.advance(seconds=3601)
    assert publish_target(env, client_for("tiktok", fake), item, options).status in POSTED_STATUSES

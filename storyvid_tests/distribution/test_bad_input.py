"""Bad input is refused with the platform and the limit named, before a single byte reaches the platform."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.tables.distribution import DistributionAlertRow
from storyvid_assets.distribution.errors import LimitExceeded
from storyvid_assets.distribution.limits import check_post
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.distribution.text import compose_text
from storyvid_assets.resources.platforms import TikTokClient, YouTubeClient
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.platform_server import PlatformFake

CASES = [
    # platform, format, item changes, words the error must contain
    ("youtube", "16:9", {"title": "A" * 101}, ["youtube", "title is 101 characters", "limit is 100"]),
    ("youtube", "9:16", {"duration": 181.0}, ["youtube", "181.0 s", "short limit is 180 s"]),
    ("instagram", "9:16", {"duration": 901.0}, ["instagram", "reel limit is 900 s"]),
    ("instagram", "9:16", {"duration": 2.0}, ["instagram", "minimum is 3 s"]),
    ("instagram", "9:16", {"description": "x" * 2300}, ["instagram", "limit is 2200"]),
    ("tiktok", "9:16", {"duration": 601.0}, ["tiktok", "limit is 600 s"]),
    ("facebook", "16:9", {"title": "T" * 256}, ["facebook", "title is 256 characters", "limit is 255"]),
    ("facebook", "9:16", {"duration": 91.0}, ["facebook", "reel limit is 90 s"]),
]


@pytest.mark.parametrize(
    ("platform", "fmt", "changes", "words"), CASES, ids=[f"{c[0]}-{next(iter(c[2]))}-{c[1]}" for c in CASES]
)
def test_limit_violations_are_refused_before_any_byte(
    platform: str,
    fmt: str,
    changes: dict[str, object],
    words: list[str],
    fakes: dict[str, PlatformFake],
    media: Media,
    catalog_url: str,
    clock: FakeClock,
) -> None:
    fake = fakes[platform]
    item = make_item(media, platform, fmt, **changes)  # type: ignore[arg-type]
    env = make_env(catalog_url, clock)
    outcome = publish_target(env, client_for(platform, fake), item, make_options(platform, fmt))

    assert outcome.status == "failed"
    for word in words:
        assert word in (outcome.error or ""), f"{word!r} not in {outcome.error!r}"
    assert fake.seen == [], "nothing was sent to the platform"
    assert outcome.alert and env.alerts
    with session_scope(catalog_url) as session:
        [alert] = session.scalars(select(DistributionAlertRow)).all()
        assert alert.platform == platform and alert.state == "open"


def test_file_over_the_size_limit_is_refused(media: Media, tmp_path: object) -> None:
    from storyvid_assets.distribution import limits

    item = make_item(media, "instagram", "9:16")
    original = limits.LIMITS[("instagram", "reel")]
    small = limits.PlatformLimits(**{**original.__dict__, "max_bytes": 1024 * 1024})
    limits.LIMITS[("instagram", "reel")] = small
    try:
        with pytest.raises(LimitExceeded) as refused:
            options = make_options("instagram", "9:16")
            check_post(item, options, "instagram", compose_text(item, options))
    finally:
        limits.LIMITS[("instagram", "reel")] = original
    size_mb = media.videos["9:16"].stat().st_size / (1024 * 1024)
    assert f"video is {size_mb:.1f} MB; the limit is 1 MB" in str(refused.value)


def test_tiktok_account_limits_come_from_creator_info(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["tiktok"]
    fake.max_duration_s = 2  # type: ignore[attr-defined]
    fake.privacy_options = ["SELF_ONLY"]  # type: ignore[attr-defined]  (an unaudited app)
    outcome = publish_target(
        make_env(catalog_url, clock),
        client_for("tiktok", fake),
        make_item(media, "tiktok", "9:16"),
        make_options("tiktok", "9:16"),
    )
    assert outcome.status == "failed"
    assert "this account's limit is 2 s" in (outcome.error or "")
    assert "privacy 'public'" in (outcome.error or "") and "SELF_ONLY" in (outcome.error or "")
    assert [s.step for s in fake.seen] == ["token", "creator_info"], "no init, no bytes"


@pytest.mark.parametrize("client", [YouTubeClient(), TikTokClient()], ids=["youtube", "tiktok"])
def test_missing_credentials_skip_with_the_variables_named(
    client: YouTubeClient | TikTokClient,
    media: Media,
    catalog_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in client.required_env.values():
        monkeypatch.delenv(var, raising=False)
    fmt = "9:16"
    outcome = publish_target(
        make_env(catalog_url, clock),
        type(client).from_env(),
        make_item(media, client.platform, fmt),
        make_options(client.platform, fmt),
    )
    assert outcome.status == "skipped"
    assert f"{client.platform} credentials" in (outcome.error or "")
    for var in client.required_env.values():
        assert var in (outcome.error or "")


def test_credentials_from_the_environment_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_CLIENT_ID", "id-from-env")
    monkeypatch.setenv("YOUTUBE_CLIENT_SECRET", "secret-from-env")
    monkeypatch.delenv("YOUTUBE_REFRESH_TOKEN", raising=False)
    client = YouTubeClient.from_env()
    assert client.missing_credentials() == ["YOUTUBE_REFRESH_TOKEN"]
    monkeypatch.setenv("YOUTUBE_REFRESH_TOKEN", "refresh-from-env")
    assert YouTubeClient.from_env().missing_credentials() == []

"""Fixtures for the platform tests: real rendered videos, a fake clock, a migrated catalog, and the four fakes
with real clients pointed at them."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from PIL import Image

from storyvid_assets.catalog.db import get_engine, migrate
from storyvid_assets.distribution.publish import PublishEnv
from storyvid_assets.models import PlatformMetadataItem, PostKind, PostOptions, PublishItem
from storyvid_assets.reliability import reset_breakers
from storyvid_assets.resources.platforms import (
    FacebookClient,
    InstagramClient,
    PlatformClient,
    TikTokClient,
    YouTubeClient,
)
from storyvid_tests.fakes.facebook import FakeFacebook
from storyvid_tests.fakes.instagram import FakeInstagram
from storyvid_tests.fakes.platform_server import PlatformFake
from storyvid_tests.fakes.tiktok import FakeTikTok
from storyvid_tests.fakes.youtube import FakeYouTube

PLATFORMS = ("youtube", "instagram", "tiktok", "facebook")
SMALL_CHUNK = 256 * 1024  # YouTube's chunk multiple; TikTok's minimum chunk is lowered to it in tests
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class FakeClock:
    """Time that moves only when something sleeps or the test advances it."""

    def __init__(self, start: datetime = START) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.t += timedelta(**delta)


def render_test_video(path: Path, width: int, height: int, seconds: float = 3.0) -> Path:
    """A real H.264 + AAC MP4 (moov first), big enough to need several 256 KiB chunks."""
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s={width}x{height}:r=30:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "3M",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path


@dataclass(frozen=True)
class Media:
    videos: dict[str, Path]  # format -> file
    thumbnail: Path

    def sha(self, fmt: str) -> str:
        return hashlib.sha256(self.videos[fmt].read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    folder = tmp_path_factory.mktemp("platform-media")
    videos = {
        "9:16": render_test_video(folder / "v9x16.mp4", 1080, 1920),
        "16:9": render_test_video(folder / "v16x9.mp4", 1920, 1080),
        "1:1": render_test_video(folder / "v1x1.mp4", 1080, 1080),
    }
    thumb = folder / "thumb.jpg"
    Image.new("RGB", (1280, 720), (30, 60, 120)).save(thumb, quality=80)
    return Media(videos, thumb)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite catalog, migrated once per session and copied for each test (migrating takes ~0.3 s)."""
    path = tmp_path_factory.mktemp("catalog-template") / "catalog.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = get_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def copy_catalog(template: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "catalog.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def catalog_url(tmp_path: Path, catalog_template: Path) -> str:
    return copy_catalog(catalog_template, tmp_path / "catalog")


@pytest.fixture(autouse=True)
def credentials_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The credential store's key for every platform test (no key file written into the repository's home)."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("STORYVID_CREDENTIALS_KEY", key)
    return key


@pytest.fixture(autouse=True)
def fresh_breakers() -> Iterator[None]:
    reset_breakers()
    yield
    reset_breakers()


def new_fake(platform: str, clock: FakeClock, **kwargs: Any) -> PlatformFake:
    if platform == "youtube":
        return FakeYouTube(now=clock.now, **kwargs)
    if platform == "instagram":
        return FakeInstagram(now=clock.now, **kwargs)
    if platform == "tiktok":
        return FakeTikTok(now=clock.now, min_chunk=SMALL_CHUNK, **kwargs)
    return FakeFacebook(now=clock.now, **kwargs)


FAST = {"base_delay_s": 0.01, "max_delay_s": 0.05, "retry_after_cap_s": 2.0, "poll_interval_s": 0.5}


def client_for(platform: str, fake: PlatformFake, **overrides: Any) -> PlatformClient:
    """The real client of ``platform`` pointed at ``fake``, with tiny waits (the fake clock records them)."""
    base = fake.origin
    settings: dict[str, Any] = {**FAST, **overrides}
    if platform == "youtube":
        return YouTubeClient(
            client_id="client-1",
            client_secret="secret-1",
            refresh_token="refresh-1",
            base_url=base + "/",
            token_uri=base + "/token",
            **{"chunk_size": SMALL_CHUNK, **settings},
        )
    if platform == "instagram":
        assert isinstance(fake, FakeInstagram)
        token = fake.new_token()
        return InstagramClient(
            user_id=fake.user_id, access_token=token, app_id="app-1", app_secret="app-secret", base_url=base, **settings
        )
    if platform == "tiktok":
        return TikTokClient(
            client_key="ck-1",
            client_secret="cs-1",
            refresh_token="rt-1",
            base_url=base,
            **{"chunk_size": SMALL_CHUNK, "min_chunk": SMALL_CHUNK, **settings},
        )
    assert isinstance(fake, FakeFacebook)
    token = fake.new_token()  # a long-lived user token; the client derives the Page token from it
    return FacebookClient(
        page_id=fake.page_id,
        user_token=token,
        app_id="app-1",
        app_secret="app-secret",
        base_url=base,
        video_base_url=base,
        **settings,
    )


KINDS: dict[tuple[str, str], PostKind] = {
    ("youtube", "16:9"): "video",
    ("youtube", "9:16"): "short",
    ("instagram", "9:16"): "reel",
    ("instagram", "1:1"): "feed",
    ("tiktok", "9:16"): "video",
    ("facebook", "16:9"): "video",
    ("facebook", "9:16"): "reel",
}
DEFAULT_FORMAT = {"youtube": "16:9", "instagram": "9:16", "tiktok": "9:16", "facebook": "16:9"}


def make_item(
    media: Media,
    platform: str,
    fmt: str,
    *,
    date: str = "2026-11-25",
    title: str | None = None,
    duration: float = 3.0,
    kids: bool = True,
    description: str | None = None,
) -> PublishItem:
    width, height = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}[fmt]
    meta = PlatformMetadataItem(
        platform=platform,
        title=title if title is not None else "The Lighthouse That Forgot How to Glow",
        description=description or "A small lighthouse learns to shine again. A calm story for bedtime.",
        hashtags=["bedtimestories", "kidsstories"],
        made_for_kids=kids,
    )
    return PublishItem(
        channel="bedtime",
        date=date,
        format=fmt,
        video_path=str(media.videos[fmt]),
        video_sha256=media.sha(fmt),
        thumbnail_path=str(media.thumbnail),
        captions_path=None,
        metadata=meta,
        content_marker=f"sv-{date.replace('-', '')}",
        duration=duration,
        width=width,
        height=height,
    )


def make_options(platform: str, fmt: str, date: str = "2026-11-25", **kwargs: Any) -> PostOptions:
    return PostOptions(
        kind=KINDS[(platform, fmt)], marker=f"sv-{date.replace('-', '')}-{fmt.replace(':', 'x')}", **kwargs
    )


@dataclass
class RecordingEnv(PublishEnv):
    """A publishing environment that keeps the admin alerts it raised."""

    alerts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.alert = self.alerts.append


def make_env(catalog_url: str, clock: FakeClock, run_id: str = "run-1", **kwargs: Any) -> RecordingEnv:
    return RecordingEnv(catalog_url=catalog_url, run_id=run_id, clock=clock, **kwargs)


@pytest.fixture
def fakes(clock: FakeClock) -> Iterator[dict[str, PlatformFake]]:
    started = {p: new_fake(p, clock).start() for p in PLATFORMS}
    yield started
    for fake in started.values():
        fake.stop()

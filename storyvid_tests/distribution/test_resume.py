"""Crashes between steps, expired sessions, concurrent runs and re-renders never make a second post."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from storyvid_assets.distribution import state
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.platform_server import PlatformFake
from storyvid_tests.fakes.youtube import FakeYouTube


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the publishing code catches it."""


def crash_once(at_step: str) -> tuple[dict[str, int], object]:
    hits = {"n": 0}

    def hook(step: str) -> None:
        if step == at_step and hits["n"] == 0:
            hits["n"] += 1
            raise SimulatedCrash(step)

    return hits, hook


CRASHES = [
    ("youtube", "16:9", "after", "session"),
    ("youtube", "16:9", "after", "chunk"),
    ("youtube", "16:9", "before", "uploaded"),  # the video exists, its id was never saved
    ("instagram", "9:16", "after", "container"),
    ("instagram", "9:16", "before", "published"),  # media_publish done, its answer never saved
    ("tiktok", "9:16", "after", "init"),
    ("tiktok", "9:16", "after", "chunk"),
    ("tiktok", "9:16", "before", "posted"),
    ("facebook", "16:9", "after", "upload"),
    ("facebook", "16:9", "before", "created"),  # the post exists, its id was never saved
    ("facebook", "9:16", "before", "finished"),  # the reel is published, the finish never recorded
]


@pytest.mark.parametrize(
    ("platform", "fmt", "when", "step"), CRASHES, ids=[f"{p}-{f}-{w}-{s}" for p, f, w, s in CRASHES]
)
def test_crash_between_steps_resumes_without_a_second_post(
    platform: str,
    fmt: str,
    when: str,
    step: str,
    fakes: dict[str, PlatformFake],
    media: Media,
    catalog_url: str,
    clock: FakeClock,
) -> None:
    fake = fakes[platform]
    client = client_for(platform, fake)
    item, options = make_item(media, platform, fmt), make_options(platform, fmt)
    hits, hook = crash_once(step)
    crashing = make_env(catalog_url, clock, run_id="run-crashed", **{f"{when}_save": hook})
    with pytest.raises(SimulatedCrash):
        publish_target(crashing, client, item, options)
    assert hits["n"] == 1
    record = state.open_upload(catalog_url, "bedtime", "2026-11-25", fmt, platform, "default", item.video_sha256)
    assert record.status == "uploading" and record.handle, "the handles saved before the crash are in the catalog"

    outcome = publish_target(make_env(catalog_url, clock, run_id="run-rerun"), client, item, options)
    assert outcome.status in POSTED_STATUSES, outcome.error
    posts = fake.posts_with(options.marker)
    assert len(posts) == 1 and posts[0].sha256 == media.sha(fmt)
    assert outcome.post_id == posts[0].id
    steps = [s for s, _, _ in state.events(catalog_url, record.id)]
    assert steps.count("claim") == 2


def test_youtube_expired_session_finds_the_finished_video_by_its_marker(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["youtube"]
    assert isinstance(fake, FakeYouTube)
    client = client_for("youtube", fake)
    item, options = make_item(media, "youtube", "16:9"), make_options("youtube", "16:9")
    _, hook = crash_once("uploaded")
    with pytest.raises(SimulatedCrash):
        publish_target(make_env(catalog_url, clock, before_save=hook), client, item, options)
    fake.expire_session()  # the session URI in the catalog now answers 404

    outcome = publish_target(make_env(catalog_url, clock, run_id="run-2"), client, item, options)
    assert outcome.status in POSTED_STATUSES
    assert len(fake.posts) == 1 and outcome.post_id == fake.posts[0].id
    assert fake.steps("playlist"), "the uploads playlist was searched for the marker"


def test_youtube_expired_session_before_the_video_existed_uploads_once(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["youtube"]
    assert isinstance(fake, FakeYouTube)
    client = client_for("youtube", fake)
    item, options = make_item(media, "youtube", "16:9"), make_options("youtube", "16:9")
    _, hook = crash_once("chunk")
    with pytest.raises(SimulatedCrash):
        publish_target(make_env(catalog_url, clock, after_save=hook), client, item, options)
    fake.expire_session()

    outcome = publish_target(make_env(catalog_url, clock, run_id="run-2"), client, item, options)
    assert outcome.status in POSTED_STATUSES
    assert len(fake.posts) == 1 and fake.posts[0].sha256 == media.sha("16:9")
    assert len(fake.steps("session")) == 2, "a new session after the marker search found nothing"


def test_a_live_run_holds_the_lease_and_a_dead_one_is_taken_over(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["tiktok"]
    client = client_for("tiktok", fake)
    item, options = make_item(media, "tiktok", "9:16"), make_options("tiktok", "9:16")
    record = state.open_upload(catalog_url, "bedtime", "2026-11-25", "9:16", "tiktok", "default", item.video_sha256)
    assert state.claim(catalog_url, record, item.video_sha256, "run-A", clock.now(), lambda run: True) is None

    busy = publish_target(
        make_env(catalog_url, clock, run_id="run-B", is_run_alive=lambda run: run == "run-A"), client, item, options
    )
    assert busy.status == "in_progress" and "run-A" in (busy.error or "")
    assert not fake.seen, "nothing was sent while another run held the upload"

    taken = publish_target(
        make_env(catalog_url, clock, run_id="run-C", is_run_alive=lambda run: False), client, item, options
    )
    assert taken.status in POSTED_STATUSES and len(fake.posts) == 1
    assert any(d.get("taken_over_from") == "run-A" for s, _, d in state.events(catalog_url, record.id) if s == "claim")


def test_a_rerender_never_posts_the_episode_twice(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    fake = fakes["tiktok"]
    client = client_for("tiktok", fake)
    options = make_options("tiktok", "9:16")
    first = make_item(media, "tiktok", "9:16")
    _, hook = crash_once("init")
    with pytest.raises(SimulatedCrash):
        publish_target(make_env(catalog_url, clock, after_save=hook), client, first, options)

    rerendered = tmp_path / "rerendered.mp4"
    rerendered.write_bytes(media.videos["9:16"].read_bytes() + b"\0" * 1000)
    import hashlib

    second = first.model_copy(
        update={"video_path": str(rerendered), "video_sha256": hashlib.sha256(rerendered.read_bytes()).hexdigest()}
    )
    outcome = publish_target(make_env(catalog_url, clock, run_id="run-2"), client, second, options)
    assert outcome.status in POSTED_STATUSES
    [post] = fake.posts
    assert post.sha256 == second.video_sha256, "the unfinished upload of the old render was abandoned"

    clock.advance(hours=1)
    again = publish_target(make_env(catalog_url, clock, run_id="run-3"), client, first, options)
    assert again.status in POSTED_STATUSES and again.post_id == post.id and len(fake.posts) == 1


def test_deferred_upload_waits_until_its_time(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = fakes["tiktok"]
    fake.inject("quota", "init")
    client = client_for("tiktok", fake)
    item, options = make_item(media, "tiktok", "9:16"), make_options("tiktok", "9:16")
    deferred = publish_target(make_env(catalog_url, clock), client, item, options)
    assert deferred.status == "deferred" and deferred.deferred_until == clock.now() + timedelta(hours=24)
    sent = len(fake.seen)
    clock.advance(hours=23)
    still = publish_target(make_env(catalog_url, clock, run_id="run-2"), client, item, options)
    assert still.status == "deferred" and len(fake.seen) == sent, "not due yet: nothing sent"
    clock.advance(hours=2)
    done = publish_target(make_env(catalog_url, clock, run_id="run-3"), client, item, options)
    assert done.status in POSTED_STATUSES and len(fake.posts) == 1


@pytest.mark.postgres
def test_state_machine_on_postgres(postgres_url: str, fakes: dict[str, PlatformFake], media: Media,
                                   clock: FakeClock) -> None:
    """The same crash-and-resume on the production catalog (row locks, JSON handles, timezones)."""
    from storyvid_assets.catalog.db import migrate

    migrate(postgres_url)
    fake = fakes["facebook"]
    client = client_for("facebook", fake)
    item, options = make_item(media, "facebook", "16:9"), make_options("facebook", "16:9")
    _, hook = crash_once("created")
    with pytest.raises(SimulatedCrash):
        publish_target(make_env(postgres_url, clock, before_save=hook), client, item, options)
    outcome = publish_target(make_env(postgres_url, clock, run_id="run-2"), client, item, options)
    assert outcome.status in POSTED_STATUSES and len(fake.posts) == 1
    record = state.open_upload(postgres_url, "bedtime", "2026-11-25", "16:9", "facebook", "default", "")
    assert record.handle["video_id"] == fake.posts[0].id and record.attempts == 2

"""Facebook and Instagram upload flow against the strict Graph fakes: lost answers, lagging lists, the reels cap
and resumed uploads (issue 12, items 2, 3, 7, 8)."""

from __future__ import annotations

import pytest

from storyvid_assets.distribution import state
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.facebook import FakeFacebook
from storyvid_tests.fakes.platform_server import PlatformFake


def test_facebook_lost_handle_opens_a_new_upload_session(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    """Item 2: the last ``POST upload:<id>`` completed but its answer (the handle) was lost. The offset is then
    the file length and nothing returns the handle again: a new upload session is opened."""
    fake = fakes["facebook"]
    assert isinstance(fake, FakeFacebook)
    fake.inject("lost_response", "transfer")
    client = client_for("facebook", fake)
    item, options = make_item(media, "facebook", "16:9"), make_options("facebook", "16:9")
    outcome = publish_target(make_env(catalog_url, clock), client, item, options)
    assert outcome.status in POSTED_STATUSES, outcome.error
    posts = fake.posts_with(options.marker)
    assert len(posts) == 1 and posts[0].sha256 == media.sha("16:9")
    assert len(fake.steps("session")) == 2, "a second upload session replaced the one whose handle was lost"
    steps = [
        s
        for s, _, _ in state.events(
            catalog_url,
            state.open_upload(
                catalog_url, "bedtime", "2026-11-25", "16:9", "facebook", "default", item.video_sha256
            ).id,
        )
    ]
    assert "reset" in steps


UNCERTAIN = {"uncertain_window_min": 1.0, "uncertain_first_check_s": 1.0}  # short, on the fake clock


def publish_until_settled(
    platform: str,
    fmt: str,
    fake: PlatformFake,
    media: Media,
    catalog_url: str,
    clock: FakeClock,
    runs: int = 8,
    **env: object,
) -> list[str]:
    """Publish, then rerun each time the upload is due again (as the sensor would); the statuses seen."""
    client = client_for(platform, fake, **UNCERTAIN)
    item, options = make_item(media, platform, fmt), make_options(platform, fmt)
    history: list[str] = []
    for run in range(runs):
        try:
            outcome = publish_target(make_env(catalog_url, clock, run_id=f"run-{run}", **env), client, item, options)
        except SimulatedCrash:
            history.append("crash")
            env = {}
            continue
        env = {}
        history.append(outcome.status)
        assert len(fake.posts_with(options.marker)) <= 1, f"double post after {history}"
        if outcome.status in POSTED_STATUSES:
            return history
        assert outcome.status == "uncertain", outcome.error
        record = state.open_upload(catalog_url, item.channel, item.date, fmt, platform, "default", item.video_sha256)
        assert record.status == "uncertain" and record.deferred_until == outcome.deferred_until
        # not due yet: a rerun leaves it alone
        assert publish_target(make_env(catalog_url, clock, run_id=f"early-{run}"), client, item, options).status == (
            "uncertain"
        )
        assert outcome.deferred_until is not None
        clock.t = outcome.deferred_until
    return history


class SimulatedCrash(BaseException):
    """The process dying right after a step (not an Exception: nothing catches it)."""


def crash_before(step_name: str) -> object:
    def hook(step: str) -> None:
        if step == step_name:
            raise SimulatedCrash(step)

    return hook


LAGGING = [
    ("facebook", "16:9", 3.0, "create"),  # Page video create, 3 s list lag
    ("instagram", "9:16", 4.0, "publish"),  # media_publish, 4 s list lag
    ("facebook", "9:16", 3.0, "reel_finish"),  # reel finish, its publishing phase lags 3 s
]


@pytest.mark.parametrize(("platform", "fmt", "lag", "step"), LAGGING, ids=[f"{p}-{s}" for p, _, _, s in LAGGING])
def test_lost_create_answer_with_a_lagging_list_posts_once(
    platform: str,
    fmt: str,
    lag: float,
    step: str,
    fakes: dict[str, PlatformFake],
    media: Media,
    catalog_url: str,
    clock: FakeClock,
) -> None:
    """Item 3: the create's answer is lost and the list lags: the upload is ``uncertain`` (checked again with
    back-off, never created again at once) until the post shows up. The old client created a second post."""
    fake = fakes[platform]
    fake.lag_lists(lag)
    fake.inject("lost_response", step)
    history = publish_until_settled(platform, fmt, fake, media, catalog_url, clock)
    assert history[-1] in POSTED_STATUSES and "uncertain" in history, history
    assert len(fake.posts) == 1


@pytest.mark.parametrize(
    ("platform", "fmt", "saved"),
    [
        ("facebook", "16:9", "created"),
        ("instagram", "9:16", "published"),
        ("facebook", "9:16", "finished"),
    ],
)
def test_crash_right_after_the_create_with_a_lagging_list_posts_once(
    platform: str,
    fmt: str,
    saved: str,
    fakes: dict[str, PlatformFake],
    media: Media,
    catalog_url: str,
    clock: FakeClock,
) -> None:
    """Item 3: the process dies right after the create (its id never saved); the rerun waits for the list."""
    fake = fakes[platform]
    fake.lag_lists(3.0)
    history = publish_until_settled(platform, fmt, fake, media, catalog_url, clock, before_save=crash_before(saved))
    assert history[0] == "crash" and history[-1] in POSTED_STATUSES and "uncertain" in history, history
    assert len(fake.posts) == 1


def test_nothing_listed_after_the_window_creates_again(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    """Item 3: the create never reached the platform (the process died after saving "create"): after the window
    the upload is created, once."""
    fake = fakes["facebook"]
    client = client_for("facebook", fake, **UNCERTAIN)
    item, options = make_item(media, "facebook", "16:9"), make_options("facebook", "16:9")
    with pytest.raises(SimulatedCrash):
        publish_target(make_env(catalog_url, clock, after_save=crash_after("create")), client, item, options)
    statuses = []
    for run in range(10):
        outcome = publish_target(make_env(catalog_url, clock, run_id=f"r{run}"), client, item, options)
        statuses.append(outcome.status)
        if outcome.status in POSTED_STATUSES:
            break
        assert outcome.status == "uncertain" and outcome.deferred_until is not None
        clock.t = outcome.deferred_until
    assert statuses[-1] in POSTED_STATUSES and statuses.count("uncertain") >= 2, statuses
    assert len(fake.posts) == 1


def crash_after(step_name: str) -> object:
    def hook(step: str) -> None:
        if step == step_name:
            raise SimulatedCrash(step)

    return hook


def test_sensor_picks_up_uncertain_uploads_when_due(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    """Item 3: an uncertain upload is resumed by ``uncertain_uploads_sensor`` at its next check, not before."""
    import dagster as dg

    from storyvid_assets.resources.storage.catalog import CatalogResource
    from storyvid_assets.sensors.uploads import resume_requests, uncertain_uploads_sensor

    fake = fakes["facebook"]
    fake.lag_lists(60.0)
    fake.inject("lost_response", "create")
    client = client_for("facebook", fake, **UNCERTAIN)
    item, options = make_item(media, "facebook", "16:9"), make_options("facebook", "16:9")
    catalog = CatalogResource(url=catalog_url)
    assert not uncertain_uploads_sensor(dg.build_sensor_context(resources={"catalog": catalog})).run_requests
    outcome = publish_target(make_env(catalog_url, clock), client, item, options)
    assert outcome.status == "uncertain" and outcome.deferred_until is not None
    assert resume_requests(catalog, clock.now(), status="uncertain") == [], "not due before its next check"
    assert resume_requests(catalog, outcome.deferred_until, status="deferred") == []
    [request] = resume_requests(catalog, outcome.deferred_until, status="uncertain")
    assert request.partition_key == "bedtime|2026-11-25"
    assert request.run_key and request.run_key.startswith("check-uncertain-uploads|bedtime|2026-11-25|")
    [live] = uncertain_uploads_sensor(dg.build_sensor_context(resources={"catalog": catalog})).run_requests
    assert live.run_key == request.run_key


def test_facebook_reels_cap_defers_instead_of_failing(
    fakes: dict[str, PlatformFake], media: Media, catalog_url: str, clock: FakeClock
) -> None:
    """Item 8: 30 reels in the Page's moving 24 h (posted before our ledger's UTC day began): the finish is
    refused, and the upload is deferred (quota ledger marked), not retried three times and failed."""
    from datetime import timedelta

    from storyvid_tests.fakes.facebook import Reel

    fake = fakes["facebook"]
    assert isinstance(fake, FakeFacebook)
    for n in range(30):
        fake.reels[f"old{n}"] = Reel(f"old{n}", b"x", published=True, published_at=clock.now() - timedelta(hours=13))
    client = client_for("facebook", fake, retry_after_cap_s=300.0)  # as in production: Graph's 60 s throttle wait fits
    item, options = make_item(media, "facebook", "9:16"), make_options("facebook", "9:16")
    outcome = publish_target(make_env(catalog_url, clock), client, item, options)
    assert outcome.status == "deferred", outcome.error
    assert outcome.deferred_until is not None and outcome.deferred_until >= clock.now() + timedelta(minutes=30)
    assert outcome.alert is None and not fake.posts
    assert len(fake.steps("reel_finish")) == 1, "the cap is not retried at once"
    for run in range(30):
        if outcome.status in POSTED_STATUSES:
            break
        assert outcome.status == "deferred" and outcome.deferred_until is not None
        clock.t = outcome.deferred_until
        outcome = publish_target(make_env(catalog_url, clock, run_id=f"r{run}"), client, item, options)
    assert outcome.status in POSTED_STATUSES, outcome.error
    assert len(fake.posts_with(options.marker)) == 1
    assert len(fake.steps("reel_start")) == 1 and len(fake.steps("reel_upload")) == 1, "the upload was kept"


RESUMABLE = [
    ("instagram", "9:16", "upload", "bytes_received"),
    ("facebook", "9:16", "reel_upload", "reel_bytes_received"),
]


@pytest.mark.parametrize("rerun", [False, True], ids=["retry", "rerun"])
@pytest.mark.parametrize(("platform", "fmt", "step", "counter"), RESUMABLE, ids=[p for p, *_ in RESUMABLE])
def test_interrupted_upload_resumes_at_the_servers_offset(
    platform: str,
    fmt: str,
    step: str,
    counter: str,
    rerun: bool,
    fakes: dict[str, PlatformFake],
    media: Media,
    catalog_url: str,
    clock: FakeClock,
) -> None:
    """Item 7: the connection drops half way through the upload; the client asks the server how many bytes it
    kept (``bytes_transferred``) and sends only the rest, in the same run (retry) or the next (rerun)."""
    fake = fakes[platform]
    fake.inject("drop", step)
    client = client_for(platform, fake, **({"max_attempts": 1} if rerun else {}))
    item, options = make_item(media, platform, fmt), make_options(platform, fmt)
    outcome = publish_target(make_env(catalog_url, clock), client, item, options)
    if rerun:
        assert outcome.status == "failed"
        outcome = publish_target(make_env(catalog_url, clock, run_id="rerun"), client, item, options)
    assert outcome.status in POSTED_STATUSES, outcome.error
    size = media.videos[fmt].stat().st_size
    [post] = fake.posts_with(options.marker)
    assert post.sha256 == media.sha(fmt)
    uploads = fake.steps(step)
    assert len(uploads) == 2
    assert 0 < uploads[1].body_bytes < size, "the second request sent only what the server was missing"
    assert getattr(fake, counter) == size, "every byte arrived exactly once"

"""Every platform × every injected fault: after retries and reruns, exactly one post, or a recorded
deferral / failure with an alert — never two posts, never a silent loss. The matrix is printed in the
terminal summary (see ``conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from storyvid_assets.distribution import state
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_assets.reliability import reset_breakers
from storyvid_tests.distribution.conftest import (
    DEFAULT_FORMAT,
    PLATFORMS,
    FakeClock,
    Media,
    client_for,
    copy_catalog,
    make_env,
    make_item,
    make_options,
    new_fake,
)
from storyvid_tests.fakes.platform_server import PlatformFake

# fault -> the step of each platform where the real service could fail that way
FAULT_STEPS: dict[str, dict[str, str]] = {
    "drop": {"youtube": "chunk", "instagram": "upload", "tiktok": "chunk", "facebook": "transfer"},
    "http_500": {"youtube": "session", "instagram": "create", "tiktok": "init", "facebook": "create"},
    "http_503": {"youtube": "chunk", "instagram": "publish", "tiktok": "chunk", "facebook": "session"},
    "rate_limit": {"youtube": "session", "instagram": "create", "tiktok": "init", "facebook": "create"},
    "expired_token": {"youtube": "session", "instagram": "create", "tiktok": "init", "facebook": "create"},
    "quota": {"youtube": "session", "instagram": "publish", "tiktok": "init", "facebook": "create"},
    "lost_response": {"youtube": "final_chunk", "instagram": "publish", "tiktok": "final_chunk", "facebook": "create"},
    "persistent_503": {"youtube": "session", "instagram": "create", "tiktok": "init", "facebook": "session"},
}


def run_scenario(platform: str, fault: str, media: Media, catalog_url: str, clock: FakeClock) -> str:
    """Inject the fault, publish, rerun as an operator (or the sensor) would, and describe what happened."""
    fake: PlatformFake = new_fake(platform, clock).start()
    try:
        step = FAULT_STEPS[fault][platform]
        if fault == "persistent_503":
            fake.inject("http_503", step, times=50)
        else:
            fake.inject(fault, step)
        fmt = DEFAULT_FORMAT[platform]
        item, options = make_item(media, platform, fmt), make_options(platform, fmt)
        client = client_for(platform, fake)
        history: list[str] = []
        for run in range(4):
            env = make_env(catalog_url, clock, run_id=f"{platform}-{fault}-{run}")
            outcome = publish_target(env, client, item, options)
            history.append(f"{outcome.status}" + (f"(r{outcome.retries})" if outcome.retries else ""))
            assert len(fake.posts_with(options.marker)) <= 1, f"double post after {history}"
            if outcome.status in POSTED_STATUSES:
                break
            assert outcome.status in ("deferred", "failed"), f"unexpected {outcome.status}: {outcome.error}"
            record = state.open_upload(
                catalog_url, item.channel, item.date, fmt, platform, "default", item.video_sha256
            )
            assert record.status == outcome.status and record.error, "the state is recorded with its reason"
            if outcome.status == "failed":
                assert outcome.alert and env.alerts, "a failed upload opens an alert"
                fake.faults[0].times = 0  # the outage ends; an operator reruns
            else:
                assert outcome.deferred_until is not None and outcome.deferred_until > clock.now()
                clock.t = outcome.deferred_until + timedelta(seconds=1)  # the sensor resumes it then
        assert all(f.times == 0 for f in fake.faults), f"the {fault} fault at {step} was never reached"
        posts = fake.posts_with(options.marker)
        assert len(posts) == 1 and len(fake.posts) == 1, f"{len(fake.posts)} posts after {history}"
        assert posts[0].sha256 == media.sha(fmt)
        return " → ".join(history)
    finally:
        fake.stop()


def test_fault_matrix(
    media: Media,
    tmp_path: Path,
    catalog_template: Path,
    clock: FakeClock,
    record_property: Callable[[str, object], None],
) -> None:
    cells: dict[tuple[str, str], str] = {}
    failures: list[str] = []
    for fault in FAULT_STEPS:
        for platform in PLATFORMS:
            reset_breakers()
            url = copy_catalog(catalog_template, tmp_path / f"{platform}-{fault}")
            try:
                cells[(platform, fault)] = run_scenario(platform, fault, media, url, clock)
            except AssertionError as exc:
                cells[(platform, fault)] = "FAIL"
                failures.append(f"{platform} × {fault}: {exc}")
    width = max(len(v) for v in cells.values()) + 2
    lines = [
        "fault matrix: status of each run (→ rerun), r = our step retries; every cell ends with exactly one post.",
        "YouTube 'processing' = uploaded, YouTube still encoding; httplib2 itself re-sends once after a dropped",
        "connection, so a single YouTube drop needs no retry of ours.",
        "fault".ljust(16) + "".join(p.ljust(width) for p in PLATFORMS),
    ]
    lines += [fault.ljust(16) + "".join(cells[(p, fault)].ljust(width) for p in PLATFORMS) for fault in FAULT_STEPS]
    record_property("fault_matrix", "\n".join(lines))
    assert not failures, "\n".join(failures)

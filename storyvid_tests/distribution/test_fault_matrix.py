"""Every upload target × every injected fault: after retries and reruns, exactly one post, or an explicit
deferred / uncertain / failed state with its reason (and an alert when failed) — never two posts, never a silent
loss. One test per target; each records its row, and ``conftest.py`` prints the matrix as a table in the
terminal summary.

The five targets: YouTube (16:9), Instagram Reels (9:16), TikTok (9:16), Facebook page video (16:9), Facebook
reels (9:16). The faults: the platform faults of ``fakes/platform_server.py`` at the step where the real service
could fail that way, and three the platforms' documentation warns about
(/work/shared/reference/platform-protocols.md): "list lags" (the create's answer is lost and the list that would
show the post lags behind), "refresh rotates" (the access token expires; TikTok rotates the refresh token on
every refresh, so a later upload works only with the newest one) and "answer lost at every non-idempotent step".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from storyvid_assets.distribution import state
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_assets.reliability import reset_breakers
from storyvid_tests.distribution.conftest import (
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

# target -> (platform, format)
TARGETS: dict[str, tuple[str, str]] = {
    "youtube": ("youtube", "16:9"),
    "instagram reels": ("instagram", "9:16"),
    "tiktok": ("tiktok", "9:16"),
    "facebook video": ("facebook", "16:9"),
    "facebook reels": ("facebook", "9:16"),
}
T = tuple(TARGETS)

# fault -> the steps of each target where the real service could fail that way (several: all at once)
FAULT_STEPS: dict[str, dict[str, list[str]]] = {
    "drop": dict(zip(T, [["chunk"], ["upload"], ["chunk"], ["transfer"], ["reel_upload"]], strict=True)),
    "http_500": dict(zip(T, [["session"], ["create"], ["init"], ["create"], ["reel_start"]], strict=True)),
    "http_503": dict(zip(T, [["chunk"], ["publish"], ["chunk"], ["session"], ["reel_upload"]], strict=True)),
    "rate_limit": dict(zip(T, [["session"], ["create"], ["init"], ["create"], ["reel_start"]], strict=True)),
    "expired_token": dict(zip(T, [["session"], ["create"], ["init"], ["create"], ["reel_start"]], strict=True)),
    "quota": dict(zip(T, [["session"], ["publish"], ["init"], ["create"], ["reel_start"]], strict=True)),
    "lost_response": dict(
        zip(T, [["final_chunk"], ["publish"], ["final_chunk"], ["create"], ["reel_finish"]], strict=True)
    ),
    "persistent_503": dict(zip(T, [["session"], ["create"], ["init"], ["session"], ["reel_start"]], strict=True)),
    # the create's answer is lost and the list that would show the post lags LIST_LAG_S behind
    "list_lags": dict(
        zip(T, [["final_chunk"], ["publish"], ["final_chunk"], ["create"], ["reel_finish"]], strict=True)
    ),
    # the access token expires at the first call that needs it; a second upload later needs another refresh
    "refresh_rotates": dict(zip(T, [["session"], ["create"], ["init"], ["create"], ["reel_start"]], strict=True)),
    # every call that makes something on the platform and has no idempotency key: its answer is lost
    "lost_everywhere": dict(
        zip(
            T,
            [
                ["session", "final_chunk"],
                ["create", "upload", "publish"],
                ["init", "final_chunk"],
                ["session", "transfer", "create"],
                ["reel_start", "reel_upload", "reel_finish"],
            ],
            strict=True,
        )
    ),
}
INJECTED_AS = {
    "persistent_503": "http_503",
    "list_lags": "lost_response",
    "refresh_rotates": "expired_token",
    "lost_everywhere": "lost_response",
}
# may end in an explicit state without a post: the new faults, and a token the platform cannot refresh (an
# expired Instagram user token must be renewed by logging in again: a failure whose alert names the token)
EXPLICIT_END_OK = ("list_lags", "refresh_rotates", "lost_everywhere", "expired_token")
TOKEN_FAULTS = ("expired_token", "refresh_rotates")
LIST_LAG_S = 120.0
MAX_RUNS = 12  # uncertain creates are re-checked with back-off over a window (minutes): several sensor runs


def publish_until_settled(
    fake: PlatformFake, target: str, catalog_url: str, clock: FakeClock, media: Media, date: str, label: str
) -> tuple[list[str], str, str]:
    """Publish, rerunning as an operator (after a failure) or the sensor (when a deferral/re-check is due)
    would; returns the history and the final status. Asserts the invariants after every run."""
    platform, fmt = TARGETS[target]
    item, options = make_item(media, platform, fmt, date=date), make_options(platform, fmt, date=date)
    client = client_for(platform, fake)
    history: list[str] = []
    status, error = "", ""
    for run in range(MAX_RUNS):
        armed = any(f.times > 0 for f in fake.faults)
        env = make_env(catalog_url, clock, run_id=f"{label}-{run}")
        outcome = publish_target(env, client, item, options)
        status, error = outcome.status, outcome.error or ""
        history.append(status + (f"(r{outcome.retries})" if outcome.retries else ""))
        assert len(fake.posts_with(options.marker)) <= 1, f"double post after {history}"
        if status in POSTED_STATUSES:
            break
        assert status in ("deferred", "uncertain", "failed"), f"unexpected {status}: {outcome.error}"
        record = state.open_upload(catalog_url, item.channel, item.date, fmt, platform, "default", item.video_sha256)
        assert record.status == status and record.error, "the state is recorded with its reason"
        if status == "failed":
            assert outcome.alert and env.alerts, "a failed upload opens an alert"
            if not armed:
                break  # it fails with no fault armed: it needs a person (e.g. a renewed token)
            for fault in fake.faults:  # the outage ends; an operator reruns
                fault.times = 0
        else:
            assert outcome.deferred_until is not None and outcome.deferred_until > clock.now()
            clock.t = outcome.deferred_until + timedelta(seconds=1)  # the sensor resumes it then
    return history, status, error


def run_scenario(target: str, fault: str, media: Media, catalog_url: str, clock: FakeClock) -> str:
    """Inject the fault, publish until settled, and describe what happened (the cell of the matrix)."""
    platform, fmt = TARGETS[target]
    fake: PlatformFake = new_fake(platform, clock).start()
    try:
        steps = FAULT_STEPS[fault][target]
        for step in steps:
            fake.inject(INJECTED_AS.get(fault, fault), step, times=50 if fault == "persistent_503" else 1)
        if fault == "list_lags":
            fake.lag_lists(LIST_LAG_S)
        history, status, error = publish_until_settled(fake, target, catalog_url, clock, media, "2026-11-25", fault)
        unreached = [f"{f.kind}@{f.step}" for f in fake.faults if f.times > 0]
        assert not unreached, f"faults never reached: {unreached} ({history})"
        marker = make_options(platform, fmt).marker
        posts = fake.posts_with(marker)
        assert len(fake.posts) == len(posts), "no stray posts"
        if status in POSTED_STATUSES:
            assert len(posts) == 1 and posts[0].sha256 == media.sha(fmt), f"{len(posts)} posts after {history}"
        else:
            assert fault in EXPLICIT_END_OK, f"ended {status} without a post after {history}"
            assert not posts, f"a post exists but the upload says {status}"
            if fault in TOKEN_FAULTS:
                assert error and "token" in error, f"the failure names the token: {error}"
        if fault == "refresh_rotates" and status in POSTED_STATUSES:
            # a later upload (a new run: tokens come from the credential store) needs yet another refresh
            for step in steps:
                fake.inject("expired_token", step)
            later, _, _ = publish_until_settled(fake, target, catalog_url, clock, media, "2026-11-26", "later")
            assert later[-1].split("(")[0] in POSTED_STATUSES, f"the next upload after a rotation: {later}"
            history.append("next upload " + later[-1])
        return " → ".join(history)
    finally:
        fake.stop()


@pytest.mark.parametrize("target", T)
def test_fault_matrix(
    target: str,
    media: Media,
    tmp_path: Path,
    catalog_template: Path,
    clock: FakeClock,
    record_property: Callable[[str, object], None],
) -> None:
    cells: dict[str, str] = {}
    failures: list[str] = []
    for fault in FAULT_STEPS:
        reset_breakers()
        url = copy_catalog(catalog_template, tmp_path / fault)
        try:
            cells[fault] = run_scenario(target, fault, media, url, clock)
        except Exception as exc:
            cells[fault] = "FAIL"
            failures.append(f"{target} × {fault}: {exc}")
    record_property("fault_matrix_row", json.dumps({"target": target, "order": T.index(target), "cells": cells}))
    assert not failures, "\n".join(failures)

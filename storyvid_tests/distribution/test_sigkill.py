"""SIGKILL anywhere: the uploading process dies at a random request, a rerun on the same catalog finishes it.

Per target, a clean run first counts the requests an upload makes (n); then a child process uploads against the
same kind of fake, and when the fake sees request k (k drawn from a seeded RNG in 1..n) the test kills the child
with SIGKILL — the fake still serves that request, so the platform did the work and the answer is lost with
the process (the worst moment for a non-idempotent create). The rerun, in this process on the same catalog,
must end with exactly one post, or an explicit deferred / uncertain / failed state and no post. The outcome
is added to the fault matrix table in the terminal summary.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_tests.distribution.conftest import (
    START,
    FakeClock,
    Media,
    client_for,
    copy_catalog,
    make_env,
    make_item,
    make_options,
    new_fake,
)
from storyvid_tests.distribution.test_fault_matrix import TARGETS, publish_until_settled
from storyvid_tests.fakes.platform_server import PlatformFake

SEED = 12  # change it to explore other kill points; each target draws its own k from f"{SEED}-{target}"
REPO = Path(__file__).resolve().parents[2]


def clean_request_count(target: str, media: Media, catalog_template: Path, folder: Path) -> int:
    platform, fmt = TARGETS[target]
    clock = FakeClock()
    fake = new_fake(platform, clock).start()
    try:
        url = copy_catalog(catalog_template, folder)
        item, options = make_item(media, platform, fmt), make_options(platform, fmt)
        outcome = publish_target(make_env(url, clock, run_id="clean"), client_for(platform, fake), item, options)
        assert outcome.status in POSTED_STATUSES, outcome.error
        with fake.lock:
            return len(fake.seen)
    finally:
        fake.stop()


def kill_at(fake: PlatformFake, k: int, child: Callable[[], subprocess.Popen[str] | None]) -> list[str]:
    """Make the fake SIGKILL the child when request ``k`` arrives (then serve it: the answer dies with the child).
    Returns the list that receives the killed request's method and path."""
    killed: list[str] = []
    lock = threading.Lock()
    seen = {"n": 0}
    serve = fake._dispatch

    def dispatch(handler: Any) -> None:
        with lock:
            seen["n"] += 1
            now = seen["n"]
        proc = child()
        if now == k and proc is not None:
            os.kill(proc.pid, signal.SIGKILL)
            killed.append(f"{handler.command} {handler.path.split('?')[0]}")
        serve(handler)

    fake._dispatch = dispatch  # type: ignore[method-assign]
    return killed


@pytest.mark.parametrize("target", list(TARGETS))
def test_sigkill_at_a_random_request_then_rerun(
    target: str,
    media: Media,
    catalog_url: str,
    catalog_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    record_property: Callable[[str, object], None],
) -> None:
    platform, fmt = TARGETS[target]
    n = clean_request_count(target, media, catalog_template, tmp_path / "clean")
    k = random.Random(f"{SEED}-{target}").randint(1, n)
    fake = new_fake(platform, clock).start()
    holder: dict[str, subprocess.Popen[str]] = {}
    killed = kill_at(fake, k, lambda: holder.get("proc"))
    try:
        client = client_for(platform, fake)
        spec = {
            "platform": platform,
            "format": fmt,
            "client_class": type(client).__name__,
            "client": {name: getattr(client, name) for name in type(client).model_fields},
            "catalog_url": catalog_url,
            "videos": {f: str(p) for f, p in media.videos.items()},
            "thumbnail": str(media.thumbnail),
            "now": START.isoformat(),
        }
        holder["proc"] = subprocess.Popen(
            [sys.executable, "-m", "storyvid_tests.distribution.sigkill_child", json.dumps(spec)],
            cwd=REPO,
            env=dict(os.environ),  # the credential store's key (set by the autouse fixture) included
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = holder["proc"].communicate(timeout=120)
        assert holder["proc"].returncode == -signal.SIGKILL, f"the child was not killed at {k}/{n}: {out}{err[-2000:]}"
        assert killed, "killed at request k"

        history, status, error = publish_until_settled(fake, target, catalog_url, clock, media, "2026-11-25", "rerun")
        marker = make_options(platform, fmt).marker
        posts = fake.posts_with(marker)
        where = f"killed at request {k}/{n} ({killed[0]}), then {history}: {error}"
        assert len(fake.posts) == len(posts) <= 1, where
        if status in POSTED_STATUSES:
            assert len(posts) == 1 and posts[0].sha256 == media.sha(fmt), where
        else:
            assert status in ("deferred", "uncertain", "failed") and not posts, where
        cell = f"SIGKILL@{k}/{n} → " + " → ".join(history)
        record_property(
            "fault_matrix_cell",
            json.dumps({"target": target, "order": list(TARGETS).index(target), "fault": "sigkill", "cell": cell}),
        )
    finally:
        fake.stop()

"""One upload target end to end: checks, lease, the platform client, and the outcome in the catalog.

Order: an already-posted upload is left alone → a deferral (or an uncertain create's next check) not yet due
waits → missing credentials mark it ``skipped`` → limits are checked (nothing sent on a violation) → the lease
is taken → the client runs with retries, quota and the journal → the outcome (posted, deferred, uncertain,
failed + alert) is recorded. A failure is
contained here, so the other uploads of the episode go on.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from storyvid_assets.distribution import state
from storyvid_assets.distribution.clients.base import StepRunner, platform_breaker
from storyvid_assets.distribution.errors import (
    CircuitOpen,
    CreateUncertain,
    CredentialsMissing,
    LimitExceeded,
    PlatformError,
    QuotaExhausted,
)
from storyvid_assets.distribution.limits import PostText, check_post
from storyvid_assets.distribution.quota import QuotaLedger
from storyvid_assets.distribution.state import UploadJournal
from storyvid_assets.distribution.text import compose_text
from storyvid_assets.models import PlatformPost, PostOptions, PublishItem, UploadOutcome
from storyvid_assets.reliability import Clock, RetryPolicy, SystemClock


class UploadClient(Protocol):
    """What publishing needs from a platform client (the ``PlatformClient`` resources provide it)."""

    @property
    def platform(self) -> str: ...

    @property
    def breaker_threshold(self) -> int: ...

    @property
    def breaker_cooldown_s(self) -> float: ...

    def missing_credentials(self) -> list[str]:
        """Environment variables the platform needs that are not set."""
        ...

    def retry_policy(self) -> RetryPolicy: ...

    def publish(
        self,
        video: PublishItem,
        options: PostOptions,
        *,
        text: PostText,
        journal: UploadJournal,
        steps: StepRunner,
        quota: QuotaLedger,
        clock: Clock,
        log: Callable[[str], None],
    ) -> PlatformPost:
        """Publish ``video`` (resuming from the journal's handles) and return the post."""
        ...


@dataclass
class PublishEnv:
    """What a publishing run brings: the catalog, time, its run id, and how to log and alert."""

    catalog_url: str
    run_id: str
    clock: Clock = field(default_factory=SystemClock)
    is_run_alive: Callable[[str], bool] = lambda run_id: False
    log: Callable[[str], None] = lambda message: None
    alert: Callable[[str], None] = lambda message: None  # admin alerts (the asset logs them as errors)
    rand: Callable[[], float] = random.random
    after_save: Callable[[str], None] | None = None  # tests: simulate a crash right after a saved step
    before_save: Callable[[str], None] | None = None  # tests: ... or right before it is saved


def _outcome(
    record: state.UploadRecord,
    options: PostOptions,
    *,
    status: str | None = None,
    retries: int = 0,
    error: str | None = None,
    alert: str | None = None,
) -> UploadOutcome:
    return UploadOutcome(
        platform=record.platform,
        format=record.format,
        account=record.account,
        kind=options.kind,  # type: ignore[arg-type]
        status=status or record.status,
        post_id=record.post_id,
        url=record.url,
        attempts=record.attempts,  # type: ignore[arg-type]
        retries=retries,
        error=error if error is not None else record.error,
        deferred_until=record.deferred_until,
        alert=alert,
    )


def _fail(
    env: PublishEnv, record: state.UploadRecord, options: PostOptions, reason: str, retries: int = 0
) -> UploadOutcome:
    record = state.record_status(env.catalog_url, record, "failed", env.run_id, error=reason)
    alert = state.open_alert(env.catalog_url, record, reason)
    env.alert(
        f"ADMIN ALERT {alert}: {record.platform} upload of {record.channel}|{record.date} {record.format} "
        f"failed: {reason}"
    )
    return _outcome(record, options, retries=retries, alert=alert)


def publish_target(env: PublishEnv, client: UploadClient, item: PublishItem, options: PostOptions) -> UploadOutcome:
    """Publish ``item`` on ``client``'s platform at most once, whatever happened in earlier runs."""
    url, platform = env.catalog_url, client.platform
    record = state.open_upload(url, item.channel, item.date, item.format, platform, options.account, item.video_sha256)
    if record.posted:
        return _outcome(record, options)
    now = env.clock.now()
    if record.status in ("deferred", "uncertain") and record.deferred_until and record.deferred_until > now:
        return _outcome(record, options)
    if missing := client.missing_credentials():
        reason = f"skipped: no credentials — {CredentialsMissing(platform, missing)}"
        record = state.record_status(url, record, "skipped", env.run_id, error=reason)
        return _outcome(record, options)
    try:
        text = compose_text(item, options)
        check_post(item, options, platform, text)
    except LimitExceeded as exc:
        return _fail(env, record, options, f"refused before upload: {exc}")
    if owner := state.claim(url, record, item.video_sha256, env.run_id, now, env.is_run_alive):
        return _outcome(record, options, status="in_progress", error=f"run {owner} is uploading it now")
    record = state.load_upload(url, record.id)
    journal = state.UploadJournal(url, record, env.run_id, after_save=env.after_save, before_save=env.before_save)
    breaker = platform_breaker(client.breaker_threshold, client.breaker_cooldown_s)
    steps = StepRunner(
        platform, client.retry_policy(), breaker, env.clock, env.rand, env.log, circuit=f"{platform}/{options.account}"
    )
    try:
        post = client.publish(
            item,
            options,
            text=text,
            journal=journal,
            steps=steps,
            quota=QuotaLedger(url, env.clock),
            clock=env.clock,
            log=env.log,
        )
    except CreateUncertain as exc:  # the post may exist: look again at check_at, never create again at once
        record = state.record_status(url, record, "uncertain", env.run_id, error=str(exc), deferred_until=exc.check_at)
        env.log(f"{platform} {item.format}: uncertain, next check at {exc.check_at.isoformat()} ({exc})")
        return _outcome(record, options, retries=steps.retries)
    except QuotaExhausted as exc:
        record = state.record_status(url, record, "deferred", env.run_id, error=str(exc), deferred_until=exc.resume_at)
        env.log(f"{platform} {item.format}: deferred until {exc.resume_at.isoformat()} ({exc})")
        return _outcome(record, options, retries=steps.retries)
    except CircuitOpen as exc:
        record = state.record_status(url, record, "deferred", env.run_id, error=str(exc), deferred_until=exc.reopen_at)
        return _outcome(record, options, retries=steps.retries)
    except (PlatformError, LimitExceeded) as exc:
        return _fail(env, record, options, str(exc), steps.retries)
    except Exception as exc:  # an unexpected answer or a bug: recorded and alerted, never silent
        return _fail(env, record, options, f"unexpected {type(exc).__name__}: {exc}", steps.retries)
    finally:
        state.release(url, record, item.video_sha256, env.run_id)
    record = state.record_posted(url, record, post, env.run_id, steps.retries)
    state.resolve_alerts(url, record)
    return _outcome(record, options, retries=steps.retries)

"""Instagram Reels through the Graph API: container → resumable upload → status poll → ``media_publish``.

Before anything is created the client reads ``content_publishing_limit`` (the limit is the API's, never a
constant). Handles saved in order: ``create_attempts`` → ``container_id``/``upload_uri`` → ``uploaded`` →
``publish_started`` → ``media_id``. ``media_publish`` is not idempotent: after a failed or lost publish the
client asks the container for its status and looks for the marker among recent media before publishing again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import httpx

from storyvid_assets.analytics.platform_metrics import MetricsAnswer, PlatformMetricSpec
from storyvid_assets.distribution.clients.base import MetricsWork, UploadWork, json_or_empty, new_http_client
from storyvid_assets.distribution.clients.graph import GraphApi, graph_error, lifetime_insights, resumable_transfer
from storyvid_assets.distribution.errors import AnswerLost, HandleExpired, PlatformError, QuotaExhausted
from storyvid_assets.distribution.quota import QuotaRule
from storyvid_assets.distribution.uncertain import UncertainRule, mark_create, settle
from storyvid_assets.models import PlatformPost

PLATFORM = "instagram"


@dataclass(frozen=True)
class InstagramSettings:
    base_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    ig_user_id: str = ""
    poll_interval_s: float = 10.0
    max_polls: int = 30
    limit_recheck_s: float = 3600.0
    timeout_s: float = 120.0
    uncertain: UncertainRule = field(default_factory=UncertainRule)  # a create with no answer: wait, then again


class InstagramApi:
    def __init__(
        self,
        settings: InstagramSettings,
        access_token: str,
        app_id: str,
        app_secret: str,
        work_clock_now: Any,
        http: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.http = http or new_http_client(settings.timeout_s)
        self.graph = GraphApi(
            PLATFORM,
            settings.base_url,
            settings.api_version,
            access_token,
            self.http,
            work_clock_now,
            app_id=app_id,
            app_secret=app_secret,
        )

    def close(self) -> None:
        self.http.close()

    @property
    def user(self) -> str:
        return self.settings.ig_user_id

    def _run(self, work: UploadWork, step: str, call: Any, **kwargs: Any) -> Any:
        return work.steps.run(step, call, on_auth_expired=self.graph.refresh_token, **kwargs)

    # ------------------------------------------------------------------ publish

    def publish(self, work: UploadWork) -> PlatformPost:
        journal = work.journal
        for _ in range(3):  # a container the server forgot is replaced at most twice
            try:
                media_id = (
                    journal.get("media_id")
                    or self._run(work, "recover", lambda: self._recover(work))
                    or self._create_and_publish(work)
                )
                break
            except HandleExpired as exc:
                work.log(f"instagram: container gone ({exc}); making a new one")
                journal.reset(str(exc), keep=("create_attempts",))
        else:
            raise PlatformError(PLATFORM, "container", "containers kept expiring; giving up", retryable=False)
        permalink = self._run(
            work,
            "permalink",
            lambda: self.graph.call("permalink", "GET", str(media_id), params={"fields": "id,permalink"}),
        ).get("permalink")
        return PlatformPost(
            platform=PLATFORM,
            format=work.item.format,
            post_id=str(media_id),
            url=str(permalink or f"https://www.instagram.com/reel/{media_id}/"),
            status="published",
        )

    def _recover(self, work: UploadWork) -> str | None:
        """A post made by an earlier try whose answer was lost: found by marker. While it is not listed the upload
        is ``uncertain`` (checked again with back-off); ``media_publish`` runs again only after the window, and
        never for a container that says PUBLISHED (the post exists: the list will show it)."""
        journal = work.journal
        if journal.get("publish_started"):
            found = settle(work, self.settings.uncertain, PLATFORM, "find marker", lambda: self._find_media(work))
            if not found and (container := journal.get("container_id")):
                if self._container_status(work, container) == "PUBLISHED":
                    raise PlatformError(
                        PLATFORM,
                        "find marker",
                        f"container {container} is PUBLISHED but its post was not listed within "
                        f"{self.settings.uncertain.window_min:g} min; not publishing it again",
                        retryable=False,
                    )
                journal.save("publish_again", publish_started=None)
        elif journal.get("create_attempts") and not journal.get("container_id"):
            found = self._find_media(work)
        else:
            return None
        if found:
            journal.save("found_by_marker", media_id=found)
        return found

    def _find_media(self, work: UploadWork) -> str | None:
        found = self._run(
            work,
            "find marker",
            lambda: self.graph.find_marker(
                "find marker", f"{self.user}/media", "caption", work.options.marker, "id,caption,timestamp"
            ),
        )
        return str(found["id"]) if found else None

    def _check_limit(self, work: UploadWork) -> None:
        body = self._run(
            work,
            "publishing limit",
            lambda: self.graph.call(
                "publishing limit",
                "GET",
                f"{self.user}/content_publishing_limit",
                params={"fields": "quota_usage,config"},
            ),
        )
        entry = (body.get("data") or [{}])[0]
        usage = int(entry.get("quota_usage", 0))
        total = int((entry.get("config") or {}).get("quota_total", 0))
        if total <= 0:
            raise PlatformError(PLATFORM, "publishing limit", "the API returned no quota_total", retryable=True)
        rule = QuotaRule(PLATFORM, limit=total, unit="posts")
        work.quota.observe(rule, work.options.account, usage)
        if usage >= total:
            resume = work.clock.now() + timedelta(seconds=self.settings.limit_recheck_s)
            work.quota.mark_exhausted(rule, work.options.account, until=resume)
            raise QuotaExhausted(
                PLATFORM, "publishing limit", f"{usage}/{total} posts used in the last 24 h", resume_at=resume
            )

    def _create_and_publish(self, work: UploadWork) -> str:
        journal = work.journal
        container = journal.get("container_id")
        if not container:
            self._check_limit(work)
            journal.save("create", create_attempts=work.bump("create_attempts"))
            body = self._run(
                work,
                "create container",
                lambda: self.graph.call(
                    "create container",
                    "POST",
                    f"{self.user}/media",
                    data={
                        "media_type": "REELS",
                        "upload_type": "resumable",
                        "caption": work.text.text,
                        "share_to_feed": "true" if work.options.kind == "feed" else "false",
                    },
                ),
            )
            container = str(body["id"])
            journal.save("container", container_id=container, upload_uri=str(body["uri"]))
        if not journal.get("uploaded"):
            resumable_transfer(
                partial(self._run, work),
                journal,
                "upload",
                "upload offset",
                "upload_started",
                lambda: self._bytes_transferred(work, container),
                lambda start: self._upload(work, journal.get("upload_uri"), start),
            )
        self._wait_finished(work, container)
        self._check_limit(work)
        attempt = {"n": 0}

        def publish_once() -> str:
            attempt["n"] += 1
            if attempt["n"] > 1 and (found := self._find_media(work)):
                return found
            try:
                body = self.graph.call(
                    "media_publish", "POST", f"{self.user}/media_publish", params={"creation_id": container}
                )
            except httpx.TransportError as exc:  # sent, no answer: the post may exist
                raise AnswerLost(PLATFORM, "media_publish", str(exc) or type(exc).__name__) from exc
            return str(body["id"])

        mark_create(work, publish_started=True)
        try:
            media_id = self._run(work, "media_publish", publish_once)
        except AnswerLost as exc:
            work.log(f"instagram: {exc}; looking for the post before anything else")
            found = self._recover(work)
            if not found:
                raise PlatformError(PLATFORM, "media_publish", f"{exc}; not listed", retryable=False) from exc
            return found
        journal.save("published", media_id=media_id)
        return media_id

    def _bytes_transferred(self, work: UploadWork, container: str) -> int:
        """The bytes the rupload service kept of an interrupted upload:
        ``video_status.uploading_phase.bytes_transferred`` of the container (~: the shape Facebook's reels guide
        documents for the same rupload service; Instagram's page only shows ``offset: 0``)."""
        body = self.graph.call("upload offset", "GET", container, params={"fields": "status_code,video_status"})
        phase = (body.get("video_status") or {}).get("uploading_phase") or {}
        return int(phase.get("bytes_transferred") or 0)

    def _upload(self, work: UploadWork, uri: str, start: int = 0) -> None:
        """The file from ``start`` on (the server's ``bytes_transferred`` after an interruption) to the
        container's rupload URI."""
        if start >= work.size:
            return  # every byte arrived; only the answer was lost
        response = self.http.post(
            uri,
            content=work.read(start, work.size - 1),
            headers={
                "Authorization": f"OAuth {self.graph.token}",
                "offset": str(start),
                "file_size": str(work.size),
                "Content-Type": "application/octet-stream",
            },
        )
        body = json_or_empty(response)
        if response.status_code >= 400 or not body.get("success"):
            debug = body.get("debug_info") or {}
            if response.status_code < 400 and debug:
                raise PlatformError(
                    PLATFORM, "upload", str(debug.get("message") or body), retryable=bool(debug.get("retriable"))
                )
            raise graph_error(PLATFORM, "upload", response, work.clock.now())

    def _container_status(self, work: UploadWork, container: str) -> str:
        body = self._run(
            work,
            "container status",
            lambda: self.graph.call("container status", "GET", container, params={"fields": "status_code,status"}),
        )
        return str(body.get("status_code", ""))

    def _wait_finished(self, work: UploadWork, container: str) -> None:
        for _ in range(self.settings.max_polls):
            status = self._container_status(work, container)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "EXPIRED":
                raise HandleExpired(PLATFORM, "container status", f"container {container} expired")
            if status == "ERROR":
                raise HandleExpired(PLATFORM, "container status", f"container {container} failed processing")
            work.clock.sleep(self.settings.poll_interval_s)
        raise PlatformError(
            PLATFORM,
            "container status",
            f"container {container} still processing after {self.settings.max_polls} polls",
            retryable=True,
        )

    # ------------------------------------------------------------------ status & metrics

    def status(self, post: PlatformPost) -> PlatformPost:
        body = self.graph.call("status", "GET", post.post_id, params={"fields": "id,permalink"})
        return post.model_copy(update={"status": "published", "url": body.get("permalink") or post.url})

    def fetch_metrics(
        self,
        posts: list[PlatformPost],
        days: list[str],
        spec: PlatformMetricSpec,
        durations: dict[str, float],
        work: MetricsWork,
    ) -> MetricsAnswer:
        """Each media's lifetime insights (``GET /{ig-media-id}/insights``) as read on the last of ``days``:
        cumulative (``period: lifetime``), up to 48 h late; an empty ``data`` array (no insights yet) is
        ``missing``, not zero [I1]."""
        return lifetime_insights(self.graph, "insights", posts, days, spec, durations, work)

"""Facebook Page videos (16:9) and Reels (9:16) through the Graph API.

Page video: upload session ``{app-id}/uploads`` → bytes to ``upload:SID`` (resumable: ``GET upload:SID`` says
the offset) → ``{page}/videos`` with the file handle (this creates the post) → status poll.
Reel: ``video_reels`` ``upload_phase=start`` → bytes to the ``upload_url`` → ``upload_phase=finish`` (this
publishes) → status poll. Handles are saved before each next step; the creating call is never repeated
blindly: after a failure or a lost answer the client looks for the marker (videos) or asks the video's
publishing status (reels) first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from storyvid_assets.analytics.platform_metrics import MetricsAnswer, PlatformMetricSpec
from storyvid_assets.distribution.clients.base import MetricsWork, UploadWork, json_or_empty, new_http_client
from storyvid_assets.distribution.clients.graph import GraphApi, graph_error, lifetime_insights
from storyvid_assets.distribution.errors import HandleExpired, PlatformError
from storyvid_assets.distribution.quota import QuotaRule
from storyvid_assets.models import PlatformPost

PLATFORM = "facebook"


@dataclass(frozen=True)
class FacebookSettings:
    base_url: str = "https://graph.facebook.com"
    video_base_url: str = "https://graph-video.facebook.com"
    api_version: str = "v23.0"
    page_id: str = ""
    app_id: str = ""
    poll_interval_s: float = 10.0
    max_polls: int = 30
    daily_video_cap: int = 50  # (~) no documented cap for Page videos; a guard against runaway posting
    daily_reel_cap: int = 30  # documented: 30 API reels per Page per 24 h
    timeout_s: float = 120.0


class FacebookApi:
    def __init__(
        self, settings: FacebookSettings, page_token: str, app_secret: str, now: Any, http: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.http = http or new_http_client(settings.timeout_s)
        self.graph = GraphApi(
            PLATFORM,
            settings.base_url,
            settings.api_version,
            page_token,
            self.http,
            now,
            app_id=settings.app_id,
            app_secret=app_secret,
        )

    def close(self) -> None:
        self.http.close()

    @property
    def page(self) -> str:
        return self.settings.page_id

    def _run(self, work: UploadWork, step: str, call: Any, **kwargs: Any) -> Any:
        return work.steps.run(step, call, on_auth_expired=self.graph.refresh_token, **kwargs)

    def publish(self, work: UploadWork) -> PlatformPost:
        reel = work.options.kind == "reel"
        for _ in range(3):
            try:
                video_id = self._publish_reel(work) if reel else self._publish_video(work)
                break
            except HandleExpired as exc:
                work.log(f"facebook: upload session gone ({exc}); starting again")
                work.journal.reset(str(exc), keep=("create_attempts",))
        else:
            raise PlatformError(PLATFORM, "upload", "upload sessions kept expiring; giving up", retryable=False)
        status, url = self._wait_ready(work, video_id)
        if work.options.publish_at and not reel and status == "published":
            status = "scheduled"
        return PlatformPost(platform=PLATFORM, format=work.item.format, post_id=video_id, url=url, status=status)

    # ------------------------------------------------------------------ page video

    def _publish_video(self, work: UploadWork) -> str:
        journal = work.journal
        if journal.get("video_id"):
            return str(journal.get("video_id"))
        if journal.get("create_attempts"):
            found = self._run(
                work,
                "find marker",
                lambda: self.graph.find_marker(
                    "find marker", f"{self.page}/videos", "description", work.options.marker, "id,description"
                ),
            )
            if found:
                journal.save("found_by_marker", video_id=str(found["id"]))
                return str(found["id"])
        if not journal.get("file_handle"):
            self._upload_file(work)
        work.quota.spend(QuotaRule(PLATFORM, self.settings.daily_video_cap), work.options.account, 1, "create video")
        journal.save("create", create_attempts=work.bump("create_attempts"))
        attempt = {"n": 0}

        def create_once() -> str:
            attempt["n"] += 1
            if attempt["n"] > 1:
                found = self.graph.find_marker(
                    "find marker", f"{self.page}/videos", "description", work.options.marker, "id,description"
                )
                if found:
                    return str(found["id"])
            form: dict[str, Any] = {
                "title": work.text.title,
                "description": work.text.text,
                "fbuploader_video_file_chunk": journal.get("file_handle"),
            }
            if work.options.publish_at:
                form |= {"published": "false", "scheduled_publish_time": str(int(work.options.publish_at.timestamp()))}
            elif work.options.privacy != "public":
                form["published"] = "false"
            body = self.graph.call(
                "create video",
                "POST",
                f"{self.page}/videos",
                data=form,
                base_url=self.settings.video_base_url,
                token_in="form",
            )
            return str(body["id"])

        video_id = self._run(work, "create video", create_once)
        journal.save("created", video_id=video_id)
        return video_id

    def _upload_file(self, work: UploadWork) -> None:
        journal = work.journal
        if not journal.get("upload_session"):
            body = self._run(
                work,
                "upload session",
                lambda: self.graph.call(
                    "upload session",
                    "POST",
                    f"{self.settings.app_id}/uploads",
                    params={"file_name": work.path.name, "file_length": work.size, "file_type": "video/mp4"},
                ),
            )
            journal.save("upload_session", upload_session=str(body["id"]))
        session = str(journal.get("upload_session"))
        offset = {"value": int(journal.get("file_offset", 0))}

        def ask_offset() -> None:
            body = self.graph.call("upload offset", "GET", session)
            offset["value"] = int(body.get("file_offset", 0))

        def send() -> str:
            start = offset["value"]
            response = self.http.post(
                self.graph.url(session),
                content=work.read(start, work.size - 1),
                headers={
                    "Authorization": f"OAuth {self.graph.token}",
                    "file_offset": str(start),
                    "Content-Type": "application/octet-stream",
                },
            )
            if response.status_code >= 400:
                if response.status_code == 404:
                    raise HandleExpired(PLATFORM, "upload", f"upload session {session} is gone", status=404)
                raise graph_error(PLATFORM, "upload", response, work.clock.now())
            return str(json_or_empty(response)["h"])

        if journal.get("upload_started"):
            self._run(work, "upload offset", ask_offset)
        journal.save("upload", upload_started=True)
        handle = self._run(work, "upload", send, before_retry=ask_offset)
        journal.save("uploaded", file_handle=handle)

    # ------------------------------------------------------------------ reels

    def _publish_reel(self, work: UploadWork) -> str:
        journal = work.journal
        if not journal.get("video_id"):
            body = self._run(
                work,
                "reel start",
                lambda: self.graph.call(
                    "reel start", "POST", f"{self.page}/video_reels", data={"upload_phase": "start"}
                ),
            )
            journal.save("reel_start", video_id=str(body["video_id"]), upload_url=str(body["upload_url"]))
        video_id = str(journal.get("video_id"))
        if not journal.get("uploaded"):
            self._run(work, "reel upload", lambda: self._upload_reel(work, str(journal.get("upload_url"))))
            journal.save("uploaded", uploaded=True)
        if journal.get("finished"):
            return video_id
        if journal.get("finish_started") and self._reel_published(work, video_id):
            journal.save("finished", finished=True)
            return video_id
        if not journal.get("finish_started"):
            work.quota.spend(QuotaRule(PLATFORM, self.settings.daily_reel_cap), work.options.account, 1, "reel finish")
        journal.save("finish", finish_started=True, create_attempts=work.bump("create_attempts"))
        attempt = {"n": 0}

        def finish_once() -> None:
            attempt["n"] += 1
            if attempt["n"] > 1 and self._reel_published(work, video_id):
                return
            self.graph.call(
                "reel finish",
                "POST",
                f"{self.page}/video_reels",
                data={
                    "upload_phase": "finish",
                    "video_id": video_id,
                    "video_state": "PUBLISHED",
                    "description": work.text.text,
                },
            )

        self._run(work, "reel finish", finish_once)
        journal.save("finished", finished=True)
        return video_id

    def _upload_reel(self, work: UploadWork, url: str) -> None:
        response = self.http.post(
            url,
            content=work.path.read_bytes(),
            headers={"Authorization": f"OAuth {self.graph.token}", "offset": "0", "file_size": str(work.size)},
        )
        if response.status_code >= 400 or not json_or_empty(response).get("success"):
            raise graph_error(PLATFORM, "reel upload", response, work.clock.now())

    def _reel_published(self, work: UploadWork, video_id: str) -> bool:
        body = self.graph.call("reel status", "GET", video_id, params={"fields": "status"})
        phase = ((body.get("status") or {}).get("publishing_phase") or {}).get("status")
        return phase in ("complete", "in_progress")

    # ------------------------------------------------------------------ status

    def _wait_ready(self, work: UploadWork, video_id: str) -> tuple[str, str]:
        for _ in range(self.settings.max_polls):
            body = self._run(
                work,
                "video status",
                lambda: self.graph.call("video status", "GET", video_id, params={"fields": "status,permalink_url"}),
            )
            state = (body.get("status") or {}).get("video_status")
            url = str(body.get("permalink_url") or f"https://www.facebook.com/{self.page}/videos/{video_id}")
            if url.startswith("/"):
                url = "https://www.facebook.com" + url
            if state in ("ready", "published"):
                return "published", url
            if state == "error":
                raise PlatformError(PLATFORM, "video status", f"video {video_id} failed processing", retryable=False)
            work.clock.sleep(self.settings.poll_interval_s)
        return "processing", f"https://www.facebook.com/{self.page}/videos/{video_id}"

    def status(self, post: PlatformPost) -> PlatformPost:
        body = self.graph.call("video status", "GET", post.post_id, params={"fields": "status,permalink_url"})
        state = (body.get("status") or {}).get("video_status")
        mapped = {"ready": "published", "published": "published", "error": "failed"}.get(str(state), "processing")
        return post.model_copy(update={"status": mapped})

    def fetch_metrics(
        self,
        posts: list[PlatformPost],
        days: list[str],
        spec: PlatformMetricSpec,
        durations: dict[str, float],
        work: MetricsWork,
    ) -> MetricsAnswer:
        """Each video's or reel's lifetime ``GET /{video-id}/video_insights`` as read on the last of ``days``,
        following ``paging.next`` [F1][F2]; no entries yet is ``missing``, not zero."""
        return lifetime_insights(self.graph, "video_insights", posts, days, spec, durations, work)

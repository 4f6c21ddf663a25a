"""Facebook Page videos (16:9) and Reels (9:16) through the Graph API.

Page video: upload session ``{app-id}/uploads`` → bytes to ``upload:SID`` (resumable: ``GET upload:SID`` says
the offset) → ``{page}/videos`` with the file handle (this creates the post) → status poll.
Reel: ``video_reels`` ``upload_phase=start`` → bytes to the ``upload_url`` → ``upload_phase=finish`` (this
publishes) → status poll. Handles are saved before each next step; the creating call is never repeated
blindly: after a failure or a lost answer the client looks for the marker (videos) or asks the video's
publishing status (reels) first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import httpx

from storyvid_assets.analytics.platform_metrics import MetricsAnswer, PlatformMetricSpec
from storyvid_assets.distribution.clients.base import MetricsWork, UploadWork, json_or_empty, new_http_client
from storyvid_assets.distribution.clients.graph import (
    RENEW_TOKEN,
    GraphApi,
    graph_error,
    lifetime_insights,
    resumable_transfer,
)
from storyvid_assets.distribution.credentials import StoredToken
from storyvid_assets.distribution.errors import AnswerLost, AuthExpired, HandleExpired, PlatformError, QuotaExhausted
from storyvid_assets.distribution.quota import QuotaRule
from storyvid_assets.distribution.uncertain import UncertainRule, mark_create, settle
from storyvid_assets.models import PlatformPost

PLATFORM = "facebook"
# A finish refused with a limit/throttling code: the reels cap (30 per Page per moving 24 h,
# https://developers.facebook.com/documentation/video-api/guides/reels-publishing); its code is not documented.
REEL_CAP_CODES = {"code 4", "code 9", "code 17", "code 32", "code 613"}


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
    reel_cap_recheck_s: float = 3600.0  # the cap is a moving 24 h window: try again after this long
    timeout_s: float = 120.0
    uncertain: UncertainRule = field(default_factory=UncertainRule)  # a create with no answer: wait, then again


class FacebookApi:
    """Tokens: a long-lived user token (``user_token``, kept in the credential store) opens upload sessions
    (``/{app-id}/uploads`` takes a User access token) and derives the Page token the Page calls take
    (``GET /{page-id}?fields=access_token``); ``page_token`` is only a starting value. A Page token refused
    with 190 is derived again; a refused user token stops the upload with what to renew (see ``graph.py``)."""

    def __init__(
        self,
        settings: FacebookSettings,
        page_token: str,
        app_secret: str,
        now: Any,
        http: httpx.Client | None = None,
        user_token: StoredToken | None = None,
    ) -> None:
        self.settings = settings
        self.http = http or new_http_client(settings.timeout_s)
        self.user = user_token
        self.graph = GraphApi(
            PLATFORM,
            settings.base_url,
            settings.api_version,
            page_token,
            self.http,
            now,
            app_id=settings.app_id,
            app_secret=app_secret,
            renew=self._derive_page_token,
        )

    def close(self) -> None:
        self.http.close()

    @property
    def page(self) -> str:
        return self.settings.page_id

    # ------------------------------------------------------------------ tokens

    def _user_expired(self) -> PlatformError:
        name = self.user.name if self.user is not None else f"{PLATFORM}/default"
        return PlatformError(
            PLATFORM, "token expired", RENEW_TOKEN[PLATFORM].format(name=name), retryable=False, code="code 190"
        )

    def user_token(self) -> str:
        """The long-lived user access token from the credential store."""
        token = str(self.user.value.get("access_token") or "") if self.user is not None else ""
        if not token:
            raise PlatformError(
                PLATFORM,
                "user token",
                "no Facebook user access token is configured: set FACEBOOK_USER_TOKEN to a long-lived user token "
                "of a Page admin (upload sessions and Page tokens need it)",
                retryable=False,
            )
        return token

    def _derive_page_token(self) -> str:
        """The Page token from the user token: ``GET /{page-id}?fields=access_token`` (Page tokens derived from
        a long-lived user token do not expire; https://developers.facebook.com/docs/pages-api/getting-started,
        https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived)."""
        try:
            body = self.graph.call(
                "page token", "GET", self.page, params={"fields": "access_token"}, token=self.user_token()
            )
        except AuthExpired:
            raise self._user_expired() from None
        token = body.get("access_token")
        if not token:
            raise PlatformError(
                PLATFORM,
                "page token",
                f"the user token cannot act for Page {self.page} (no access_token returned): log in as an admin "
                "of the Page with pages_show_list, pages_read_engagement and pages_manage_posts",
                retryable=False,
            )
        return str(token)

    def _user_call(self, step: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call that takes the user token; a refused user token cannot be derived again."""
        try:
            return self.graph.call(step, method, path, token=self.user_token(), **kwargs)
        except AuthExpired:
            raise self._user_expired() from None

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
            # An earlier create got no answer (lost, or the process died): the video may exist but not be listed
            # yet. Never create again at once: look again with back-off until the window has passed.
            found = settle(work, self.settings.uncertain, PLATFORM, "find marker", lambda: self._find_video(work))
            if found:
                journal.save("found_by_marker", video_id=found)
                return found
        if not journal.get("file_handle"):
            self._upload_file(work)
        work.quota.spend(QuotaRule(PLATFORM, self.settings.daily_video_cap), work.options.account, 1, "create video")
        mark_create(work, create_attempts=work.bump("create_attempts"))
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
            try:
                body = self.graph.call(
                    "create video",
                    "POST",
                    f"{self.page}/videos",
                    data=form,
                    base_url=self.settings.video_base_url,
                    token_in="form",
                )
            except httpx.TransportError as exc:  # sent, no answer: the video may exist
                raise AnswerLost(PLATFORM, "create video", str(exc) or type(exc).__name__) from exc
            return str(body["id"])

        try:
            video_id = self._run(work, "create video", create_once)
        except AnswerLost as exc:
            work.log(f"facebook: {exc}; looking for the video before anything else")
            found = settle(work, self.settings.uncertain, PLATFORM, "find marker", lambda: self._find_video(work))
            if not found:
                raise PlatformError(PLATFORM, "create video", f"{exc}; not listed", retryable=False) from exc
            video_id = found
        journal.save("created", video_id=video_id)
        return video_id

    def _find_video(self, work: UploadWork) -> str | None:
        found = self._run(
            work,
            "find marker",
            lambda: self.graph.find_marker(
                "find marker", f"{self.page}/videos", "description", work.options.marker, "id,description"
            ),
        )
        return str(found["id"]) if found else None

    def _upload_file(self, work: UploadWork) -> None:
        journal = work.journal
        if not journal.get("upload_session"):
            body = self._run(
                work,
                "upload session",
                lambda: self._user_call(  # the documented call takes a User access token (Resumable Upload API)
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
            body = self._user_call("upload offset", "GET", session)
            offset["value"] = int(body.get("file_offset", 0))

        def send() -> str:
            start = offset["value"]
            if start >= work.size:
                # The server has every byte but the answer with the handle was lost; no documented call returns
                # the handle again (https://developers.facebook.com/docs/graph-api/guides/upload): a new session.
                raise HandleExpired(PLATFORM, "upload", f"upload session {session} is complete but its handle was lost")
            response = self.http.post(
                self.graph.url(session),
                content=work.read(start, work.size - 1),
                headers={
                    "Authorization": f"OAuth {self.user_token()}",  # the session's (user) token, in the header
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
            resumable_transfer(
                partial(self._run, work),
                journal,
                "reel upload",
                "reel offset",
                "reel_upload_started",
                lambda: self._reel_bytes_transferred(work, video_id),
                lambda start: self._upload_reel(work, str(journal.get("upload_url")), start),
            )
        if journal.get("finished"):
            return video_id

        def published() -> str | None:
            return video_id if self._run(work, "reel status", lambda: self._reel_published(work, video_id)) else None

        rule = self.settings.uncertain
        if journal.get("finish_started"):
            # An earlier finish got no answer: the reel may be published without showing it yet (never finish
            # again at once; look again with back-off until the window has passed).
            if settle(work, rule, PLATFORM, "reel status", published):
                journal.save("finished", finished=True)
                return video_id
        else:
            work.quota.spend(self._reel_rule(), work.options.account, 1, "reel finish")
        mark_create(work, finish_started=True, create_attempts=work.bump("create_attempts"))
        attempt = {"n": 0}

        def finish_once() -> None:
            attempt["n"] += 1
            if attempt["n"] > 1 and self._reel_published(work, video_id):
                return
            try:
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
            except httpx.TransportError as exc:  # sent, no answer: the reel may be published
                raise AnswerLost(PLATFORM, "reel finish", str(exc) or type(exc).__name__) from exc
            except PlatformError as exc:
                if (exc.code or "").split("/")[0] in REEL_CAP_CODES:
                    raise self._reel_cap_reached(work, exc) from exc
                raise

        try:
            self._run(work, "reel finish", finish_once)
        except AnswerLost as exc:
            work.log(f"facebook: {exc}; asking the reel's status before anything else")
            if not settle(work, rule, PLATFORM, "reel status", published):
                raise PlatformError(PLATFORM, "reel finish", f"{exc}; not published", retryable=False) from exc
        journal.save("finished", finished=True)
        return video_id

    def _reel_rule(self) -> QuotaRule:
        return QuotaRule(PLATFORM, self.settings.daily_reel_cap)

    def _reel_cap_reached(self, work: UploadWork, exc: PlatformError) -> QuotaExhausted:
        """The finish was refused with a limit code: the Page's 30 reels per moving 24 h are used up. Deferred
        (re-checked after ``reel_cap_recheck_s``), never retried at once nor failed."""
        resume = work.clock.now() + timedelta(seconds=self.settings.reel_cap_recheck_s)
        work.quota.mark_exhausted(self._reel_rule(), work.options.account, until=resume)
        work.journal.save("reel_cap", finish_started=None)  # nothing was published: finish normally next time
        return QuotaExhausted(
            PLATFORM,
            "reel finish",
            f"reels cap reached ({self.settings.daily_reel_cap} API reels per Page per 24 h; {exc})",
            resume_at=resume,
            status=exc.status,
            code=exc.code,
        )

    def _reel_bytes_transferred(self, work: UploadWork, video_id: str) -> int:
        """How many bytes the server kept of an interrupted reel upload: ``GET /{video_id}?fields=status`` →
        ``status.uploading_phase.bytes_transferred`` (reels-publishing guide)."""
        body = self.graph.call("reel offset", "GET", video_id, params={"fields": "status"})
        phase = (body.get("status") or {}).get("uploading_phase") or {}
        return int(phase.get("bytes_transferred") or 0)

    def _upload_reel(self, work: UploadWork, url: str, start: int) -> None:
        """The bytes from ``start`` on (the server's ``bytes_transferred`` after an interruption)."""
        if start >= work.size:
            return  # every byte arrived; only the answer was lost
        response = self.http.post(
            url,
            content=work.read(start, work.size - 1),
            headers={"Authorization": f"OAuth {self.graph.token}", "offset": str(start), "file_size": str(work.size)},
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

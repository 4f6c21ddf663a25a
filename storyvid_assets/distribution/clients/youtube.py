"""YouTube Data API v3 through google-api-python-client: resumable ``videos.insert`` and ``thumbnails.set``.

The client is built with ``build_from_document`` from the discovery document bundled with the library, its
``rootUrl`` pointed at the configured base URL (a loopback fake in tests), over
``AuthorizedHttp(credentials, http=build_http())`` (``build_http`` keeps 308 from being followed as a redirect;
``AuthorizedHttp`` refreshes the token on 401 against the configured ``token_uri``). The ``httplib2.Http``
underneath sends every request once (:func:`one_shot_http`): httplib2 itself re-sends a request whose
connection dropped before the answer, which re-sent a chunk with no status query and opened a second upload
session for one lost answer.

Handles saved in order: ``create_attempts`` → ``session_uri`` → ``uploaded_bytes`` after every chunk →
``video_id`` → ``thumbnail``. An interrupted upload resumes from the byte the server acknowledged (a
``bytes */size`` query); a session the server forgot (404) is started again, but only after the uploads
playlist shows no video with this upload's marker. The SDK's own retries are off (``num_retries=0``):
``StepRunner`` does them, honouring ``Retry-After`` (which the SDK ignores). After a failed chunk the next
attempt first asks the session what arrived (``Content-Range: bytes */TOTAL``) and resumes from the byte after
the server's ``Range``, as the Resumable Uploads guide says
(https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Resume_Upload).

Metrics: YouTube Analytics API v2 ``reports.query`` through the same library (the bundled
``youtubeAnalytics.v2`` document, ``rootUrl`` at ``analytics_base_url``), one daily series per video.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from storyvid_assets.analytics.platform_metrics import (
    MetricNames,
    MetricsAnswer,
    PlatformMetricSpec,
    post_metrics,
    request_metrics,
)
from storyvid_assets.distribution.clients.base import MetricsWork, UploadWork
from storyvid_assets.distribution.errors import AuthExpired, HandleExpired, PlatformError, QuotaExhausted
from storyvid_assets.distribution.quota import QuotaRule, quota_window
from storyvid_assets.models import PlatformPost, PostMetrics
from storyvid_assets.reliability import retry_after_s

PLATFORM = "youtube"
SCOPES = ["https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.readonly"]
# reports.query [Y1]: views and likes need yt-analytics.readonly, estimatedRevenue the monetary scope; the
# reference page's banner asks for youtube.readonly as well. The refresh token must have been granted these.
ANALYTICS_SCOPES = [
    "https://www.googleapis.com/auth/yt-analytics.readonly",
    "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
    "https://www.googleapis.com/auth/youtube.readonly",
]
CHUNK_MULTIPLE = 256 * 1024
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
DEFAULT_COSTS = {
    "videos.insert": 1600,
    "thumbnails.set": 50,
    "videos.list": 1,
    "channels.list": 1,
    "playlistItems.list": 1,
    "reports.query": 1,  # no unit cost is published for the Analytics API [Y8]; counted like a Data API list
}


@dataclass(frozen=True)
class YouTubeSettings:
    base_url: str = "https://youtube.googleapis.com/"
    analytics_base_url: str = "https://youtubeanalytics.googleapis.com/"
    token_uri: str = "https://oauth2.googleapis.com/token"
    chunk_size: int = 8 * 1024 * 1024
    daily_quota_units: int = 10_000
    costs: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    category_id: str = "1"  # Film & Animation
    timeout_s: float = 120.0

    def quota_rule(self) -> QuotaRule:
        return QuotaRule(PLATFORM, limit=self.daily_quota_units, unit="units", timezone="America/Los_Angeles")

    def cost(self, method: str) -> int:
        return int(self.costs.get(method, DEFAULT_COSTS.get(method, 1)))


def one_shot_http(timeout_s: float) -> Any:
    """An ``httplib2.Http`` that sends each request once and never follows a 308 (``build_http`` does the same
    for 308: it is YouTube's "Resume Incomplete").

    httplib2's ``_conn_request`` sends a request again when the connection drops before the answer (and once
    more "regardless of RETRIES" on a first ``BadStatusLine``), which for an upload means a chunk re-sent
    without the status query the protocol asks for, or a second ``videos.insert`` session. Here a dropped
    connection is an error; ``StepRunner`` decides what comes next.
    """
    import http.client

    import httplib2

    class OneShotHttp(httplib2.Http):  # type: ignore[misc]
        def _conn_request(self, conn: Any, request_uri: str, method: str, body: Any, headers: Any) -> Any:
            try:
                if conn.sock is None:
                    conn.connect()
                conn.request(method, request_uri, body, headers)
                response = conn.getresponse()
                content = b"" if method == "HEAD" else response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                raise
            if method == "HEAD":
                conn.close()
            wrapped = httplib2.Response(response)
            if method != "HEAD":
                content = httplib2._decompressContent(wrapped, content, self.limit_kwargs)
            return wrapped, content

    client = OneShotHttp(timeout=timeout_s)
    client.redirect_codes = client.redirect_codes - {308}
    return client


def discovery_document(base_url: str, name: str = "youtube.v3") -> dict[str, Any]:
    """A discovery document bundled with google-api-python-client (``youtube.v3``, ``youtubeAnalytics.v2``)
    with its ``rootUrl`` moved to ``base_url``."""
    text = (resources.files("googleapiclient") / "discovery_cache" / "documents" / f"{name}.json").read_text()
    doc = json.loads(text)
    doc["rootUrl"] = base_url.rstrip("/") + "/"
    return doc


def error_reason(content: bytes | str) -> tuple[str, str]:
    """(reason, message) from a Google error body."""
    try:
        error = json.loads(content).get("error") or {}
    except (ValueError, AttributeError):
        return "", str(content)[:200]
    reasons = [e.get("reason", "") for e in error.get("errors") or []]
    return (reasons[0] if reasons else str(error.get("status") or "")), str(error.get("message") or "")


class YouTubeApi:
    def __init__(
        self, settings: YouTubeSettings, client_id: str, client_secret: str, refresh_token: str, now: Any
    ) -> None:
        self.settings = settings
        self.now = now
        from google.oauth2.credentials import Credentials

        self.credentials = Credentials(
            token=None,
            refresh_token=refresh_token,
            token_uri=settings.token_uri,
            client_id=client_id,
            client_secret=client_secret,
            scopes=SCOPES,
        )
        self._service: Any = None
        self._http: Any = None
        self._analytics: Any = None
        self._analytics_http: Any = None

    def close(self) -> None:
        for http in (self._http, self._analytics_http):
            if http is not None:
                http.http.close()

    def service(self) -> tuple[Any, Any]:
        if self._service is None:
            import google_auth_httplib2
            from googleapiclient.discovery import build_from_document

            base = one_shot_http(self.settings.timeout_s)
            self._http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=base)
            self._service = build_from_document(discovery_document(self.settings.base_url), http=self._http)
        return self._service, self._http

    # ------------------------------------------------------------------ errors

    def _error(self, step: str, status: int, content: bytes | str, headers: Any, now: datetime) -> PlatformError:
        reason, message = error_reason(content)
        retry_after = retry_after_s(headers, now)
        if status == 403 and reason == "quotaExceeded":
            resume = quota_window(self.settings.quota_rule(), now)[1]
            return QuotaExhausted(
                PLATFORM, step, f"daily quota exceeded ({message})", resume_at=resume, status=status, code=reason
            )
        if status == 400 and reason == "uploadLimitExceeded":
            return QuotaExhausted(
                PLATFORM,
                step,
                f"channel upload limit reached ({message})",
                resume_at=now + timedelta(hours=24),
                status=status,
                code=reason,
            )
        if status == 401:
            return AuthExpired(PLATFORM, step, message or "token refused", status=status, code=reason)
        if status in (404, 410) and step.startswith("upload"):
            return HandleExpired(PLATFORM, step, "upload session no longer exists", status=status, code=reason)
        retryable = status == 429 or status >= 500 or (status == 403 and reason in RATE_REASONS)
        return PlatformError(
            PLATFORM,
            step,
            message or f"HTTP {status}",
            retryable=retryable,
            status=status,
            code=reason or None,
            retry_after=retry_after,
        )

    def _call(self, step: str, call: Any) -> Any:
        """Run an SDK call, mapping its errors (HttpError, RefreshError) to platform errors."""
        from google.auth.exceptions import RefreshError
        from googleapiclient.errors import HttpError

        try:
            return call()
        except HttpError as exc:
            raise self._error(step, exc.resp.status, exc.content, exc.resp, self.now()) from exc
        except RefreshError as exc:
            raise PlatformError(
                PLATFORM,
                step,
                f"token refresh refused ({exc.args[0] if exc.args else exc}); issue a new refresh token",
                retryable=False,
            ) from exc

    def _spend(self, work: UploadWork, method: str) -> None:
        rule = self.settings.quota_rule()
        work.quota.spend(rule, work.options.account, self.settings.cost(method), method)

    def _quota_refused(self, work: UploadWork, exc: QuotaExhausted) -> QuotaExhausted:
        if exc.code == "quotaExceeded":
            work.quota.mark_exhausted(self.settings.quota_rule(), work.options.account, until=exc.resume_at)
        return exc

    # ------------------------------------------------------------------ publish

    def publish(self, work: UploadWork) -> PlatformPost:
        try:
            video = self._video(work)
            self._thumbnail(work, video["id"])
        except QuotaExhausted as exc:
            raise self._quota_refused(work, exc) from exc
        return self._post(work, video)

    def _video(self, work: UploadWork) -> dict[str, Any]:
        journal = work.journal
        for _ in range(3):  # a session the server forgot is replaced at most twice
            try:
                if journal.get("video_id"):
                    return {"id": journal.get("video_id"), "status": journal.get("video_status", {})}
                if journal.get("session_uri"):
                    return self._upload(work, resume=True)
                if journal.get("create_attempts") and (found := self._find_marker(work)):
                    journal.save("found_by_marker", video_id=found["id"], video_status=found.get("status", {}))
                    return found
                return self._upload(work, resume=False)
            except HandleExpired as exc:
                work.log(f"youtube: {exc}; looking for the video before starting again")
                journal.reset(str(exc), keep=("create_attempts",))
        raise PlatformError(PLATFORM, "upload", "upload sessions kept expiring; giving up", retryable=False)

    def _body(self, work: UploadWork) -> dict[str, Any]:
        meta = work.item.metadata
        status: dict[str, Any] = {
            "privacyStatus": work.options.privacy,
            "selfDeclaredMadeForKids": meta.made_for_kids,
            "containsSyntheticMedia": meta.contains_synthetic_media,
        }
        if work.options.publish_at:
            status |= {
                "privacyStatus": "private",
                "publishAt": work.options.publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        return {
            "snippet": {
                "title": work.text.title,
                "description": work.text.text,
                "tags": list(work.text.tags),
                "categoryId": self.settings.category_id,
                "defaultLanguage": meta.language,
            },
            "status": status,
        }

    def _request(self, work: UploadWork) -> Any:
        from googleapiclient.http import MediaFileUpload

        class ChunkedFileUpload(MediaFileUpload):
            """Chunks read as bytes, so a re-sent request (token refresh, httplib2's retry) carries the chunk."""

            def has_stream(self) -> bool:
                return False

        chunk = max(CHUNK_MULTIPLE, self.settings.chunk_size // CHUNK_MULTIPLE * CHUNK_MULTIPLE)
        media = ChunkedFileUpload(str(work.path), mimetype="video/mp4", chunksize=chunk, resumable=True)
        service, _ = self.service()
        return service.videos().insert(part="snippet,status", body=self._body(work), media_body=media)

    def _upload(self, work: UploadWork, resume: bool) -> dict[str, Any]:
        journal = work.journal
        _, http = self.service()
        request = self._request(work)
        if resume:
            request.resumable_uri = journal.get("session_uri")
            done = work.steps.run(
                "upload status", lambda: self._call("upload status", lambda: self._query(http, request, work.size))
            )
            if done is not None:
                return self._uploaded(work, done)
        else:
            self._spend(work, "videos.insert")
            journal.save("create", create_attempts=work.bump("create_attempts"))
            session_uri = work.steps.run(
                "upload start", lambda: self._call("upload start", lambda: self._start(http, request, work.size))
            )
            journal.save("session", session_uri=session_uri, uploaded_bytes=0)
            request.resumable_uri = session_uri
        response = None
        while response is None:
            status, response = work.steps.run(
                "upload chunk", lambda: self._call("upload chunk", lambda: request.next_chunk(http=http))
            )
            if status is not None:
                journal.save("chunk", uploaded_bytes=status.resumable_progress)
        return self._uploaded(work, response)

    def _uploaded(self, work: UploadWork, video: dict[str, Any]) -> dict[str, Any]:
        work.journal.save(
            "uploaded", video_id=video["id"], uploaded_bytes=work.size, video_status=video.get("status", {})
        )
        return video

    @staticmethod
    def _start(http: Any, request: Any, size: int) -> str:
        """Open the resumable session (what the SDK's first ``next_chunk`` does), so its URI is saved first."""
        from googleapiclient.errors import HttpError

        headers = dict(request.headers)
        headers |= {
            "X-Upload-Content-Type": request.resumable.mimetype(),
            "X-Upload-Content-Length": str(size),
            "content-length": str(request.body_size),
        }
        resp, content = http.request(request.uri, method=request.method, body=request.body, headers=headers)
        if resp.status == 200 and "location" in resp:
            return str(resp["location"])
        raise HttpError(resp, content, uri=request.uri)

    @staticmethod
    def _query(http: Any, request: Any, size: int) -> dict[str, Any] | None:
        """Ask the session how many bytes it has; the video when the upload had already finished."""
        from googleapiclient.errors import HttpError

        resp, content = http.request(
            request.resumable_uri, "PUT", headers={"Content-Range": f"bytes */{size}", "content-length": "0"}
        )
        if resp.status in (200, 201):
            return json.loads(content)
        if resp.status == 308:
            request.resumable_progress = int(resp["range"].split("-")[1]) + 1 if "range" in resp else 0
            return None
        raise HttpError(resp, content, uri=request.resumable_uri)

    def _find_marker(self, work: UploadWork) -> dict[str, Any] | None:
        """The newest uploads of the channel, searched for this upload's marker (2 quota units)."""
        service, http = self.service()
        self._spend(work, "channels.list")
        channels = work.steps.run(
            "find marker",
            lambda: self._call(
                "find marker", lambda: service.channels().list(part="contentDetails", mine=True).execute(http=http)
            ),
        )
        items = channels.get("items") or []
        if not items:
            return None
        playlist = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        self._spend(work, "playlistItems.list")
        uploads = work.steps.run(
            "find marker",
            lambda: self._call(
                "find marker",
                lambda: (
                    service.playlistItems().list(part="snippet", playlistId=playlist, maxResults=50).execute(http=http)
                ),
            ),
        )
        for item in uploads.get("items") or []:
            snippet = item.get("snippet") or {}
            if work.options.marker in snippet.get("description", ""):
                return {"id": snippet["resourceId"]["videoId"], "status": {}}
        return None

    def _thumbnail(self, work: UploadWork, video_id: str) -> None:
        """Set the custom thumbnail; a refusal (e.g. an unverified channel) is noted, the video stays up."""
        journal = work.journal
        path = work.item.thumbnail_path
        if not path or journal.get("thumbnail"):
            return
        from googleapiclient.http import MediaFileUpload

        service, http = self.service()
        mimetype = "image/png" if path.lower().endswith(".png") else "image/jpeg"
        try:
            self._spend(work, "thumbnails.set")
            work.steps.run(
                "thumbnail",
                lambda: self._call(
                    "thumbnail",
                    lambda: (
                        service.thumbnails()
                        .set(videoId=video_id, media_body=MediaFileUpload(path, mimetype=mimetype))
                        .execute(http=http)
                    ),
                ),
            )
        except QuotaExhausted as exc:
            self._quota_refused(work, exc)
            work.log(f"youtube: thumbnail for {video_id} waits for quota: {exc}")
            journal.save("thumbnail", thumbnail_error=str(exc)[:300])
            return
        except PlatformError as exc:
            work.log(f"youtube: thumbnail not set for {video_id}: {exc}")
            journal.save("thumbnail", thumbnail="failed", thumbnail_error=str(exc)[:300])
            return
        journal.save("thumbnail", thumbnail="set")

    def _post(self, work: UploadWork, video: dict[str, Any]) -> PlatformPost:
        video_id = str(video["id"])
        short = work.options.kind == "short"
        url = f"https://www.youtube.com/shorts/{video_id}" if short else f"https://www.youtube.com/watch?v={video_id}"
        upload_status = (video.get("status") or {}).get("uploadStatus")
        status = (
            "scheduled" if work.options.publish_at else ("published" if upload_status == "processed" else "processing")
        )
        return PlatformPost(platform=PLATFORM, format=work.item.format, post_id=video_id, url=url, status=status)

    # ------------------------------------------------------------------ status & metrics

    def _videos(self, ids: list[str], part: str) -> list[dict[str, Any]]:
        service, http = self.service()
        body = self._call("videos.list", lambda: service.videos().list(part=part, id=",".join(ids)).execute(http=http))
        return list(body.get("items") or [])

    def status(self, post: PlatformPost) -> PlatformPost:
        items = self._videos([post.post_id], "status,processingDetails")
        if not items:
            return post.model_copy(update={"status": "failed"})
        status = items[0].get("status") or {}
        processing = (items[0].get("processingDetails") or {}).get("processingStatus")
        if status.get("uploadStatus") in ("failed", "rejected", "deleted") or processing == "failed":
            mapped = "failed"
        elif status.get("publishAt") and status.get("privacyStatus") == "private":
            mapped = "scheduled"
        elif status.get("uploadStatus") == "processed" or processing == "succeeded":
            mapped = "published"
        else:
            mapped = "processing"
        return post.model_copy(update={"status": mapped})

    # ------------------------------------------------------------------ analytics (reports.query)

    def analytics(self) -> tuple[Any, Any]:
        """The YouTube Analytics API v2 client (bundled discovery document), with its own analytics-scoped token."""
        if self._analytics is None:
            import google_auth_httplib2
            from google.oauth2.credentials import Credentials
            from googleapiclient.discovery import build_from_document

            upload = self.credentials
            credentials = Credentials(
                token=None,
                refresh_token=upload.refresh_token,
                token_uri=upload.token_uri,
                client_id=upload.client_id,
                client_secret=upload.client_secret,
                scopes=ANALYTICS_SCOPES,
            )
            base = one_shot_http(self.settings.timeout_s)
            self._analytics_http = google_auth_httplib2.AuthorizedHttp(credentials, http=base)
            document = discovery_document(self.settings.analytics_base_url, "youtubeAnalytics.v2")
            self._analytics = build_from_document(document, http=self._analytics_http)
        return self._analytics, self._analytics_http

    def fetch_metrics(
        self,
        posts: list[PlatformPost],
        days: list[str],
        spec: PlatformMetricSpec,
        durations: dict[str, float],
        work: MetricsWork,
    ) -> MetricsAnswer:
        """Each video's daily series over ``days`` (kind ``daily``), one ``reports.query`` per video.

        ``dimensions=day,video`` is refused and several ids in ``filters`` are summed [Y4][Y10], hence one
        ``dimensions=day&filters=video==ID`` query per video; the optional metrics (revenue) in a second one,
        skipped once refused (403 for channels outside the Partner Program [Y5]). Days the answer leaves out
        (the newest 48-72 h, or no ``rows`` at all [Y9]) are ``missing``.
        """
        start, end = min(days), max(days)
        main = MetricNames(PLATFORM, spec)
        optional = MetricNames(PLATFORM, spec, optional=True)
        metrics: list[PostMetrics] = []
        missing: list[tuple[str, str]] = []
        for post in posts:
            video = post.post_id

            def query(names: list[str], video: str = video) -> list[dict[str, Any]]:
                return self._report(work, video, start, end, names, spec.page_size)

            by_day: dict[str, dict[str, Any]] = {}
            for row in request_metrics(main, query, refused) or []:
                day = str(row.pop("day"))
                by_day[day] = main.configured(row)
            if by_day and optional.names():
                for row in request_metrics(optional, query, refused_optional) or []:
                    if (day := str(row.pop("day"))) in by_day:
                        by_day[day] |= optional.configured(row)
            for day in days:
                if day in by_day:
                    metrics.append(post_metrics(spec, PLATFORM, video, day, by_day[day], durations.get(video)))
                else:
                    missing.append((video, day))
        return MetricsAnswer(metrics=metrics, missing=missing, notes=main.notes + optional.notes)

    def _report(
        self, work: MetricsWork, video: str, start: str, end: str, names: list[str], page_size: int | None
    ) -> list[dict[str, Any]]:
        """One video's rows (``{"day": ..., metric: value}``), page by page (``startIndex`` is 1-based [Y1])."""
        service, http = self.analytics()
        rows: list[dict[str, Any]] = []
        first = 1
        while True:
            params: dict[str, Any] = {
                "ids": "channel==MINE",
                "startDate": start,
                "endDate": end,
                "metrics": ",".join(names),
                "dimensions": "day",
                "filters": f"video=={video}",
                "sort": "day",
            }
            if page_size:
                params |= {"startIndex": first, "maxResults": page_size}
            work.quota.spend(
                self.settings.quota_rule(), work.account, self.settings.cost("reports.query"), "reports.query"
            )
            body = work.steps.run(
                "reports.query",
                lambda p=params: self._call("reports.query", lambda: service.reports().query(**p).execute(http=http)),
            )
            page = result_rows(body)
            rows += page
            if not page_size or len(page) < page_size:
                return rows
            first += page_size


def result_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``resultTable`` as dicts by column name (dimensions first, then metrics); ``rows`` is omitted when
    there is no data [Y9]."""
    names = [str(header.get("name")) for header in body.get("columnHeaders") or []]
    return [dict(zip(names, row, strict=False)) for row in body.get("rows") or []]


def _refusal(exc: Exception, statuses: tuple[int, ...]) -> str | None:
    if isinstance(exc, QuotaExhausted | AuthExpired) or not isinstance(exc, PlatformError) or exc.retryable:
        return None
    return str(exc) if exc.status in statuses else None


def refused(exc: Exception) -> str | None:
    """A metric refusal: 400 (an unknown or removed metric, "The query is not supported.")."""
    return _refusal(exc, (400,))


def refused_optional(exc: Exception) -> str | None:
    """An optional metric's refusal: 400, or 403 (no monetary scope, not a Partner Program channel [Y5])."""
    return _refusal(exc, (400, 403))

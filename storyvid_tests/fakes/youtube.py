"""A loopback YouTube Data API v3 + OAuth token endpoint, speaking the resumable upload protocol.

Session start: ``POST /upload/youtube/v3/videos?uploadType=resumable`` → 200 + ``Location``. Chunks:
``PUT {session}`` with ``Content-Range: bytes a-b/N`` → 308 + ``Range: bytes=0-M`` until the last byte, then
200 with the ``youtube#video`` JSON. ``bytes */N`` asks for the state. Non-final chunks must be multiples of
256 KiB; overlapping re-sent ranges are accepted. Quota: units per Pacific day (insert 1600, thumbnails.set
50, lists 1), ``403 quotaExceeded`` past the daily limit. Upload session URIs do not need the Authorization
header (the session id is the capability; not verified against Google's servers).

Strict, as documented (Resumable Uploads guide,
https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol, summarised in
/work/shared/reference/platform-protocols.md §YouTube): every upload request (session start, chunk ``PUT``,
``bytes */N`` status query) carries ``Authorization: Bearer``; the token endpoint checks client id, client
secret and refresh token (OAuth 2.0 for installed apps, https://developers.google.com/identity/protocols/oauth2/native-app#offline);
the session start needs ``part`` naming every part of the body, ``Content-Type: application/json``, an integer
``X-Upload-Content-Length`` and a ``video/*`` ``X-Upload-Content-Type``; properties unknown to the ``video``
schema of the discovery document bundled with google-api-python-client are refused with 400 (as Google's
front end refuses unknown JSON fields); every ``Content-Range`` total must equal the declared size.

Fault steps: ``session`` (session start), ``chunk`` (a non-final chunk), ``final_chunk``, ``thumbnail``,
``query`` (a ``bytes */N`` status query); ``lost_response`` on a chunk keeps the chunk and hangs up,
``reports`` (the Analytics API). A ``drop`` during a chunk keeps the part received so far rounded down to
256 KiB, as Google's servers do, so the client must resume from the acknowledged byte, not from the chunk start.

YouTube Analytics API v2 ``GET /v2/reports`` (``reports.query``) as documented in
/work/shared/reference/analytics-apis.md §1 [Y1][Y3][Y4][Y5][Y9][Y10]: ``dimensions=day`` (or none) only,
``day,video`` and any other shape → 400 "The query is not supported."; several ids in ``filters=video==A,B``
are summed into one row per day; ``rows`` is omitted when there is no data; the newest ``analytics_lag_days``
(Pacific) days are left out; ``estimatedRevenue`` → 403 unless the channel is a partner and the token has the
monetary scope; unknown or removed metrics → 400; ``startIndex``/``maxResults`` page the rows. Every query is
kept in ``report_queries``. Seed a video's figures with :meth:`FakeYouTube.set_daily`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from storyvid_tests.fakes.platform_server import Done, Exchange, PlatformFake, Post

CHUNK = 256 * 1024
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/yt-analytics.readonly"
MONETARY_SCOPE = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
# reports.query metrics the fake knows [Y3], with their resultTable dataType; averages are view-weighted
REPORT_METRICS = {
    "views": "INTEGER",
    "engagedViews": "INTEGER",
    "likes": "INTEGER",
    "dislikes": "INTEGER",
    "comments": "INTEGER",
    "shares": "INTEGER",
    "subscribersGained": "INTEGER",
    "subscribersLost": "INTEGER",
    "estimatedMinutesWatched": "INTEGER",
    "averageViewDuration": "INTEGER",
    "averageViewPercentage": "FLOAT",
    "estimatedRevenue": "CURRENCY",
}
AVERAGES = {"averageViewDuration", "averageViewPercentage"}
MONETARY = {"estimatedRevenue"}
NOT_SUPPORTED = (
    "The query is not supported. Check the documentation at "
    "https://developers.google.com/youtube/analytics/v2/available_reports for a list of supported queries."
)
COSTS = {"videos.insert": 1600, "thumbnails.set": 50, "list": 1}
PACIFIC = ZoneInfo("America/Los_Angeles")
RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def video_schema() -> dict[str, set[str]]:
    """The writable shape of a ``video`` resource per the bundled discovery document: part -> its properties."""
    text = (resources.files("googleapiclient") / "discovery_cache" / "documents" / "youtube.v3.json").read_text()
    schemas = json.loads(text)["schemas"]
    parts: dict[str, set[str]] = {}
    for part, spec in schemas["Video"]["properties"].items():
        ref = spec.get("$ref")
        parts[part] = set(schemas[ref].get("properties", {})) if ref else set()
    return parts


VIDEO_PARTS = video_schema()


@dataclass
class Session:
    id: str
    size: int
    metadata: dict[str, Any]
    data: bytearray = field(default_factory=bytearray)
    video_id: str | None = None


def google_error(status: int, reason: str, message: str, domain: str = "youtube.video") -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


class FakeYouTube(PlatformFake):
    name = "youtube"

    def __init__(
        self,
        refresh_token: str = "refresh-1",
        client_id: str = "client-1",
        daily_units: int = 10_000,
        now: Any = None,
        client_secret: str = "secret-1",
    ) -> None:
        super().__init__(now)
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.daily_units = daily_units
        self.units: dict[str, int] = {}
        self.sessions: dict[str, Session] = {}
        self.thumbnails: dict[str, str] = {}  # video id -> sha256 of the image
        self.token_scopes: dict[str, set[str]] = {}  # access token -> scopes asked for at refresh
        self.daily: dict[str, dict[str, dict[str, float]]] = {}  # video id -> day -> metric -> value
        self.partner = True  # False: estimatedRevenue answers 403 (not in the Partner Program)
        self.analytics_lag_days = 2  # the newest days a day-level query leaves out
        self.removed_metrics: set[str] = set()  # metrics answered with 400 "Unknown identifier"
        self.report_queries: list[dict[str, str]] = []
        self.r("POST", r"/token", self.token)
        self.r("POST", r"/upload/youtube/v3/videos", self.start_session)
        self.r("PUT", r"/upload/youtube/v3/videos", self.put_chunk)
        self.r("POST", r"/upload/youtube/v3/thumbnails/set", self.set_thumbnail)
        self.r("GET", r"/youtube/v3/channels", self.channels)
        self.r("GET", r"/youtube/v3/playlistItems", self.playlist_items)
        self.r("GET", r"/youtube/v3/videos", self.list_videos)
        self.r("GET", r"/v2/reports", self.reports)

    def r(self, method: str, pattern: str, fn: Any) -> None:
        self.route(method, pattern)(fn)

    # -- quota, auth, errors ------------------------------------------------------------------------------

    def quota_day(self) -> str:
        return self.now().astimezone(PACIFIC).date().isoformat()

    def units_used(self) -> int:
        return self.units.get(self.quota_day(), 0)

    def charge(self, ex: Exchange, method: str) -> None:
        with self.lock:
            day = self.quota_day()
            if self.units.get(day, 0) + COSTS[method] > self.daily_units:
                self.quota_error(ex)
                raise Done
            self.units[day] = self.units.get(day, 0) + COSTS[method]

    def quota_error(self, ex: Exchange) -> None:
        ex.reply(
            403,
            google_error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your quota.",
                "youtube.quota",
            ),
        )

    def server_error(self, ex: Exchange, status: int) -> None:
        ex.reply(status, google_error(status, "backendError", "Backend Error", "global"))

    def throttled(self, ex: Exchange, retry_after: str) -> None:
        ex.reply(
            429,
            google_error(429, "rateLimitExceeded", "Too many requests", "youtube.quota"),
            {"Retry-After": retry_after},
        )

    def authorize(self, ex: Exchange) -> None:
        token = ex.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token not in self.tokens:
            ex.reply(
                401,
                google_error(401, "authError", "Request had invalid authentication credentials.", "global"),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
            raise Done

    def token(self, ex: Exchange) -> None:
        ex.step = "token"
        form = ex.form()
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret  # a confidential client proves itself [OAuth]
        ):
            ex.reply(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            return
        with self.lock:
            self.refreshes += 1
        token = self.issue_token()
        if form.get("scope"):
            with self.lock:
                self.token_scopes[token] = set(form["scope"].split())
        ex.reply(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": form.get("scope")
                or "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly",
            },
        )

    # -- upload -------------------------------------------------------------------------------------------

    def validate(self, body: dict[str, Any]) -> str | None:
        snippet, status = body.get("snippet") or {}, body.get("status") or {}
        title = snippet.get("title", "")
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return "invalidTitle"
        if len(snippet.get("description", "").encode()) > 5000:
            return "invalidDescription"
        if status.get("privacyStatus") not in ("public", "unlisted", "private"):
            return "invalidVideoMetadata"
        if not isinstance(status.get("selfDeclaredMadeForKids"), bool):
            return "invalidVideoMetadata"
        if not isinstance(status.get("containsSyntheticMedia"), bool):
            return "invalidVideoMetadata"
        return None

    def check_resource(self, ex: Exchange, body: Any) -> str | None:
        """``part`` names the parts in the body; every property is one the discovery document knows."""
        parts = [p for p in ex.query.get("part", "").split(",") if p]
        if not parts:
            return "Required parameter: part"
        if unknown := [p for p in parts if p not in VIDEO_PARTS]:
            return f"Unknown part {unknown[0]!r}"
        if not isinstance(body, dict):
            return "Invalid JSON payload: the body must be a video resource"
        for part, value in body.items():
            if part not in VIDEO_PARTS:
                return f'Invalid JSON payload received. Unknown name "{part}": Cannot find field.'
            if part not in parts:
                return f"The body holds the {part!r} part, which part= does not name"
            if isinstance(value, dict) and (unknown := sorted(set(value) - VIDEO_PARTS[part])):
                where = f"'video.{part}'"
                return f'Invalid JSON payload received. Unknown name "{unknown[0]}" at {where}: Cannot find field.'
        return None

    def start_session(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "session")
        self.authorize(ex)
        if ex.query.get("uploadType") != "resumable":
            ex.reply(400, google_error(400, "invalidUploadType", "use uploadType=resumable"))
            return
        if not ex.headers.get("content-type", "").startswith("application/json"):
            ex.reply(400, google_error(400, "badContent", "the video resource must be application/json", "global"))
            return
        declared = ex.headers.get("x-upload-content-length", "")
        if not declared.isdigit() or int(declared) <= 0:
            ex.reply(400, google_error(400, "badRequest", f"bad X-Upload-Content-Length {declared!r}", "global"))
            return
        try:
            body = ex.json()
        except ValueError:
            ex.reply(400, google_error(400, "parseError", "Parse Error", "global"))
            return
        if problem := self.check_resource(ex, body):
            ex.reply(400, google_error(400, "invalidArgument", problem, "global"))
            return
        if reason := self.validate(body):
            ex.reply(400, google_error(400, reason, f"metadata refused: {reason}"))
            return
        media_type = ex.headers.get("x-upload-content-type", "")
        if not (media_type.startswith("video/") or media_type == "application/octet-stream"):
            ex.reply(400, google_error(400, "invalidContentType", f"bad X-Upload-Content-Type {media_type!r}"))
            return
        self.charge(ex, "videos.insert")
        session = Session(self.next_id("sess-"), int(declared), body)
        with self.lock:
            self.sessions[session.id] = session
        if lost:
            ex.hang_up()
        ex.reply(
            200,
            None,
            {"Location": f"{self.origin}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session.id}"},
        )

    def expire_session(self, session_id: str | None = None) -> None:
        """Forget upload sessions (all, or one): the next PUT gets 404, as an expired session does."""
        with self.lock:
            for sid in [session_id] if session_id else list(self.sessions):
                self.sessions.pop(sid, None)

    def _progress(self, ex: Exchange, session: Session) -> None:
        headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
        ex.reply(308, None, headers)

    def _video_json(self, session: Session) -> dict[str, Any]:
        snippet, status = session.metadata.get("snippet", {}), session.metadata.get("status", {})
        return {
            "kind": "youtube#video",
            "id": session.video_id,
            "snippet": snippet,
            "status": {**status, "uploadStatus": "uploaded"},
        }

    def put_chunk(self, ex: Exchange) -> None:
        session = self.sessions.get(ex.query.get("upload_id", ""))
        content_range = ex.headers.get("content-range", "")
        if session is None:
            ex.step = "chunk"
            ex.body()
            ex.reply(404, google_error(404, "notFound", "upload session not found", "global"))
            return
        lost_query = None
        if content_range == f"bytes */{session.size}" or session.video_id is not None:
            lost_query = self.apply_faults(ex, "query")
        else:
            ex.step = "final_chunk" if content_range.split("/")[0].endswith(f"-{session.size - 1}") else "chunk"
        self.authorize(ex)  # the guide's PUT requests carry the Authorization header too
        if lost_query:
            ex.hang_up()
        if session.video_id is not None:  # finished: every PUT answers with the video
            ex.body()
            ex.reply(200, self._video_json(session))
            return
        if content_range == f"bytes */{session.size}":
            self._progress(ex, session)
            return
        match = RANGE_RE.fullmatch(content_range)
        if not match or int(match[3]) != session.size:
            ex.body()
            ex.reply(400, google_error(400, "badContentRange", f"bad Content-Range {content_range!r}"))
            return
        first, last = int(match[1]), int(match[2])
        step = "final_chunk" if last == session.size - 1 else "chunk"
        ex.step = step
        fault = self.take_fault(step)
        if fault and fault.kind == "drop":
            partial = ex.read_partial(0.5)
            self._accept(session, first, partial[: len(partial) // CHUNK * CHUNK])
            ex.cut()
        lost = self.handle_fault(ex, fault)
        data = ex.body()
        if len(data) != last - first + 1:
            ex.reply(400, google_error(400, "badRequest", "body length differs from Content-Range"))
            return
        if first > len(session.data):
            ex.reply(400, google_error(400, "badContentRange", f"gap: server has {len(session.data)} bytes"))
            return
        if last < session.size - 1 and len(data) % CHUNK:
            ex.reply(400, google_error(400, "badRequest", "non-final chunks must be multiples of 256 KiB"))
            return
        self._accept(session, first, data)
        if len(session.data) < session.size:
            if lost:
                ex.hang_up()
            self._progress(ex, session)
            return
        self._finish(session)
        if lost:
            ex.hang_up()
        ex.reply(200, self._video_json(session))

    def _accept(self, session: Session, first: int, data: bytes) -> None:
        with self.lock:
            have = len(session.data)
            if first <= have < first + len(data):
                session.data.extend(data[have - first :])

    def _finish(self, session: Session) -> None:
        with self.lock:
            session.video_id = self.next_id("vid")
            snippet = session.metadata.get("snippet", {})
            self.posts.append(
                Post(
                    id=session.video_id,
                    sha256=self.sha256(bytes(session.data)),
                    size=len(session.data),
                    text=snippet.get("description", ""),
                    title=snippet.get("title", ""),
                    meta=session.metadata,
                    created_at=self.now(),
                )
            )

    # -- thumbnails and lists -----------------------------------------------------------------------------

    def set_thumbnail(self, ex: Exchange) -> None:
        self.apply_faults(ex, "thumbnail")
        self.authorize(ex)
        video_id = ex.query.get("videoId", "")
        data = ex.body()
        if not any(p.id == video_id for p in self.posts):
            ex.reply(404, google_error(404, "videoNotFound", "video not found"))
            return
        if ex.headers.get("content-type") not in ("image/jpeg", "image/png", "application/octet-stream"):
            ex.reply(400, google_error(400, "mediaBodyRequired", "thumbnail must be an image"))
            return
        if len(data) > 2 * 1024 * 1024:
            ex.reply(400, google_error(400, "mediaBodyTooLarge", "thumbnail over 2 MB"))
            return
        self.charge(ex, "thumbnails.set")
        with self.lock:
            self.thumbnails[video_id] = self.sha256(data)
        url = f"https://i.ytimg.com/vi/{video_id}/default.jpg"
        ex.reply(
            200,
            {"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": url, "width": 120, "height": 90}}]},
        )

    def channels(self, ex: Exchange) -> None:
        self.apply_faults(ex, "channels")
        self.authorize(ex)
        self.charge(ex, "list")
        ex.reply(
            200,
            {
                "kind": "youtube#channelListResponse",
                "items": [{"id": "UC-fake", "contentDetails": {"relatedPlaylists": {"uploads": "UU-fake"}}}],
            },
        )

    def playlist_items(self, ex: Exchange) -> None:
        self.apply_faults(ex, "playlist")
        self.authorize(ex)
        self.charge(ex, "list")
        limit = int(ex.query.get("maxResults", "5"))
        newest = self.listed_posts()[:limit]  # lags with lag_lists()
        ex.reply(
            200,
            {
                "kind": "youtube#playlistItemListResponse",
                "items": [
                    {
                        "snippet": {
                            "title": p.title,
                            "description": p.text,
                            "resourceId": {"kind": "youtube#video", "videoId": p.id},
                        }
                    }
                    for p in newest
                ],
            },
        )

    def list_videos(self, ex: Exchange) -> None:
        self.apply_faults(ex, "videos.list")
        self.authorize(ex)
        self.charge(ex, "list")
        ids = ex.query.get("id", "").split(",")
        with self.lock:
            found = [p for p in self.posts if p.id in ids]
        ex.reply(
            200,
            {
                "kind": "youtube#videoListResponse",
                "items": [
                    {
                        "id": p.id,
                        "status": {**p.meta.get("status", {}), "uploadStatus": "processed"},
                        "processingDetails": {"processingStatus": "succeeded"},
                        "statistics": {"viewCount": str(len(p.id) * 100), "likeCount": "7", "commentCount": "2"},
                    }
                    for p in found
                ],
            },
        )

    def next_reset(self) -> datetime:
        local = self.now().astimezone(PACIFIC)
        return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=PACIFIC)

    # -- YouTube Analytics API v2 reports.query ------------------------------------------------------------

    def set_daily(self, video_id: str, day: str, **metrics: float) -> None:
        """Seed one video's figures for one day (metric names as the API spells them)."""
        with self.lock:
            self.daily.setdefault(video_id, {})[day] = dict(metrics)

    def _scopes_allow(self, ex: Exchange, wanted: str) -> bool:
        token = ex.headers.get("authorization", "").removeprefix("Bearer ").strip()
        scopes = self.token_scopes.get(token)
        return scopes is None or wanted in scopes or (wanted == ANALYTICS_SCOPE and MONETARY_SCOPE in scopes)

    def _bad_request(self, ex: Exchange, message: str, reason: str = "badRequest") -> None:
        ex.reply(400, google_error(400, reason, message, "global"))
        raise Done

    def reports(self, ex: Exchange) -> None:
        self.apply_faults(ex, "reports")
        self.authorize(ex)
        q = dict(ex.query)
        with self.lock:
            self.report_queries.append(q)
        if not self._scopes_allow(ex, ANALYTICS_SCOPE):
            ex.reply(403, google_error(403, "insufficientPermissions", "Insufficient Permission", "global"))
            return
        for required in ("ids", "startDate", "endDate", "metrics"):
            if not q.get(required):
                self._bad_request(ex, f"Required parameter: {required}", "required")
        if q["ids"] not in ("channel==MINE", "channel==UC-fake"):
            ex.reply(403, google_error(403, "forbidden", "Forbidden", "global"))
            return
        metrics = q["metrics"].split(",")
        for metric in metrics:
            if metric not in REPORT_METRICS or metric in self.removed_metrics:
                self._bad_request(ex, f"Unknown identifier ({metric}) given in field parameters.metrics.")
        dimensions = q.get("dimensions", "")
        if dimensions not in ("", "day"):  # day,video and every other shape: refused [Y5][Y10]
            self._bad_request(ex, NOT_SUPPORTED)
        videos = self._video_filter(ex, q.get("filters", ""))
        if MONETARY & set(metrics) and not (self.partner and self._scopes_allow(ex, MONETARY_SCOPE)):
            ex.reply(403, google_error(403, "forbidden", "Forbidden", "global"))
            return
        if dimensions == "day" and q.get("sort", "day").lstrip("-") != "day":
            self._bad_request(ex, NOT_SUPPORTED)
        first = int(q.get("startIndex", "1"))
        if first < 1:
            self._bad_request(ex, "startIndex must be at least 1", "invalidValue")
        rows = self._rows(videos, q["startDate"], q["endDate"], metrics, by_day=dimensions == "day")
        if q.get("sort", "").startswith("-"):
            rows.reverse()
        count = int(q["maxResults"]) if q.get("maxResults") else len(rows)
        rows = rows[first - 1 : first - 1 + count]
        headers = [{"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}] if dimensions == "day" else []
        headers += [{"name": m, "columnType": "METRIC", "dataType": REPORT_METRICS[m]} for m in metrics]
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
        if rows:  # rows is omitted when there is no data [Y9]
            body["rows"] = rows
        ex.reply(200, body)

    def _video_filter(self, ex: Exchange, filters: str) -> list[str]:
        videos: list[str] = []
        for part in filter(None, filters.split(";")):
            name, _, value = part.partition("==")
            if name != "video" or not value:
                self._bad_request(ex, NOT_SUPPORTED)
            ids = value.split(",")
            if len(ids) > 500:  # up to 500 ids [Y2]
                self._bad_request(ex, "Too many ids in the video filter", "invalidValue")
            videos += ids
        return videos

    def _last_day(self) -> str:
        return (datetime.fromisoformat(self.quota_day()) - timedelta(days=self.analytics_lag_days)).date().isoformat()

    def _rows(self, videos: list[str], start: str, end: str, metrics: list[str], by_day: bool) -> list[list[Any]]:
        """Rows over ``videos`` summed (averages weighted by views), one per day through the last available day;
        none at all when those videos have no data in the range."""
        last = min(end, self._last_day())
        with self.lock:
            series = {v: self.daily.get(v, {}) for v in videos} if videos else dict(self.daily)
        days = sorted({d for per_day in series.values() for d in per_day if start <= d <= last})
        if not days:
            return []
        span = [
            (datetime.fromisoformat(start) + timedelta(days=i)).date().isoformat()
            for i in range((datetime.fromisoformat(last) - datetime.fromisoformat(start)).days + 1)
        ]
        if not by_day:
            return [
                [self._combine([per_day.get(d, {}) for per_day in series.values() for d in span], m) for m in metrics]
            ]
        return [
            [day, *(self._combine([per_day.get(day, {}) for per_day in series.values()], m) for m in metrics)]
            for day in span
        ]

    @staticmethod
    def _combine(entries: list[dict[str, float]], metric: str) -> float:
        if metric in AVERAGES:
            weight = sum(e.get("views", e.get("engagedViews", 0)) for e in entries if metric in e)
            total = sum(e[metric] * e.get("views", e.get("engagedViews", 0)) for e in entries if metric in e)
            return round(total / weight, 2) if weight else 0
        value = sum(e.get(metric, 0) for e in entries)
        return round(value, 2) if REPORT_METRICS[metric] == "CURRENCY" else int(value)

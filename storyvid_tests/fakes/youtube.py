"""A loopback YouTube Data API v3 + OAuth token endpoint, speaking the resumable upload protocol.

Session start: ``POST /upload/youtube/v3/videos?uploadType=resumable`` → 200 + ``Location``. Chunks:
``PUT {session}`` with ``Content-Range: bytes a-b/N`` → 308 + ``Range: bytes=0-M`` until the last byte, then
200 with the ``youtube#video`` JSON. ``bytes */N`` asks for the state. Non-final chunks must be multiples of
256 KiB; overlapping re-sent ranges are accepted. Quota: units per Pacific day (insert 1600, thumbnails.set
50, lists 1), ``403 quotaExceeded`` past the daily limit. Upload session URIs do not need the Authorization
header (the session id is the capability; not verified against Google's servers).

Fault steps: ``session`` (session start), ``chunk`` (a non-final chunk), ``final_chunk``, ``thumbnail``.
A ``drop`` during a chunk keeps the part received so far rounded down to 256 KiB, as Google's servers do,
so the client must resume from the acknowledged byte, not from the chunk start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storyvid_tests.fakes.platform_server import Done, Exchange, PlatformFake, Post

CHUNK = 256 * 1024
COSTS = {"videos.insert": 1600, "thumbnails.set": 50, "list": 1}
PACIFIC = ZoneInfo("America/Los_Angeles")
RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


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
        self, refresh_token: str = "refresh-1", client_id: str = "client-1", daily_units: int = 10_000, now: Any = None
    ) -> None:
        super().__init__(now)
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.daily_units = daily_units
        self.units: dict[str, int] = {}
        self.sessions: dict[str, Session] = {}
        self.thumbnails: dict[str, str] = {}  # video id -> sha256 of the image
        self.r("POST", r"/token", self.token)
        self.r("POST", r"/upload/youtube/v3/videos", self.start_session)
        self.r("PUT", r"/upload/youtube/v3/videos", self.put_chunk)
        self.r("POST", r"/upload/youtube/v3/thumbnails/set", self.set_thumbnail)
        self.r("GET", r"/youtube/v3/channels", self.channels)
        self.r("GET", r"/youtube/v3/playlistItems", self.playlist_items)
        self.r("GET", r"/youtube/v3/videos", self.list_videos)

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
        ):
            ex.reply(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            return
        with self.lock:
            self.refreshes += 1
        ex.reply(
            200,
            {
                "access_token": self.issue_token(),
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/youtube.upload "
                "https://www.googleapis.com/auth/youtube.readonly",
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

    def start_session(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "session")
        self.authorize(ex)
        if ex.query.get("uploadType") != "resumable":
            ex.reply(400, google_error(400, "invalidUploadType", "use uploadType=resumable"))
            return
        body = ex.json()
        if reason := self.validate(body):
            ex.reply(400, google_error(400, reason, f"metadata refused: {reason}"))
            return
        media_type = ex.headers.get("x-upload-content-type", "")
        if not (media_type.startswith("video/") or media_type == "application/octet-stream"):
            ex.reply(400, google_error(400, "invalidContentType", f"bad X-Upload-Content-Type {media_type!r}"))
            return
        self.charge(ex, "videos.insert")
        session = Session(self.next_id("sess-"), int(ex.headers["x-upload-content-length"]), body)
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
        if session.video_id is not None:  # finished: every PUT answers with the video
            ex.step = "query"
            ex.body()
            ex.reply(200, self._video_json(session))
            return
        if content_range == f"bytes */{session.size}":
            ex.step = "query"
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
        with self.lock:
            newest = list(reversed(self.posts))[:limit]
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

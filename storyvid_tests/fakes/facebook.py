"""A loopback Facebook Graph API for Page videos (upload session → ``{page}/videos``) and Reels.

Fault steps: ``session`` (``{app}/uploads``), ``transfer`` (bytes to ``upload:SID``; a ``drop`` keeps what
arrived, and ``GET upload:SID`` reports that ``file_offset``), ``create`` (``{page}/videos``, which makes the
post; ``lost_response`` makes it, then hangs up), ``reel_start``, ``reel_upload``, ``reel_finish`` (publishes
the reel), ``status``, ``insights`` (video insights). ``quota`` answers code 9 (posting limit). Creates are not
idempotent here. ``transfer`` and ``reel_upload`` also take ``lost_response`` (the bytes are stored, the answer
is lost). :meth:`lag_lists` makes ``/{page}/videos`` (and a reel's publishing phase) lag behind.

Strict where the docs are (https://developers.facebook.com/docs/graph-api/guides/upload and
https://developers.facebook.com/documentation/video-api/guides/reels-publishing):
- the file handle ``h`` is the answer to the POST that completes the file; no documented call returns it again,
  so an empty POST at ``file_offset`` = file length is refused (the session is complete);
- a reel upload interrupted part way keeps the bytes that arrived; ``GET /{video_id}?fields=status`` reports them
  as ``status.uploading_phase.bytes_transferred`` and the upload resumes with the ``offset`` header;
- 30 API-published reels per Page per moving 24 h (``reels_cap``); the 31st finish is refused with code 4.

Video insights ``GET /{video-id}/video_insights?metric=...`` as documented (/work/shared/reference/
analytics-apis.md §4 [F1][F2][F3][F4]): lifetime values; removed metrics (``total_video_impressions*``,
``total_video_views_unique``, ``*_organic_unique``, ``*_paid_unique``) and unknown names fail the request with
code 100 "The value must be a valid insights metric" (a message that names no metric; wording unconfirmed);
``insights_page_size`` entries per page with ``paging.next``; a video without insights yet answers an empty
``data`` array (:meth:`FakeFacebook.set_insights` with ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from storyvid_tests.fakes.graph import VERSION, GraphFake, graph_error
from storyvid_tests.fakes.platform_server import Exchange, Post

V = VERSION
VIDEO_METRICS = (  # lifetime video insights [F1][F2]
    "total_video_views", "total_video_complete_views", "total_video_avg_time_watched", "total_video_view_total_time",
    "total_video_reactions_by_type_total", "total_video_views_autoplayed", "total_video_views_clicked_to_play",
)
REMOVED_VIDEO_METRICS = (  # removed for all versions in 2026 [F3][F4]
    "total_video_impressions", "total_video_impressions_unique", "total_video_views_unique",
    "total_video_views_organic_unique", "total_video_views_paid_unique",
)
DEFAULT_VIDEO_INSIGHTS: dict[str, Any] = {
    "total_video_views": 340, "total_video_complete_views": 85, "total_video_avg_time_watched": 1500,
    "total_video_view_total_time": 510_000, "total_video_reactions_by_type_total": {"like": 12, "love": 3},
}


@dataclass
class UploadSession:
    id: str
    length: int
    data: bytearray = field(default_factory=bytearray)
    handle: str | None = None


@dataclass
class Reel:
    id: str
    data: bytes = b""
    published: bool = False
    size: int | None = None  # the file_size announced by the first upload request
    published_at: Any = None


class FakeFacebook(GraphFake):
    name = "facebook"

    def __init__(self, page_id: str = "page-1", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.page_id = page_id
        self.sessions: dict[str, UploadSession] = {}
        self.handles: dict[str, UploadSession] = {}
        self.reels: dict[str, Reel] = {}
        self.insight_values: dict[str, dict[str, Any] | None] = {}  # video id -> values (None: none yet)
        self.insights_page_size = 3
        self.insight_queries: list[list[str]] = []
        self.reels_cap = 30  # API-published reels per Page per moving 24 h (reels-publishing guide)
        self.reel_bytes_received = 0
        p, a = page_id, self.app_id
        self.route("POST", rf"/{V}/{a}/uploads")(self.start_session)
        self.route("POST", rf"/{V}/upload:(?P<sid>[^/]+)")(self.transfer)
        self.route("GET", rf"/{V}/upload:(?P<sid>[^/]+)")(self.session_offset)
        self.route("POST", rf"/{V}/{p}/videos")(self.create_video)
        self.route("GET", rf"/{V}/{p}/videos")(self.list_videos)
        self.route("POST", rf"/{V}/{p}/video_reels")(self.video_reels)
        self.route("POST", rf"/video-upload/{V}/(?P<vid>[^/]+)")(self.reel_upload)
        self.route("GET", rf"/{V}/{p}")(self.page_token)
        self.route("GET", rf"/{V}/(?P<vid>[^/]+)/video_insights")(self.insights)
        self.route("GET", rf"/{V}/(?P<vid>[^/]+)")(self.video_status)

    def page_token(self, ex: Exchange) -> None:
        """``GET /{page-id}?fields=access_token`` with a user token of a Page admin: the Page token
        (https://developers.facebook.com/docs/pages-api/getting-started). Token kinds per endpoint: upload
        sessions (``/{app-id}/uploads``, ``upload:SID``) take a User access token
        (https://developers.facebook.com/docs/graph-api/guides/upload); ``/{page-id}/videos``, ``video_reels``
        and the reel upload take the Page token (Publish with the Video API, Reels Publishing API)."""
        self.apply_faults(ex, "page_token")
        self.authorize(ex, "user")
        if "access_token" not in ex.query.get("fields", "").split(","):
            ex.reply(200, {"id": self.page_id})
            return
        ex.reply(200, {"id": self.page_id, "access_token": self.new_token("page")})

    def quota_error(self, ex: Exchange) -> None:
        ex.reply(400, graph_error("Application limit reached: too many posts in 24 hours", 9))

    # -- page videos --------------------------------------------------------------------------------------

    def start_session(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "session")
        self.authorize(ex, "user")
        q = ex.query
        if q.get("file_type") != "video/mp4" or not q.get("file_length", "").isdigit():
            ex.reply(400, graph_error("file_type=video/mp4 and file_length are required", 100))
            return
        session = UploadSession(self.next_id("sess"), int(q["file_length"]))
        with self.lock:
            self.sessions[session.id] = session
        if lost:
            ex.hang_up()
        ex.reply(200, {"id": f"upload:{session.id}"})

    def transfer(self, ex: Exchange, sid: str) -> None:
        ex.step = "transfer"
        session = self.sessions.get(sid)
        fault = self.take_fault("transfer")
        offset = int(ex.headers.get("file_offset", "-1"))
        if fault and fault.kind == "drop" and session is not None and offset == len(session.data):
            session.data.extend(ex.read_partial(0.5))
            ex.cut()
        lost = self.handle_fault(ex, fault)
        self.authorize(ex, "user")
        data = ex.body()
        if session is None:
            ex.reply(404, graph_error("upload session not found", 100, 1363030))
            return
        if offset != len(session.data):
            ex.reply(400, graph_error(f"file_offset {offset} does not match {len(session.data)}", 100, 1363037))
            return
        if not data and len(session.data) == session.length:
            # The handle is only in the answer of the POST that completed the file; no documented call
            # returns it again (https://developers.facebook.com/docs/graph-api/guides/upload).
            ex.reply(400, graph_error("the upload session is complete; no bytes to add", 100, 1363037))
            return
        with self.lock:
            session.data.extend(data)
            if len(session.data) == session.length and session.handle is None:
                session.handle = self.next_id("h-")
                self.handles[session.handle] = session
        if lost:
            ex.hang_up()
        if session.handle is None:
            ex.reply(200, {"file_offset": len(session.data)})
            return
        ex.reply(200, {"h": session.handle})

    def session_offset(self, ex: Exchange, sid: str) -> None:
        ex.step = "offset"
        self.authorize(ex, "user")
        session = self.sessions.get(sid)
        if session is None:
            ex.reply(404, graph_error("upload session not found", 100, 1363030))
            return
        ex.reply(200, {"id": f"upload:{sid}", "file_offset": len(session.data)})

    def create_video(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "create")
        self.authorize(ex, "page")
        form = ex.form()
        session = self.handles.get(form.get("fbuploader_video_file_chunk", ""))
        if session is None:
            ex.reply(400, graph_error("invalid file handle", 100, 1363019))
            return
        if len(form.get("title", "")) > 255:
            ex.reply(400, graph_error("title too long", 100))
            return
        with self.lock:
            video_id = self.next_id("10150")
            self.posts.append(
                Post(
                    id=video_id,
                    sha256=self.sha256(bytes(session.data)),
                    size=len(session.data),
                    text=form.get("description", ""),
                    title=form.get("title", ""),
                    meta={"kind": "video", "published": form.get("published", "true")},
                    created_at=self.now(),
                )
            )
        if lost:
            ex.hang_up()
        ex.reply(200, {"id": video_id})

    def list_videos(self, ex: Exchange) -> None:
        self.apply_faults(ex, "list")
        self.authorize(ex, "page")
        newest = self.listed_posts()[: int(ex.query.get("limit", "25"))]
        ex.reply(200, {"data": [{"id": p.id, "description": p.text} for p in newest]})

    # -- reels --------------------------------------------------------------------------------------------

    def video_reels(self, ex: Exchange) -> None:
        form = ex.form()
        phase = form.get("upload_phase")
        lost = self.apply_faults(ex, "reel_start" if phase == "start" else "reel_finish")
        self.authorize(ex, "page")
        if phase == "start":
            reel = Reel(self.next_id("reel"))
            with self.lock:
                self.reels[reel.id] = reel
            if lost:
                ex.hang_up()
            ex.reply(200, {"video_id": reel.id, "upload_url": f"{self.origin}/video-upload/{V}/{reel.id}"})
            return
        reel = self.reels.get(form.get("video_id", ""))
        if phase != "finish" or reel is None or not reel.data or len(reel.data) != reel.size:
            ex.reply(400, graph_error("finish needs an uploaded video_id", 100))
            return
        day_ago = self.now() - timedelta(hours=24)
        if sum(1 for r in self.reels.values() if r.published_at and r.published_at > day_ago) >= self.reels_cap:
            # 30 API-published reels per Page per moving 24 h
            # (https://developers.facebook.com/documentation/video-api/guides/reels-publishing); the error's code
            # is not documented (~): the application request limit envelope (code 4) is used
            ex.reply(400, graph_error("Reels publishing limit reached: 30 reels per Page in 24 hours", 4))
            return
        with self.lock:
            reel.published = True
            reel.published_at = self.now()
            self.posts.append(
                Post(
                    id=reel.id,
                    sha256=self.sha256(reel.data),
                    size=len(reel.data),
                    text=form.get("description", ""),
                    meta={"kind": "reel"},
                    created_at=self.now(),
                )
            )
        if lost:
            ex.hang_up()
        ex.reply(200, {"success": True})

    def reel_upload(self, ex: Exchange, vid: str) -> None:
        """``POST {upload_url}`` with ``offset`` and ``file_size``: bytes from ``offset`` on; a drop keeps what
        arrived, and the upload resumes at ``bytes_transferred`` (reels-publishing guide)."""
        ex.step = "reel_upload"
        reel = self.reels.get(vid)
        offset = int(ex.headers.get("offset", "-1"))
        size = int(ex.headers.get("file_size", "-1"))
        fault = self.take_fault("reel_upload")
        if fault and fault.kind == "drop" and reel is not None and offset == len(reel.data):
            part = ex.read_partial(0.5)
            with self.lock:
                reel.data += part
                reel.size = size
                self.reel_bytes_received += len(part)
            ex.cut()
        lost = self.handle_fault(ex, fault)
        self.authorize(ex, "page")
        data = ex.body()
        if reel is None or size <= 0 or offset != len(reel.data) or offset + len(data) != size:
            ex.reply(400, {"debug_info": {"retriable": False, "type": "ProcessingFailedError",
                                          "message": f"offset must be {len(reel.data) if reel else 0} and "
                                                     "offset + body = file_size"}})
            return
        with self.lock:
            reel.data += data
            reel.size = size
            self.reel_bytes_received += len(data)
        if lost:
            ex.hang_up()
        ex.reply(200, {"success": True})

    def video_status(self, ex: Exchange, vid: str) -> None:
        self.apply_faults(ex, "status")
        self.authorize(ex)
        if reel := self.reels.get(vid):
            # the publishing phase lags like the lists do
            seen = reel.published and (self.now() - reel.published_at).total_seconds() >= self.list_lag_s
            phase = "complete" if seen else "not_started"
            done = reel.size is not None and len(reel.data) == reel.size
            ex.reply(
                200,
                {
                    "id": vid,
                    "status": {
                        "video_status": "ready" if seen else ("upload_complete" if done else "uploading"),
                        "uploading_phase": {
                            "status": "complete" if done else "in_progress",
                            "bytes_transferred": len(reel.data),
                        },
                        "publishing_phase": {"status": phase},
                    },
                },
            )
            return
        if not any(p.id == vid for p in self.posts):
            ex.reply(400, graph_error(f"Object {vid} does not exist", 100, 33))
            return
        ex.reply(
            200, {"id": vid, "status": {"video_status": "ready"}, "permalink_url": f"/{self.page_id}/videos/{vid}/"}
        )

    def set_insights(self, video_id: str, values: dict[str, Any] | None) -> None:
        """A video's lifetime insights (``None``: none yet, an empty ``data`` array)."""
        with self.lock:
            self.insight_values[video_id] = values

    def insights(self, ex: Exchange, vid: str) -> None:
        self.apply_faults(ex, "insights")
        self.authorize(ex)
        metrics = [m for m in ex.query.get("metric", "").split(",") if m]
        after = int(ex.query.get("after", "0"))
        with self.lock:
            self.insight_queries.append(metrics)
            known = vid in self.insight_values or any(p.id == vid for p in self.posts)
            values = self.insight_values.get(vid, DEFAULT_VIDEO_INSIGHTS)
        if not known:
            ex.reply(400, graph_error(f"Unsupported get request. Object with ID '{vid}' does not exist", 100, 33))
            return
        if not metrics or any(m in REMOVED_VIDEO_METRICS or m not in VIDEO_METRICS for m in metrics):
            ex.reply(400, graph_error("(#100) The value must be a valid insights metric", 100))
            return
        entries = [] if values is None else [
            {
                "name": m,
                "period": "lifetime",
                "values": [{"value": values.get(m, 0)}],
                "title": m,
                "id": f"{vid}/video_insights/{m}/lifetime",
            }
            for m in metrics
        ]
        page = entries[after : after + self.insights_page_size]
        body: dict[str, Any] = {"data": page}
        if after + self.insights_page_size < len(entries):
            query = urlencode({"metric": ",".join(metrics), "after": after + self.insights_page_size})
            body["paging"] = {"next": f"{self.origin}/{V}/{vid}/video_insights?{query}"}
        ex.reply(200, body)

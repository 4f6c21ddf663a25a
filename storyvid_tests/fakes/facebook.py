"""A loopback Facebook Graph API for Page videos (upload session → ``{page}/videos``) and Reels.

Fault steps: ``session`` (``{app}/uploads``), ``transfer`` (bytes to ``upload:SID``; a ``drop`` keeps what
arrived, and ``GET upload:SID`` reports that ``file_offset``), ``create`` (``{page}/videos``, which makes the
post; ``lost_response`` makes it, then hangs up), ``reel_start``, ``reel_upload``, ``reel_finish`` (publishes
the reel), ``status``, ``insights`` (video insights). ``quota`` answers code 9 (posting limit). Creates are not
idempotent here.

Video insights ``GET /{video-id}/video_insights?metric=...`` as documented (/work/shared/reference/
analytics-apis.md §4 [F1][F2][F3][F4]): lifetime values; removed metrics (``total_video_impressions*``,
``total_video_views_unique``, ``*_organic_unique``, ``*_paid_unique``) and unknown names fail the request with
code 100 "The value must be a valid insights metric" (a message that names no metric; wording unconfirmed);
``insights_page_size`` entries per page with ``paging.next``; a video without insights yet answers an empty
``data`` array (:meth:`FakeFacebook.set_insights` with ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
        p, a = page_id, self.app_id
        self.route("POST", rf"/{V}/{a}/uploads")(self.start_session)
        self.route("POST", rf"/{V}/upload:(?P<sid>[^/]+)")(self.transfer)
        self.route("GET", rf"/{V}/upload:(?P<sid>[^/]+)")(self.session_offset)
        self.route("POST", rf"/{V}/{p}/videos")(self.create_video)
        self.route("GET", rf"/{V}/{p}/videos")(self.list_videos)
        self.route("POST", rf"/{V}/{p}/video_reels")(self.video_reels)
        self.route("POST", rf"/video-upload/{V}/(?P<vid>[^/]+)")(self.reel_upload)
        self.route("GET", rf"/{V}/(?P<vid>[^/]+)/video_insights")(self.insights)
        self.route("GET", rf"/{V}/(?P<vid>[^/]+)")(self.video_status)

    def quota_error(self, ex: Exchange) -> None:
        ex.reply(400, graph_error("Application limit reached: too many posts in 24 hours", 9))

    # -- page videos --------------------------------------------------------------------------------------

    def start_session(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "session")
        self.authorize(ex)
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
        self.handle_fault(ex, fault)
        self.authorize(ex)
        data = ex.body()
        if session is None:
            ex.reply(404, graph_error("upload session not found", 100, 1363030))
            return
        if offset != len(session.data):
            ex.reply(400, graph_error(f"file_offset {offset} does not match {len(session.data)}", 100, 1363037))
            return
        with self.lock:
            session.data.extend(data)
            if len(session.data) == session.length and session.handle is None:
                session.handle = self.next_id("h-")
                self.handles[session.handle] = session
        if session.handle is None:
            ex.reply(200, {"file_offset": len(session.data)})
            return
        ex.reply(200, {"h": session.handle})

    def session_offset(self, ex: Exchange, sid: str) -> None:
        ex.step = "offset"
        self.authorize(ex)
        session = self.sessions.get(sid)
        if session is None:
            ex.reply(404, graph_error("upload session not found", 100, 1363030))
            return
        ex.reply(200, {"id": f"upload:{sid}", "file_offset": len(session.data)})

    def create_video(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "create")
        self.authorize(ex)
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
                )
            )
        if lost:
            ex.hang_up()
        ex.reply(200, {"id": video_id})

    def list_videos(self, ex: Exchange) -> None:
        self.apply_faults(ex, "list")
        self.authorize(ex)
        with self.lock:
            newest = list(reversed(self.posts))[: int(ex.query.get("limit", "25"))]
        ex.reply(200, {"data": [{"id": p.id, "description": p.text} for p in newest]})

    # -- reels --------------------------------------------------------------------------------------------

    def video_reels(self, ex: Exchange) -> None:
        form = ex.form()
        phase = form.get("upload_phase")
        lost = self.apply_faults(ex, "reel_start" if phase == "start" else "reel_finish")
        self.authorize(ex)
        if phase == "start":
            reel = Reel(self.next_id("reel"))
            with self.lock:
                self.reels[reel.id] = reel
            if lost:
                ex.hang_up()
            ex.reply(200, {"video_id": reel.id, "upload_url": f"{self.origin}/video-upload/{V}/{reel.id}"})
            return
        reel = self.reels.get(form.get("video_id", ""))
        if phase != "finish" or reel is None or not reel.data:
            ex.reply(400, graph_error("finish needs an uploaded video_id", 100))
            return
        with self.lock:
            reel.published = True
            self.posts.append(
                Post(
                    id=reel.id,
                    sha256=self.sha256(reel.data),
                    size=len(reel.data),
                    text=form.get("description", ""),
                    meta={"kind": "reel"},
                )
            )
        if lost:
            ex.hang_up()
        ex.reply(200, {"success": True})

    def reel_upload(self, ex: Exchange, vid: str) -> None:
        self.apply_faults(ex, "reel_upload")
        self.authorize(ex)
        reel = self.reels.get(vid)
        data = ex.body()
        if reel is None or int(ex.headers.get("file_size", -1)) != len(data):
            ex.reply(400, graph_error("bad reel upload", 100))
            return
        reel.data = data
        ex.reply(200, {"success": True})

    def video_status(self, ex: Exchange, vid: str) -> None:
        self.apply_faults(ex, "status")
        self.authorize(ex)
        if reel := self.reels.get(vid):
            phase = "complete" if reel.published else "not_started"
            ex.reply(
                200,
                {
                    "id": vid,
                    "status": {
                        "video_status": "ready" if reel.published else "upload_complete",
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

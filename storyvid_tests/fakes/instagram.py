"""A loopback Instagram Graph API: Reels containers, rupload, status, ``media_publish``, publishing limit.

Fault steps: ``limit`` (content_publishing_limit), ``create`` (container), ``upload`` (rupload bytes),
``status`` (container status), ``publish`` (media_publish; ``lost_response`` publishes, then hangs up),
``quota`` on ``publish`` answers code 9 / 2207042 (publishing limit reached), ``insights`` (media insights).
``media_publish`` is not idempotent here: publishing a container twice makes two posts.

Media insights ``GET /{ig-media-id}/insights?metric=...`` as documented (/work/shared/reference/
analytics-apis.md §2 [I1][I3][I5]): lifetime values; a removed metric (``plays``, ``impressions``,
``video_views``, ...) fails the whole request with code 100 naming it; a name the API does not know fails
with "metric[0] must be one of the following values: ..."; a media without insights yet answers an empty
``data`` array (:meth:`FakeInstagram.set_insights` with ``None``). Every request is kept in ``insight_queries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from storyvid_tests.fakes.graph import VERSION, GraphFake, graph_error
from storyvid_tests.fakes.platform_server import Exchange, Post

V = VERSION
# Reels metrics of the current API [I1][I3]; removed ones are errors on every version [I1][I5]
INSIGHT_METRICS = (
    "views", "reach", "likes", "comments", "shares", "saved", "total_interactions", "ig_reels_avg_watch_time",
    "ig_reels_video_view_total_time", "reels_skip_rate", "reposts", "crossposted_views", "facebook_views",
)
REMOVED_METRICS = (
    "plays", "impressions", "video_views", "clips_replays_count", "ig_reels_aggregated_all_plays_count", "engagement",
)
DEFAULT_INSIGHTS = {
    "views": 1200, "reach": 900, "likes": 80, "comments": 6, "shares": 4, "saved": 3, "total_interactions": 93,
    "ig_reels_avg_watch_time": 2400, "ig_reels_video_view_total_time": 2_880_000,  # milliseconds
}


@dataclass
class Container:
    id: str
    caption: str
    media_type: str
    share_to_feed: bool
    data: bytes = b""
    status: str = "IN_PROGRESS"
    polls: int = 0
    size: int | None = None  # file_size announced by the upload


class FakeInstagram(GraphFake):
    name = "instagram"

    def __init__(
        self, user_id: str = "17841400000000001", quota_total: int = 50, processing_polls: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.user_id = user_id
        self.quota_total = quota_total
        self.processing_polls = processing_polls  # status polls answered IN_PROGRESS after the upload
        self.containers: dict[str, Container] = {}
        self.published_at: list[Any] = []
        self.insight_values: dict[str, dict[str, Any] | None] = {}  # media id -> values (None: no insights yet)
        self.unsupported_metrics: set[str] = set()  # valid names this API version does not know yet
        self.insight_queries: list[list[str]] = []
        self.bytes_received = 0  # every byte any rupload request delivered (resumes count only what they send)
        u = user_id
        self.route("GET", rf"/{V}/{u}/content_publishing_limit")(self.publishing_limit)
        self.route("POST", rf"/{V}/{u}/media")(self.create_container)
        self.route("GET", rf"/{V}/{u}/media")(self.list_media)
        self.route("POST", rf"/{V}/{u}/media_publish")(self.media_publish)
        self.route("POST", rf"/ig-api-upload/{V}/(?P<cid>[^/]+)")(self.rupload)
        self.route("GET", rf"/{V}/(?P<obj>[^/]+)/insights")(self.insights)
        self.route("GET", rf"/{V}/(?P<obj>[^/]+)")(self.get_object)

    def quota_error(self, ex: Exchange) -> None:
        ex.reply(400, graph_error("The user has reached the publishing limit", 9, 2207042))

    def usage(self) -> int:
        cutoff = self.now() - timedelta(hours=24)
        return sum(1 for t in self.published_at if t > cutoff)

    def publishing_limit(self, ex: Exchange) -> None:
        self.apply_faults(ex, "limit")
        self.authorize(ex)
        ex.reply(
            200,
            {
                "data": [
                    {"quota_usage": self.usage(), "config": {"quota_total": self.quota_total, "quota_duration": 86400}}
                ]
            },
        )

    def create_container(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "create")
        self.authorize(ex)
        form = ex.form()
        caption = form.get("caption", "")
        if form.get("media_type") != "REELS" or form.get("upload_type") != "resumable":
            ex.reply(400, graph_error("media_type=REELS with upload_type=resumable expected", 100))
            return
        if len(caption) > 2200 or caption.count("#") > 30:
            ex.reply(400, graph_error("caption over 2200 characters or 30 hashtags", 100, 2207010))
            return
        container = Container(self.next_id("1790000"), caption, "REELS", form.get("share_to_feed") == "true")
        with self.lock:
            self.containers[container.id] = container
        if lost:
            ex.hang_up()
        ex.reply(200, {"id": container.id, "uri": f"{self.origin}/ig-api-upload/{V}/{container.id}"})

    def rupload(self, ex: Exchange, cid: str) -> None:
        """``POST {uri}`` with ``offset`` and ``file_size`` (https://developers.facebook.com/documentation/
        instagram-platform/content-publishing/resumable-uploads). A ``drop`` keeps the bytes that arrived; the
        container reports them as ``video_status.uploading_phase.bytes_transferred`` and the upload resumes at
        that ``offset``. (~) Resuming at a non-zero offset is not spelled out for Instagram; this is the shape of
        the same rupload service in Facebook's reels-publishing guide.)"""
        ex.step = "upload"
        container = self.containers.get(cid)
        offset = int(ex.headers.get("offset", "-1"))
        size = int(ex.headers.get("file_size", "-1"))
        fault = self.take_fault("upload")
        if fault and fault.kind == "drop" and container is not None and offset == len(container.data):
            part = ex.read_partial(0.5)
            with self.lock:
                container.data += part
                container.size = size
                self.bytes_received += len(part)
            ex.cut()
        lost = self.handle_fault(ex, fault)
        self.authorize(ex)
        data = ex.body()
        if container is None:
            ex.reply(400, graph_error("container not found", 100, 2207020))
            return
        if size <= 0 or offset != len(container.data) or offset + len(data) != size:
            ex.reply(
                400,
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "ProcessingFailedError",
                        "message": f"offset must be {len(container.data)} and offset + body = file_size",
                    }
                },
            )
            return
        with self.lock:
            container.data += data
            container.size = size
            container.status, container.polls = "IN_PROGRESS", 0
            self.bytes_received += len(data)
        if lost:
            ex.hang_up()
        ex.reply(200, {"success": True, "message": "Upload successful."})

    def get_object(self, ex: Exchange, obj: str) -> None:
        self.apply_faults(ex, "status")
        self.authorize(ex)
        if container := self.containers.get(obj):
            complete = container.size is not None and len(container.data) == container.size
            with self.lock:
                if complete and container.status == "IN_PROGRESS":
                    container.polls += 1
                    if container.polls > self.processing_polls:
                        container.status = "FINISHED"
            uploading = {"status": "complete" if complete else "in_progress", "bytes_transferred": len(container.data)}
            ex.reply(
                200,
                {
                    "id": obj,
                    "status_code": container.status,
                    "status": container.status,
                    "video_status": {"uploading_phase": uploading},
                },
            )
            return
        post = next((p for p in self.posts if p.id == obj), None)
        if post is None:
            ex.reply(400, graph_error(f"Unsupported get request. Object {obj} does not exist", 100, 33))
            return
        ex.reply(200, {"id": post.id, "permalink": f"https://www.instagram.com/reel/{post.id}/"})

    def media_publish(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "publish")
        self.authorize(ex)
        container = self.containers.get(ex.form().get("creation_id", ""))
        if container is None or container.status not in ("FINISHED", "PUBLISHED"):
            ex.reply(400, graph_error("Media ID is not available", 9007, 2207027))
            return
        if self.usage() >= self.quota_total:
            self.quota_error(ex)
            return
        with self.lock:
            media_id = self.next_id("1800000")
            container.status = "PUBLISHED"
            self.published_at.append(self.now())
            self.posts.append(
                Post(
                    id=media_id,
                    sha256=self.sha256(container.data),
                    size=len(container.data),
                    text=container.caption,
                    meta={"container": container.id, "share_to_feed": container.share_to_feed},
                    created_at=self.now(),
                )
            )
        if lost:
            ex.hang_up()
        ex.reply(200, {"id": media_id})

    def list_media(self, ex: Exchange) -> None:
        self.apply_faults(ex, "list")
        self.authorize(ex)
        newest = self.listed_posts()[: int(ex.query.get("limit", "25"))]  # lags with lag_lists()
        ex.reply(
            200, {"data": [{"id": p.id, "caption": p.text, "timestamp": "2026-11-25T12:00:00+0000"} for p in newest]}
        )

    def set_insights(self, media_id: str, values: dict[str, Any] | None) -> None:
        """A media's lifetime insights (``None``: too new, an empty ``data`` array)."""
        with self.lock:
            self.insight_values[media_id] = values

    def insights(self, ex: Exchange, obj: str) -> None:
        self.apply_faults(ex, "insights")
        self.authorize(ex)
        metrics = [m for m in ex.query.get("metric", "").split(",") if m]
        with self.lock:
            self.insight_queries.append(metrics)
            known = obj in self.insight_values or any(p.id == obj for p in self.posts)
            values = self.insight_values.get(obj, DEFAULT_INSIGHTS)
        if not known:
            ex.reply(400, graph_error(f"Unsupported get request. Object with ID '{obj}' does not exist", 100, 33))
            return
        if not metrics:
            ex.reply(400, graph_error("(#100) The parameter metric is required", 100))
            return
        supported = [m for m in INSIGHT_METRICS if m not in self.unsupported_metrics]
        for metric in metrics:
            if metric in REMOVED_METRICS:
                ex.reply(400, graph_error(
                    f"(#100) Starting from version v22.0 and above, the {metric} metric is no longer supported. "
                    "Please refer to the documentation for a list of supported metrics.", 100))
                return
            if metric not in supported:
                ex.reply(400, graph_error(
                    f"(#100) metric[{metrics.index(metric)}] must be one of the following values: "
                    + ", ".join(supported), 100))
                return
        data = [] if values is None else [
            {
                "name": m,
                "period": "lifetime",
                "values": [{"value": values.get(m, 0)}],
                "title": m,
                "description": m,
                "id": f"{obj}/insights/{m}/lifetime",
            }
            for m in metrics
        ]
        ex.reply(200, {"data": data})

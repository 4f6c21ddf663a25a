"""A loopback TikTok Content Posting API: creator info, init (FILE_UPLOAD), ordered chunk PUTs, status.

Chunk rules as documented: ``total_chunk_count == floor(video_size / chunk_size)``, every chunk but the last
exactly ``chunk_size``, the last absorbs the remainder, a file under ``min_chunk`` is one chunk; chunks in
order (206 for intermediate chunks, 201 for the last); re-sending the chunk the server already has is
accepted. The upload URL needs no Authorization header. The post is published when the last chunk
arrives; its public id appears after ``moderation_polls`` status fetches.

Fault steps: ``token`` (OAuth refresh, which rotates the refresh token), ``creator_info``, ``init``, ``chunk``,
``final_chunk`` (``lost_response`` publishes, then hangs up), ``status``, ``video_query``. ``quota`` answers
403 ``spam_risk_too_many_posts``.

Display API ``POST /v2/video/query/?fields=...`` with ``{"filters": {"video_ids": [...]}}`` as documented
(/work/shared/reference/analytics-apis.md §3 [T1][T3]): at most 20 ids, only the authorized user's videos come
back (others are left out), the documented fields only (another name: 400 ``invalid_params``), the envelope's
``error.code`` is ``"ok"``. Counts come from :meth:`FakeTikTok.set_stats` (defaults for posts made here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from storyvid_tests.fakes.platform_server import Done, Exchange, PlatformFake, Post

MB = 1_000_000  # TikTok states its chunk limits in decimal megabytes (Media Transfer Guide)
MAX_CHUNK, MAX_LAST_CHUNK = 64 * MB, 128 * MB
RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
QUERY_FIELDS = (  # video/query fields [T1]
    "id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height", "width", "title",
    "embed_html", "embed_link", "like_count", "comment_count", "share_count", "view_count",
)
MAX_QUERY_IDS = 20
DEFAULT_STATS = {"view_count": 5000, "like_count": 410, "comment_count": 12, "share_count": 9, "duration": 3}


@dataclass
class Publish:
    id: str
    size: int
    chunk_size: int
    count: int
    title: str
    privacy: str
    is_aigc: bool
    data: bytearray
    post_id: str | None = None
    polls: int = 0


def envelope(data: Any = None, code: str = "ok", message: str = "") -> dict[str, Any]:
    return {"data": data or {}, "error": {"code": code, "message": message, "log_id": "20261125120000ABCDEF"}}


class FakeTikTok(PlatformFake):
    name = "tiktok"

    def __init__(
        self,
        client_key: str = "ck-1",
        client_secret: str = "cs-1",
        refresh_token: str = "rt-1",
        min_chunk: int = 5 * MB,
        privacy_options: tuple[str, ...] = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"),
        max_duration_s: int = 600,
        daily_cap: int = 15,
        moderation_polls: int = 0,
        now: Any = None,
    ) -> None:
        super().__init__(now)
        self.client_key, self.client_secret, self.refresh_token = client_key, client_secret, refresh_token
        self.refused_refresh_tokens: set[str] = set()  # rotated away: refused from now on
        self.issued_access_tokens: set[str] = set()  # every access token ever issued (tests look for leaks)
        self.min_chunk = min_chunk
        self.privacy_options = list(privacy_options)
        self.max_duration_s = max_duration_s
        self.daily_cap = daily_cap
        self.moderation_polls = moderation_polls
        self.publishes: dict[str, Publish] = {}
        self.stats: dict[str, dict[str, Any]] = {}  # video id -> counts (the user's videos)
        self.query_batches: list[list[str]] = []
        self.route("POST", r"/v2/oauth/token/")(self.oauth_token)
        self.route("POST", r"/v2/post/publish/creator_info/query/")(self.creator_info)
        self.route("POST", r"/v2/post/publish/video/init/")(self.init)
        self.route("PUT", r"/upload/")(self.upload)
        self.route("POST", r"/v2/post/publish/status/fetch/")(self.status)
        self.route("POST", r"/v2/video/list/")(self.video_list)
        self.route("POST", r"/v2/video/query/")(self.video_query)

    # -- errors and auth ----------------------------------------------------------------------------------

    def issue_token(self) -> str:
        token = super().issue_token()
        with self.lock:
            self.issued_access_tokens.add(token)
        return token

    def fail(self, ex: Exchange, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        ex.reply(status, envelope(code=code, message=message), headers)
        raise Done

    def server_error(self, ex: Exchange, status: int) -> None:
        ex.reply(status, envelope(code="internal_error", message="Something went wrong. Please try again later."))

    def throttled(self, ex: Exchange, retry_after: str) -> None:
        ex.reply(429, envelope(code="rate_limit_exceeded", message="rate limit exceeded"), {"Retry-After": retry_after})

    def quota_error(self, ex: Exchange) -> None:
        ex.reply(403, envelope(code="spam_risk_too_many_posts", message="daily post cap reached"))

    def authorize(self, ex: Exchange) -> None:
        token = ex.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token not in self.tokens:
            self.fail(ex, 401, "access_token_invalid", "The access token is invalid or not found in the request.")

    def oauth_token(self, ex: Exchange) -> None:
        """Refresh rotates the refresh token: the previous one stops working once a new one is issued
        (https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token; platform-protocols.md TikTok
        §7). Checking and rotating happen under one lock, so of two refreshes with the same token one wins."""
        lost = self.apply_faults(ex, "token")  # lost_response: rotated, answer lost (the new token is gone)
        form = ex.form()
        with self.lock:
            valid = (
                form.get("client_key"), form.get("client_secret"), form.get("grant_type"), form.get("refresh_token")
            ) == (self.client_key, self.client_secret, "refresh_token", self.refresh_token)
            if valid:
                self.refreshes += 1
                self.refused_refresh_tokens.add(self.refresh_token)
                self.refresh_token = self.next_id("rt-rotated-")
            rotated = self.refresh_token
        if not valid:
            ex.reply(400, {"error": "invalid_grant", "error_description": "Refresh token is invalid or expired."})
            return
        if lost:
            ex.hang_up()
        ex.reply(
            200,
            {
                "access_token": self.issue_token(),
                "expires_in": 86400,
                "open_id": "open-1",
                "refresh_token": rotated,
                "refresh_expires_in": 31536000,
                "scope": "video.publish,video.list",
                "token_type": "Bearer",
            },
        )

    # -- posting ------------------------------------------------------------------------------------------

    def creator_info(self, ex: Exchange) -> None:
        self.apply_faults(ex, "creator_info")
        self.authorize(ex)
        ex.reply(
            200,
            envelope(
                {
                    "creator_avatar_url": "https://example.invalid/a.jpg",
                    "creator_username": "storyvid_fake",
                    "creator_nickname": "StoryVid",
                    "privacy_level_options": self.privacy_options,
                    "comment_disabled": False,
                    "duet_disabled": False,
                    "stitch_disabled": False,
                    "max_video_post_duration_sec": self.max_duration_s,
                }
            ),
        )

    def expected_chunks(self, size: int, chunk_size: int) -> int | None:
        """The chunk count the documented rules allow, or None (Media Transfer Guide,
        https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide): sizes in decimal MB; a video
        under 5 MB goes whole; chunks 5-64 MB; ``total_chunk_count = floor(video_size / chunk_size)``; the last
        chunk absorbs the trailing bytes, up to 128 MB; a video over 64 MB must go in several chunks; 1-1000."""
        if size < self.min_chunk:
            return 1 if chunk_size == size else None
        if not self.min_chunk <= chunk_size <= MAX_CHUNK:
            return None
        count = size // chunk_size
        if not 1 <= count <= 1000:
            return None
        if size > MAX_CHUNK and count < 2:
            return None
        if size - (count - 1) * chunk_size > MAX_LAST_CHUNK:
            return None
        return count

    def init(self, ex: Exchange) -> None:
        lost = self.apply_faults(ex, "init")
        self.authorize(ex)
        body = ex.json()
        post, source = body.get("post_info") or {}, body.get("source_info") or {}
        if source.get("source") != "FILE_UPLOAD":
            self.fail(ex, 400, "invalid_params", "source must be FILE_UPLOAD")
        size, chunk_size, count = (int(source.get(k, 0)) for k in ("video_size", "chunk_size", "total_chunk_count"))
        if self.expected_chunks(size, chunk_size) != count:
            self.fail(ex, 400, "invalid_params", f"chunk rules: size {size}, chunk {chunk_size}, count {count}")
        title = str(post.get("title", ""))
        if len(title.encode("utf-16-le")) // 2 > 2200:
            self.fail(ex, 400, "invalid_params", "title is longer than 2200 characters")
        if post.get("privacy_level") not in self.privacy_options:
            self.fail(ex, 403, "privacy_level_option_mismatch", "privacy_level not in privacy_level_options")
        if not isinstance(post.get("is_aigc"), bool):
            self.fail(ex, 400, "invalid_params", "is_aigc must be a boolean")
        if sum(1 for p in self.posts) >= self.daily_cap:
            self.quota_error(ex)
            return
        publish = Publish(
            self.next_id("v_pub_file~v2-"),
            size,
            chunk_size,
            count,
            title,
            post["privacy_level"],
            post["is_aigc"],
            bytearray(),
        )
        with self.lock:
            self.publishes[publish.id] = publish
        if lost:
            ex.hang_up()
        ex.reply(
            200,
            envelope(
                {"publish_id": publish.id, "upload_url": f"{self.origin}/upload/?upload_id={publish.id}&upload_token=t"}
            ),
        )

    def upload(self, ex: Exchange) -> None:
        publish = self.publishes.get(ex.query.get("upload_id", ""))
        match = RANGE_RE.fullmatch(ex.headers.get("content-range", ""))
        if publish is None or match is None or int(match[3]) != publish.size:
            ex.step = "chunk"
            self.fail(ex, 400, "invalid_file_upload", "unknown upload or bad Content-Range")
        assert publish is not None and match is not None
        first, last = int(match[1]), int(match[2])
        final = last == publish.size - 1
        lost = self.apply_faults(ex, "final_chunk" if final else "chunk")
        data = ex.body()
        expected_len = publish.size - first if final else publish.chunk_size
        if len(data) != last - first + 1 or len(data) != expected_len or first % publish.chunk_size:
            self.fail(ex, 400, "invalid_file_upload", f"chunk {first}-{last} breaks the chunk rules")
        have = len(publish.data)
        if first > have:
            self.fail(ex, 400, "invalid_file_upload", f"chunks must be in order; server has {have} bytes")
        with self.lock:
            if first == have:
                publish.data.extend(data)
            if final and publish.post_id is None and len(publish.data) == publish.size:
                publish.post_id = self.next_id("73000000000")
                self.posts.append(
                    Post(
                        id=publish.post_id,
                        sha256=self.sha256(bytes(publish.data)),
                        size=publish.size,
                        text=publish.title,
                        meta={"privacy_level": publish.privacy, "is_aigc": publish.is_aigc},
                        created_at=self.now(),
                    )
                )
        if lost:
            ex.hang_up()
        ex.reply(201 if final else 206, None)

    def status(self, ex: Exchange) -> None:
        self.apply_faults(ex, "status")
        self.authorize(ex)
        publish = self.publishes.get(ex.json().get("publish_id", ""))
        if publish is None:
            self.fail(ex, 400, "invalid_params", "publish_id not found")
        assert publish is not None
        data: dict[str, Any] = {"uploaded_bytes": len(publish.data), "fail_reason": ""}
        if publish.post_id is None:
            data["status"] = "PROCESSING_UPLOAD"
        else:
            with self.lock:
                visible = publish.polls >= self.moderation_polls
                publish.polls += 1
            data["status"] = "PUBLISH_COMPLETE"
            data["publicaly_available_post_id"] = [publish.post_id] if visible else []
        ex.reply(200, envelope(data))

    def _visible(self, lagging: bool = False) -> list[Post]:
        ids = {p.post_id for p in self.publishes.values() if p.post_id and p.polls >= self.moderation_polls}
        listed = {p.id for p in self.listed_posts()} if lagging else ids  # video/list lags with lag_lists()
        return [p for p in self.posts if p.id in ids and p.id in listed]

    def video_list(self, ex: Exchange) -> None:
        self.apply_faults(ex, "list")
        self.authorize(ex)
        limit = int(ex.json().get("max_count", 20))
        with self.lock:
            newest = list(reversed(self._visible(lagging=True)))[:limit]
        ex.reply(
            200,
            envelope(
                {
                    "videos": [
                        {
                            "id": p.id,
                            "title": p.text,
                            "create_time": 1764072000,
                            "share_url": f"https://www.tiktok.com/@storyvid_fake/video/{p.id}",
                        }
                        for p in newest
                    ],
                    "cursor": 0,
                    "has_more": False,
                }
            ),
        )

    def set_stats(self, video_id: str, **counts: Any) -> None:
        """One of the user's videos with these lifetime counts."""
        with self.lock:
            self.stats[video_id] = dict(counts)

    def video_query(self, ex: Exchange) -> None:
        self.apply_faults(ex, "video_query")
        self.authorize(ex)
        fields = [f for f in ex.query.get("fields", "").split(",") if f]
        ids = list((ex.json().get("filters") or {}).get("video_ids") or [])
        with self.lock:
            self.query_batches.append(ids)
        if not fields:
            self.fail(ex, 400, "invalid_params", "fields is required")
        if unknown := [f for f in fields if f not in QUERY_FIELDS]:
            self.fail(ex, 400, "invalid_params", f"Invalid fields: {', '.join(unknown)}")
        if not ids or len(ids) > MAX_QUERY_IDS:
            self.fail(ex, 400, "invalid_params", f"video_ids must hold 1 to {MAX_QUERY_IDS} ids, got {len(ids)}")
        with self.lock:
            own = {p.id: dict(DEFAULT_STATS) for p in self._visible()} | self.stats
        videos = [
            {"id": vid, **{f: own[vid].get(f, 0) for f in fields if f != "id"}} for vid in ids if vid in own
        ]
        ex.reply(200, envelope({"videos": videos, "cursor": 0, "has_more": False}))

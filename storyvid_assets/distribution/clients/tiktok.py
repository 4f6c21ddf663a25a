"""TikTok Content Posting API: creator info → init (FILE_UPLOAD) → ordered chunk PUTs → status fetch.

Chunk rules (decimal MB, Media Transfer Guide): chunks of 5–64 MB, ``total_chunk_count = floor(size /
chunk_size)``, the last chunk absorbs the remainder (up to 128 MB), a file under 5 MB goes as one chunk, a file
over 64 MB in several, at most 1000 chunks. Handles saved in order: ``create_attempts`` → ``publish_id``
/``upload_url``/``chunk_size`` → ``chunks_done`` after every chunk → ``post_id``. A chunk that fails is sent
again (same byte range) after asking the status endpoint how many bytes arrived.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from storyvid_assets.analytics.platform_metrics import (
    MetricNames,
    MetricsAnswer,
    PlatformMetricSpec,
    post_metrics,
    request_metrics,
)
from storyvid_assets.distribution.clients.base import MetricsWork, UploadWork, json_or_empty, new_http_client
from storyvid_assets.distribution.credentials import RefreshRefused, StoredToken
from storyvid_assets.distribution.errors import (
    AuthExpired,
    HandleExpired,
    LimitExceeded,
    PlatformError,
    QuotaExhausted,
)
from storyvid_assets.distribution.quota import QuotaRule
from storyvid_assets.models import PlatformPost, PostMetrics
from storyvid_assets.reliability import retry_after_s

PLATFORM = "tiktok"
MB = 1_000_000  # TikTok documents its chunk limits in decimal megabytes
PRIVACY_LEVELS = {"public": "PUBLIC_TO_EVERYONE", "unlisted": "MUTUAL_FOLLOW_FRIENDS", "private": "SELF_ONLY"}
CAP_CODES = {"spam_risk_too_many_posts", "spam_risk_user_banned_from_posting", "reached_active_user_cap"}
DONE_STATUSES = {"PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"}
MAX_QUERY_IDS = 20  # video/query takes at most 20 ids [T1]


@dataclass(frozen=True)
class ChunkRules:
    """TikTok's chunk rules in the platform's units: decimal megabytes (Media Transfer Guide,
    https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide)."""

    min_chunk: int = 5 * MB
    max_chunk: int = 64 * MB
    max_last_chunk: int = 128 * MB
    max_chunks: int = 1000


def nominal_chunk_size(size: int, wanted: int, rules: ChunkRules = ChunkRules()) -> int:
    """The ``chunk_size`` announced at init, ``wanted`` moved within the rules.

    Under ``min_chunk`` the file goes whole. Up to ``max_chunk`` it may go whole. Over ``max_chunk`` it must go
    in at least two chunks, so the chunk is at most ``size // 2``; a chunk of at most ``max_chunk`` keeps the
    last chunk (``chunk + size % chunk`` < 2 chunks) within ``max_last_chunk``. At most ``max_chunks`` chunks.
    """
    if size <= 0:
        raise ValueError("cannot upload an empty file")
    if size < rules.min_chunk:
        return size
    chunk = max(rules.min_chunk, min(wanted, rules.max_chunk, size))
    if size > rules.max_chunk:
        chunk = min(chunk, size // 2)
    chunk = max(chunk, -(-size // rules.max_chunks))  # ceil(size / max_chunks): no more than max_chunks chunks
    if chunk > rules.max_chunk:
        raise ValueError(f"a file of {size} bytes cannot be cut into at most {rules.max_chunks} chunks")
    return chunk


def chunk_ranges(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """Byte ranges (first, last inclusive) for ``chunk_size`` as announced at init: ``floor(size / chunk_size)``
    chunks, the last absorbing the remainder."""
    count = max(1, size // chunk_size)
    ranges = [(i * chunk_size, (i + 1) * chunk_size - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], size - 1)
    return ranges


def check_plan(size: int, ranges: list[tuple[int, int]], rules: ChunkRules = ChunkRules()) -> None:
    """Raise ``ValueError`` when ``ranges`` break the documented rules."""
    lengths = [last - first + 1 for first, last in ranges]
    problems = []
    if sum(lengths) != size or any(b[0] != a[1] + 1 for a, b in itertools.pairwise(ranges)):
        problems.append("the chunks do not cover the file")
    if not 1 <= len(ranges) <= rules.max_chunks:
        problems.append(f"{len(ranges)} chunks (1 to {rules.max_chunks} allowed)")
    if size < rules.min_chunk and len(ranges) != 1:
        problems.append("a file under the minimum chunk goes whole")
    if size > rules.max_chunk and len(ranges) < 2:
        problems.append(f"a file over {rules.max_chunk} bytes must go in several chunks")
    if size >= rules.min_chunk and any(not rules.min_chunk <= n <= rules.max_chunk for n in lengths[:-1]):
        problems.append(f"chunks must be {rules.min_chunk} to {rules.max_chunk} bytes")
    if size >= rules.min_chunk and not rules.min_chunk <= lengths[-1] <= rules.max_last_chunk:
        problems.append(f"the last chunk must be {rules.min_chunk} to {rules.max_last_chunk} bytes")
    if problems:
        raise ValueError(f"chunk plan for {size} bytes: " + "; ".join(problems))


def chunk_plan(size: int, chunk_size: int, rules: ChunkRules = ChunkRules()) -> list[tuple[int, int]]:
    """Byte ranges (first, last inclusive) for a wanted ``chunk_size``, following TikTok's chunk rules."""
    ranges = chunk_ranges(size, nominal_chunk_size(size, chunk_size, rules))
    check_plan(size, ranges, rules)
    return ranges


@dataclass(frozen=True)
class TikTokSettings:
    base_url: str = "https://open.tiktokapis.com"
    chunk_size: int = 10 * MB
    rules: ChunkRules = ChunkRules()
    poll_interval_s: float = 5.0
    max_polls: int = 24
    daily_post_cap: int = 15  # (~) posts per creator per day through the API
    timeout_s: float = 120.0


class TikTokApi:
    def __init__(
        self,
        settings: TikTokSettings,
        access_token: str,
        client_key: str,
        client_secret: str,
        refresh_token: str,
        now: Any,
        http: httpx.Client | None = None,
        credential: StoredToken | None = None,
    ) -> None:
        self.settings = settings
        self.http = http or new_http_client(settings.timeout_s)
        self.client_key = client_key
        self.client_secret = client_secret
        self.now = now
        # TikTok rotates the refresh token on every refresh and refuses the previous one (platform-protocols.md
        # TikTok §7): the tokens live in the credential store, seeded from the environment on first use only.
        self.credential = credential or StoredToken(
            None,
            f"{PLATFORM}/default",
            PLATFORM,
            "oauth",
            {"access_token": access_token, "refresh_token": refresh_token},
            seed=refresh_token,
        )
        self.token = ""  # the access token, read from the credential on the first call

    # ------------------------------------------------------------------ wire

    def close(self) -> None:
        self.http.close()

    def _error(self, step: str, response: httpx.Response) -> PlatformError:
        error = json_or_empty(response).get("error") or {}
        code = str(error.get("code") or "")
        message = str(error.get("message") or response.reason_phrase or code)
        retry_after = retry_after_s(response.headers, self.now())
        if response.status_code == 401 or code == "access_token_invalid":
            return AuthExpired(PLATFORM, step, message, status=response.status_code, code=code)
        if code in CAP_CODES:
            return QuotaExhausted(
                PLATFORM,
                step,
                message,
                resume_at=self.now() + timedelta(hours=24),
                status=response.status_code,
                code=code,
            )
        retryable = (
            response.status_code == 429
            or response.status_code >= 500
            or code in {"rate_limit_exceeded", "internal_error"}
        )
        return PlatformError(
            PLATFORM,
            step,
            message,
            retryable=retryable,
            status=response.status_code,
            code=code,
            retry_after=retry_after,
        )

    def call(
        self, step: str, path: str, payload: dict[str, Any], params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        if not self.token:
            self.token = self._stored_access_token()
        if not self.token:  # only a refresh token stored, or its access token expired: get one first
            self.refresh()
        response = self.http.post(
            f"{self.settings.base_url.rstrip('/')}{path}",
            params=params,
            json=payload,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json; charset=UTF-8"},
        )
        body = json_or_empty(response)
        if response.status_code >= 400 or (body.get("error") or {}).get("code", "ok") != "ok":
            raise self._error(step, response)
        return body.get("data") or {}

    def _stored_access_token(self) -> str:
        value = self.credential.value
        expires = value.get("access_expires_at")
        if expires and datetime.fromisoformat(str(expires)) <= self.now() + timedelta(minutes=1):
            return ""
        return str(value.get("access_token") or "")

    def refresh(self) -> None:
        """A new access token from the stored refresh token; the rotated refresh token is stored atomically (a
        worker that loses a concurrent refresh uses the winner's tokens)."""
        if not (self.client_key and self.client_secret and self.credential.value.get("refresh_token")):
            raise PlatformError(
                PLATFORM,
                "token refresh",
                "the access token was refused and no client key/secret/refresh token is configured to refresh it",
                retryable=False,
            )
        try:
            value = self.credential.refresh(self._exchange)
        except RefreshRefused as exc:
            raise PlatformError(
                PLATFORM,
                "token refresh",
                f"refresh refused ({exc}); the stored refresh token of credential {self.credential.name!r} no "
                "longer works: authorise the app again and set TIKTOK_REFRESH_TOKEN to the new refresh token (a "
                "new value replaces the stored one)",
                retryable=False,
            ) from None
        self.token = str(value.get("access_token") or "")
        if not self.token:
            raise PlatformError(PLATFORM, "token refresh", "the stored credential has no access token", retryable=False)

    def _exchange(self, old: dict[str, Any]) -> tuple[dict[str, Any], datetime | None]:
        """``POST /v2/oauth/token/`` with the refresh token: the new tokens and the refresh token's expiry."""
        response = self.http.post(
            f"{self.settings.base_url.rstrip('/')}/v2/oauth/token/",
            data={
                "client_key": self.client_key,
                "client_secret": self.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": str(old.get("refresh_token") or ""),
            },
        )
        body = json_or_empty(response)
        if response.status_code >= 400 or not body.get("access_token"):
            reason = f"HTTP {response.status_code}: {body.get('error_description') or body.get('error') or 'no token'}"
            if response.status_code >= 500 or response.status_code == 429:
                raise PlatformError(PLATFORM, "token refresh", reason, retryable=True, status=response.status_code)
            raise RefreshRefused(reason)
        now = self.now()
        expires_in = int(body.get("expires_in") or 0)
        refresh_expires_in = int(body.get("refresh_expires_in") or 0)
        value = {
            "access_token": str(body["access_token"]),
            "refresh_token": str(body.get("refresh_token") or old.get("refresh_token") or ""),
            "access_expires_at": (now + timedelta(seconds=expires_in)).isoformat() if expires_in else None,
        }
        return value, (now + timedelta(seconds=refresh_expires_in)) if refresh_expires_in else None

    def _run(self, work: UploadWork, step: str, call: Any, **kwargs: Any) -> Any:
        return work.steps.run(step, call, on_auth_expired=self.refresh, **kwargs)

    # ------------------------------------------------------------------ publish

    def publish(self, work: UploadWork) -> PlatformPost:
        creator = self._run(
            work, "creator info", lambda: self.call("creator info", "/v2/post/publish/creator_info/query/", {})
        )
        privacy = self._privacy(work, creator)
        journal = work.journal
        for _ in range(3):
            try:
                if not journal.get("post_done"):
                    self._run(work, "recover", lambda: self._recover(work))
                if not journal.get("post_done"):
                    self._upload(work, privacy)
                return self._post(work, creator)
            except HandleExpired as exc:
                work.log(f"tiktok: publish gone ({exc}); starting again")
                journal.reset(str(exc), keep=("create_attempts",))
        raise PlatformError(PLATFORM, "publish", "uploads kept failing on TikTok's side; giving up", retryable=False)

    def _privacy(self, work: UploadWork, creator: dict[str, Any]) -> str:
        wanted = PRIVACY_LEVELS[work.options.privacy]
        offered = list(creator.get("privacy_level_options") or [])
        problems = []
        if offered and wanted not in offered:
            problems.append(
                f"privacy {work.options.privacy!r} ({wanted}) is not offered for this account "
                f"(offered: {offered}); set distribution.privacy to one the account allows"
            )
        max_s = creator.get("max_video_post_duration_sec")
        if max_s and work.item.duration > float(max_s):
            problems.append(f"video is {work.item.duration:.1f} s long; this account's limit is {max_s} s")
        if problems:
            raise LimitExceeded(PLATFORM, problems)
        return wanted

    def _status(self, publish_id: str) -> dict[str, Any]:
        return self.call("status fetch", "/v2/post/publish/status/fetch/", {"publish_id": publish_id})

    def _recover(self, work: UploadWork) -> None:
        """Use the saved publish id, or find the post by its marker when an init's answer may have been lost."""
        journal = work.journal
        publish_id = journal.get("publish_id")
        if publish_id:
            status = self._status(publish_id)
            if status.get("status") in DONE_STATUSES or status.get("publicaly_available_post_id"):
                journal.save("recovered", post_done=True)
            elif status.get("status") == "FAILED":
                raise HandleExpired(PLATFORM, "status fetch", f"publish failed: {status.get('fail_reason')}")
            elif status.get("status") == "PROCESSING_UPLOAD":
                ranges = chunk_ranges(work.size, int(journal.get("chunk_size")))
                received = int(status.get("uploaded_bytes") or 0)
                done = sum(1 for _, last in ranges if last < received)
                if done != journal.get("chunks_done", 0):
                    journal.save("resume", chunks_done=done)
            else:  # PROCESSING_DOWNLOAD: every byte arrived
                journal.save(
                    "recovered",
                    chunks_done=len(chunk_ranges(work.size, int(journal.get("chunk_size")))),
                )
            return
        if journal.get("create_attempts"):
            found = self._find_marker(work)
            if found:
                journal.save(
                    "found_by_marker",
                    post_done=True,
                    post_id=str(found["id"]),
                    share_url=str(found.get("share_url") or ""),
                )

    def _find_marker(self, work: UploadWork) -> dict[str, Any] | None:
        data = self.call(
            "find marker",
            "/v2/video/list/",
            {"max_count": 20},
            params={"fields": "id,title,video_description,share_url,create_time"},
        )
        for video in data.get("videos", []):
            if work.options.marker in f"{video.get('title', '')} {video.get('video_description', '')}":
                return video
        return None

    def _upload(self, work: UploadWork, privacy: str) -> None:
        journal = work.journal
        if not journal.get("publish_id"):
            chunk_size = nominal_chunk_size(work.size, self.settings.chunk_size, self.settings.rules)
            count = len(chunk_plan(work.size, chunk_size, self.settings.rules))  # raises on a broken plan
            work.quota.spend(QuotaRule(PLATFORM, self.settings.daily_post_cap), work.options.account, 1, "init")
            journal.save("create", create_attempts=work.bump("create_attempts"))
            data = self._run(
                work,
                "init",
                lambda: self.call(
                    "init",
                    "/v2/post/publish/video/init/",
                    {
                        "post_info": {
                            "title": work.text.text,
                            "privacy_level": privacy,
                            "disable_duet": False,
                            "disable_comment": False,
                            "disable_stitch": False,
                            "video_cover_timestamp_ms": 1000,
                            "brand_content_toggle": False,
                            "brand_organic_toggle": False,
                            "is_aigc": work.item.metadata.contains_synthetic_media,
                        },
                        "source_info": {
                            "source": "FILE_UPLOAD",
                            "video_size": work.size,
                            "chunk_size": chunk_size,
                            "total_chunk_count": count,
                        },
                    },
                ),
            )
            journal.save(
                "init",
                publish_id=str(data["publish_id"]),
                upload_url=str(data["upload_url"]),
                chunk_size=chunk_size,
                chunks_done=0,
            )
        ranges = chunk_ranges(work.size, int(journal.get("chunk_size")))
        for index in range(int(journal.get("chunks_done", 0)), len(ranges)):
            first, last = ranges[index]

            def send(i: int = index, f: int = first, la: int = last) -> None:
                if int(journal.get("chunks_done", 0)) > i:  # the server already had it (see _resync)
                    return
                self._put(work, f, la)

            self._run(work, f"chunk {index + 1}/{len(ranges)}", send, before_retry=lambda: self._resync(work, ranges))
            if int(journal.get("chunks_done", 0)) <= index:
                journal.save("chunk", chunks_done=index + 1)

    def _put(self, work: UploadWork, first: int, last: int) -> None:
        response = self.http.put(
            work.journal.get("upload_url"),
            content=work.read(first, last),
            headers={
                "Content-Type": "video/mp4",
                "Content-Range": f"bytes {first}-{last}/{work.size}",
            },
        )
        if response.status_code >= 300:
            raise self._error("chunk", response)

    def _resync(self, work: UploadWork, ranges: list[tuple[int, int]]) -> None:
        """Before sending a chunk again: how many bytes does TikTok have?"""
        status = self._status(work.journal.get("publish_id"))
        received = int(status.get("uploaded_bytes") or 0)
        done = sum(1 for _, last in ranges if last < received)
        if done > int(work.journal.get("chunks_done", 0)):
            work.journal.save("resume", chunks_done=done)

    def _post(self, work: UploadWork, creator: dict[str, Any]) -> PlatformPost:
        journal = work.journal
        username = creator.get("creator_username") or "me"
        post_id, share_url = journal.get("post_id"), journal.get("share_url")
        status = "published" if post_id else "processing"
        if not post_id:
            for _ in range(self.settings.max_polls):
                data = self._run(work, "status fetch", lambda: self._status(journal.get("publish_id")))
                if data.get("status") == "FAILED":
                    raise HandleExpired(PLATFORM, "status fetch", f"publish failed: {data.get('fail_reason')}")
                ids = data.get("publicaly_available_post_id") or []
                if ids:
                    post_id, status = str(ids[0]), "published"
                    break
                if data.get("status") in DONE_STATUSES:
                    status = "processing" if data["status"] == "PUBLISH_COMPLETE" else "published"
                    break  # public id comes after moderation (minutes to hours)
                work.clock.sleep(self.settings.poll_interval_s)
            journal.save("posted", post_done=True, post_id=post_id)
        post_id = post_id or str(journal.get("publish_id"))
        url = share_url or (
            f"https://www.tiktok.com/@{username}/video/{post_id}"
            if not post_id.startswith("v_")
            else f"https://www.tiktok.com/@{username}"
        )
        return PlatformPost(platform=PLATFORM, format=work.item.format, post_id=post_id, url=url, status=status)

    # ------------------------------------------------------------------ status & metrics

    def status(self, post: PlatformPost) -> PlatformPost:
        if not post.post_id.startswith("v_"):
            return post.model_copy(update={"status": "published"})
        data = self._status(post.post_id)
        ids = data.get("publicaly_available_post_id") or []
        if ids:
            return post.model_copy(
                update={"post_id": str(ids[0]), "status": "published", "url": post.url.rstrip("/") + f"/video/{ids[0]}"}
            )
        return post.model_copy(update={"status": "failed" if data.get("status") == "FAILED" else "processing"})

    def fetch_metrics(
        self,
        posts: list[PlatformPost],
        days: list[str],
        spec: PlatformMetricSpec,
        durations: dict[str, float],
        work: MetricsWork,
    ) -> MetricsAnswer:
        """Current lifetime totals (``POST /v2/video/query/``, at most 20 ids a call) dated the last of ``days``.

        Only the authorized user's public videos come back [T1][T2]; a post still known by its publish id
        (``v_...``, in moderation) or not returned is ``missing``.
        """
        day = max(days)
        main = MetricNames(PLATFORM, spec)
        optional = MetricNames(PLATFORM, spec, optional=True)
        ids = [p.post_id for p in posts if not p.post_id.startswith("v_")]
        waiting = [p.post_id for p in posts if p.post_id.startswith("v_")]
        missing = [(post_id, day) for post_id in waiting]
        metrics: list[PostMetrics] = []
        size = min(spec.batch_size, MAX_QUERY_IDS)
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]

            def query(names: list[str], batch: list[str] = batch) -> dict[str, dict[str, Any]]:
                return self._query_videos(work, batch, names)

            answered = request_metrics(main, query, refused) or {}
            found = {vid: main.configured(values) for vid, values in answered.items()}
            if found and optional.names():
                for vid, values in (request_metrics(optional, query, refused) or {}).items():
                    if vid in found:
                        found[vid] |= optional.configured(values)
            for vid in batch:
                if vid in found:
                    metrics.append(post_metrics(spec, PLATFORM, vid, day, found[vid], durations.get(vid)))
                else:
                    missing.append((vid, day))
        notes = main.notes + optional.notes
        if waiting:
            notes.append(f"no public video id yet (in moderation): {', '.join(waiting)}")
        if absent := [vid for vid, _ in missing if vid not in waiting]:
            notes.append(f"not returned (not public, deleted, or another account's): {', '.join(absent)}")
        return MetricsAnswer(metrics=metrics, missing=missing, notes=notes)

    def _query_videos(self, work: MetricsWork, ids: list[str], names: list[str]) -> dict[str, dict[str, Any]]:
        """video id -> the requested fields of the user's videos among ``ids``."""
        data = work.steps.run(
            "video query",
            lambda: self.call(
                "video query",
                "/v2/video/query/",
                {"filters": {"video_ids": ids}},
                params={"fields": ",".join(["id", *names])},
            ),
            on_auth_expired=self.refresh,
        )
        videos = data.get("videos") or []
        return {str(v["id"]): {k: val for k, val in v.items() if k != "id"} for v in videos if v.get("id")}


def refused(exc: Exception) -> str | None:
    """A refused field: 400 ``invalid_params`` naming it (an unknown or removed field)."""
    if isinstance(exc, PlatformError) and not isinstance(exc, AuthExpired | QuotaExhausted) and not exc.retryable:
        return str(exc) if exc.status == 400 and exc.code == "invalid_params" else None
    return None

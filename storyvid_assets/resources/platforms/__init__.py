"""Platform clients: one interface, one implementation per platform, secrets from the environment.

Environment variables (all optional: a platform without its credentials is skipped with a clear message):

- YouTube: ``YOUTUBE_CLIENT_ID``, ``YOUTUBE_CLIENT_SECRET``, ``YOUTUBE_REFRESH_TOKEN``
- Instagram: ``INSTAGRAM_USER_ID``, ``INSTAGRAM_ACCESS_TOKEN`` (+ ``FACEBOOK_APP_ID``/``FACEBOOK_APP_SECRET`` to
  refresh an expired token)
- TikTok: ``TIKTOK_CLIENT_KEY``, ``TIKTOK_CLIENT_SECRET``, ``TIKTOK_REFRESH_TOKEN`` (+ ``TIKTOK_ACCESS_TOKEN``);
  TikTok rotates the refresh token, so it lives in the credential store (``distribution/credentials.py``),
  seeded from the environment on first use
- Facebook: ``FACEBOOK_PAGE_ID``, ``FACEBOOK_USER_TOKEN`` (a long-lived user token: Page tokens are derived from
  it), ``FACEBOOK_APP_ID`` (+ ``FACEBOOK_APP_SECRET``, ``FACEBOOK_PAGE_TOKEN``)

Base URLs are configuration, so tests point the real clients at loopback fakes. The Google libraries are
imported only when a YouTube upload runs, so the base install (``make demo``) does not need them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from contextlib import closing
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from storyvid_assets.analytics.platform_metrics import MetricsAnswer, PlatformMetricSpec, load_metric_specs
from storyvid_assets.distribution.clients.base import MetricsWork, StepRunner, UploadWork, platform_breaker
from storyvid_assets.distribution.errors import CredentialsMissing
from storyvid_assets.distribution.limits import PostText
from storyvid_assets.distribution.quota import QuotaLedger
from storyvid_assets.distribution.state import UploadJournal
from storyvid_assets.distribution.uncertain import UncertainRule
from storyvid_assets.models import PlatformPost, PostKind, PostOptions, PublishItem
from storyvid_assets.reliability import Clock, RetryPolicy, SystemClock, secret_value
from storyvid_assets.settings import settings


class PlatformClient(dg.ConfigurableResource):
    """Publishes videos to one platform account, reports a post's status and fetches its metrics."""

    platform: ClassVar[str]
    required_env: ClassVar[dict[str, str]]  # field name -> environment variable that fills it
    optional_env: ClassVar[dict[str, str]] = {}
    format_kinds: ClassVar[dict[str, PostKind]]  # which kind of post each format becomes

    max_attempts: int = Field(default=3, ge=1, le=10, description="Attempts per step")
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0
    retry_after_cap_s: float = 300.0
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 600.0
    poll_interval_s: float = 10.0
    max_polls: int = 30
    credential_name: str = Field(default="", description="Credential store name (default '<platform>/default')")

    @classmethod
    def from_env(cls, **config: Any) -> PlatformClient:
        """The client with each secret field bound to its ``EnvVar`` when that variable is set (else empty)."""
        env = {**cls.required_env, **cls.optional_env}
        secrets = {name: dg.EnvVar(var) for name, var in env.items() if settings().has(var)}
        return cls(**secrets, **config)

    def missing_credentials(self) -> list[str]:
        """Environment variables this platform needs that are not set."""
        return [var for name, var in self.required_env.items() if not self.secret(name)]

    def secret(self, field: str) -> str:
        """The plain value of a credential field (an unresolved ``EnvVar`` is read now; unset is empty)."""
        return secret_value(getattr(self, field)) or ""

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay_s=self.base_delay_s,
            max_delay_s=self.max_delay_s,
            retry_after_cap_s=self.retry_after_cap_s,
        )

    def kind_for(self, fmt: str) -> PostKind | None:
        return self.format_kinds.get(fmt)

    def publish(
        self,
        video: PublishItem,
        options: PostOptions,
        *,
        text: PostText,
        journal: UploadJournal,
        steps: StepRunner,
        quota: QuotaLedger,
        clock: Clock,
        log: Callable[[str], None],
    ) -> PlatformPost:
        """Publish ``video`` (resuming from the journal's handles) and return the post."""
        work = UploadWork(
            item=video, options=options, text=text, journal=journal, steps=steps, quota=quota, clock=clock, log=log
        )
        with closing(self.api(clock, quota.catalog_url)) as api:
            return api.publish(work)

    def status(self, post: PlatformPost, catalog_url: str | None = None) -> PlatformPost:
        """The post as the platform sees it now (processing, published, failed, ...); tokens that rotate come
        from the credential store of the catalog at ``catalog_url`` (without one: the configured values)."""
        with closing(self.api(SystemClock(), catalog_url)) as api:
            return api.status(post)

    def fetch_metrics(
        self,
        posts: list[PlatformPost],
        days: list[str],
        *,
        catalog_url: str,
        spec: PlatformMetricSpec | None = None,
        durations: dict[str, float] | None = None,
        clock: Clock | None = None,
        account: str = "default",
        log: Callable[[str], None] = lambda message: None,
    ) -> MetricsAnswer:
        """How ``posts`` performed on ``days``, from the platform's analytics API (``spec``: the packaged
        ``analytics/data/platform_metrics.yaml`` entry by default; ``durations``: post id -> seconds).

        Calls go through the uploads' retry policy, the account's circuit breaker and the quota ledger.
        ``QuotaExhausted`` (``resume_at``: a quota used up, or a server asking to wait longer than the retry
        cap) and ``CircuitOpen`` (``reopen_at``) mean "deferred: try again then"; other ``PlatformError``s
        are failures. Missing credentials raise ``CredentialsMissing``.
        """
        if not posts or not days:
            return MetricsAnswer()
        if missing := self.missing_credentials():
            raise CredentialsMissing(self.platform, missing)
        clock = clock or SystemClock()
        breaker = platform_breaker(self.breaker_threshold, self.breaker_cooldown_s)
        circuit = f"{self.platform}/{account}"  # the same breaker as this account's uploads
        steps = StepRunner(self.platform, self.retry_policy(), breaker, clock, log=log, circuit=circuit)
        work = MetricsWork(steps=steps, quota=QuotaLedger(catalog_url, clock), account=account)
        spec = spec or load_metric_specs()[self.platform]
        with closing(self.api(clock, catalog_url)) as api:
            return api.fetch_metrics(list(posts), sorted(set(days)), spec, dict(durations or {}), work)

    @abstractmethod
    def api(self, clock: Clock, catalog_url: str | None = None) -> Any:
        """The platform's API client (``platforms.<name>``) built from this configuration; tokens that rotate
        are kept in the credential store of the catalog at ``catalog_url`` (in memory only without one)."""

    def stored_token(
        self, clock: Clock, catalog_url: str | None, kind: str, seed_value: dict[str, Any], seed: str
    ) -> Any:
        """The credential ``credential_name`` in the store of ``catalog_url``, seeded from ``seed_value``."""
        from storyvid_assets.distribution.credentials import CredentialStore, StoredToken

        store = CredentialStore(catalog_url, now=clock.now) if catalog_url else None
        name = self.credential_name or f"{self.platform}/default"
        return StoredToken(store, name, self.platform, kind, seed_value, seed)


class YouTubeClient(PlatformClient):
    """YouTube Data API v3: resumable uploads, thumbnails, Shorts for 9:16; quota in units per Pacific day.
    Metrics come from the YouTube Analytics API: the refresh token needs its scopes too (``ANALYTICS_SCOPES``)."""

    platform: ClassVar[str] = "youtube"
    required_env: ClassVar[dict[str, str]] = {
        "client_id": "YOUTUBE_CLIENT_ID",
        "client_secret": "YOUTUBE_CLIENT_SECRET",
        "refresh_token": "YOUTUBE_REFRESH_TOKEN",
    }
    format_kinds: ClassVar[dict[str, PostKind]] = {"16:9": "video", "9:16": "short", "1:1": "video"}

    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    base_url: str = "https://youtube.googleapis.com/"
    token_uri: str = "https://oauth2.googleapis.com/token"
    chunk_size: int = 8 * 1024 * 1024
    daily_quota_units: int = 10_000
    quota_costs: dict[str, int] = Field(
        default_factory=lambda: {
            "videos.insert": 1600,
            "thumbnails.set": 50,
            "videos.list": 1,
            "channels.list": 1,
            "playlistItems.list": 1,
            "reports.query": 1,  # YouTube Analytics queries share the ledger (no published unit cost)
        }
    )
    category_id: str = "1"
    analytics_base_url: str = "https://youtubeanalytics.googleapis.com/"

    def api(self, clock: Clock, catalog_url: str | None = None) -> Any:
        from storyvid_assets.distribution.clients.youtube import YouTubeApi, YouTubeSettings

        settings = YouTubeSettings(
            base_url=self.base_url,
            analytics_base_url=self.analytics_base_url,
            token_uri=self.token_uri,
            chunk_size=self.chunk_size,
            daily_quota_units=self.daily_quota_units,
            costs=dict(self.quota_costs),
            category_id=self.category_id,
        )
        return YouTubeApi(
            settings,
            self.secret("client_id"),
            self.secret("client_secret"),
            self.secret("refresh_token"),
            clock.now,
        )


class InstagramClient(PlatformClient):
    """Instagram Reels (9:16) and optional feed posts (1:1); the publishing limit is read from the API."""

    platform: ClassVar[str] = "instagram"
    required_env: ClassVar[dict[str, str]] = {"user_id": "INSTAGRAM_USER_ID", "access_token": "INSTAGRAM_ACCESS_TOKEN"}
    optional_env: ClassVar[dict[str, str]] = {"app_id": "FACEBOOK_APP_ID", "app_secret": "FACEBOOK_APP_SECRET"}
    format_kinds: ClassVar[dict[str, PostKind]] = {"9:16": "reel", "1:1": "feed"}

    user_id: str = ""
    access_token: str = ""
    app_id: str = ""
    app_secret: str = ""
    base_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    limit_recheck_s: float = 3600.0
    uncertain_window_min: float = Field(
        default=15.0, description="After a publish with no answer, minutes to look for the post before publishing again"
    )
    uncertain_first_check_s: float = Field(default=30.0, description="First re-check of the list; then doubling")

    def api(self, clock: Clock, catalog_url: str | None = None) -> Any:
        from storyvid_assets.distribution.clients.instagram import InstagramApi, InstagramSettings

        settings = InstagramSettings(
            base_url=self.base_url,
            api_version=self.api_version,
            ig_user_id=self.secret("user_id"),
            poll_interval_s=self.poll_interval_s,
            max_polls=self.max_polls,
            limit_recheck_s=self.limit_recheck_s,
            uncertain=UncertainRule(self.uncertain_window_min, self.uncertain_first_check_s),
        )
        return InstagramApi(
            settings,
            self.secret("access_token"),
            self.secret("app_id"),
            self.secret("app_secret"),
            clock.now,
        )


class TikTokClient(PlatformClient):
    """TikTok Content Posting API (direct post, FILE_UPLOAD in chunks), ``is_aigc`` set; a daily post cap."""

    platform: ClassVar[str] = "tiktok"
    required_env: ClassVar[dict[str, str]] = {
        "client_key": "TIKTOK_CLIENT_KEY",
        "client_secret": "TIKTOK_CLIENT_SECRET",
        "refresh_token": "TIKTOK_REFRESH_TOKEN",
    }
    optional_env: ClassVar[dict[str, str]] = {"access_token": "TIKTOK_ACCESS_TOKEN"}
    format_kinds: ClassVar[dict[str, PostKind]] = {"9:16": "video"}

    client_key: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    access_token: str = ""
    base_url: str = "https://open.tiktokapis.com"
    chunk_size: int = 10 * 1024 * 1024
    min_chunk: int = Field(default=5_000_000, description="TikTok's minimum chunk (5 MB, decimal)")
    daily_post_cap: int = 15

    def api(self, clock: Clock, catalog_url: str | None = None) -> Any:
        from storyvid_assets.distribution.clients.tiktok import ChunkRules, TikTokApi, TikTokSettings

        settings = TikTokSettings(
            base_url=self.base_url,
            chunk_size=self.chunk_size,
            rules=ChunkRules(min_chunk=self.min_chunk),
            poll_interval_s=self.poll_interval_s,
            max_polls=self.max_polls,
            daily_post_cap=self.daily_post_cap,
        )
        refresh_token, access_token = self.secret("refresh_token"), self.secret("access_token")
        credential = self.stored_token(
            clock, catalog_url, "oauth", {"access_token": access_token, "refresh_token": refresh_token}, refresh_token
        )
        return TikTokApi(
            settings,
            access_token,
            self.secret("client_key"),
            self.secret("client_secret"),
            refresh_token,
            clock.now,
            credential=credential,
        )


class FacebookClient(PlatformClient):
    """Facebook Page videos (16:9) and Reels (9:16) through the Graph API. A long-lived user token (kept in
    the credential store, seeded from ``FACEBOOK_USER_TOKEN``) opens upload sessions and derives the Page token;
    ``FACEBOOK_PAGE_TOKEN`` is optional (a starting Page token)."""

    platform: ClassVar[str] = "facebook"
    required_env: ClassVar[dict[str, str]] = {
        "page_id": "FACEBOOK_PAGE_ID",
        "user_token": "FACEBOOK_USER_TOKEN",
        "app_id": "FACEBOOK_APP_ID",
    }
    optional_env: ClassVar[dict[str, str]] = {"page_token": "FACEBOOK_PAGE_TOKEN", "app_secret": "FACEBOOK_APP_SECRET"}
    format_kinds: ClassVar[dict[str, PostKind]] = {"16:9": "video", "9:16": "reel"}

    page_id: str = ""
    user_token: str = ""
    page_token: str = ""
    app_id: str = ""
    app_secret: str = ""
    base_url: str = "https://graph.facebook.com"
    video_base_url: str = "https://graph-video.facebook.com"
    api_version: str = "v23.0"
    daily_video_cap: int = 50
    daily_reel_cap: int = 30
    uncertain_window_min: float = Field(
        default=15.0, description="After a create with no answer, minutes to look for the post before creating again"
    )
    uncertain_first_check_s: float = Field(default=30.0, description="First re-check of the list; then doubling")

    def api(self, clock: Clock, catalog_url: str | None = None) -> Any:
        from storyvid_assets.distribution.clients.facebook import FacebookApi, FacebookSettings

        settings = FacebookSettings(
            base_url=self.base_url,
            video_base_url=self.video_base_url,
            api_version=self.api_version,
            page_id=self.secret("page_id"),
            app_id=self.secret("app_id"),
            poll_interval_s=self.poll_interval_s,
            max_polls=self.max_polls,
            daily_video_cap=self.daily_video_cap,
            daily_reel_cap=self.daily_reel_cap,
            uncertain=UncertainRule(self.uncertain_window_min, self.uncertain_first_check_s),
        )
        user_token = self.secret("user_token")
        stored = self.stored_token(clock, catalog_url, "graph_user_token", {"access_token": user_token}, user_token)
        return FacebookApi(
            settings, self.secret("page_token"), self.secret("app_secret"), clock.now, user_token=stored
        )


PLATFORM_CLIENTS: dict[str, type[PlatformClient]] = {
    cls.platform: cls for cls in (YouTubeClient, InstagramClient, TikTokClient, FacebookClient)
}
PLATFORM_RESOURCE_KEYS = {name: f"{name}_client" for name in PLATFORM_CLIENTS}


def platform_resources(**overrides: Any) -> dict[str, PlatformClient]:
    """One client per platform, keyed ``<platform>_client``, with credentials from the environment."""
    resources: dict[str, PlatformClient] = {
        key: PLATFORM_CLIENTS[name].from_env() for name, key in PLATFORM_RESOURCE_KEYS.items()
    }
    resources.update(overrides)
    return resources

"""The Graph API as Instagram and Facebook use it: calls, the error envelope, and token refresh.

Error envelope: ``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``.
Codes 1, 2 and ``is_transient`` are retried; 4, 17, 32, 613 (throttled) are retried with a long wait;
190 means the token expired (refresh it); 9 / 2207042 means the publishing limit is reached (defer);
2207020 / 2207053 mean the container is gone (make a new one); 368 and 2207051 are final.
"""

from __future__ import annotations

from collections.abc import Callable
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
from storyvid_assets.distribution.clients.base import MetricsWork, json_or_empty
from storyvid_assets.distribution.errors import AuthExpired, HandleExpired, PlatformError, QuotaExhausted
from storyvid_assets.models import PlatformPost, PostMetrics
from storyvid_assets.reliability import retry_after_s

TRANSIENT_CODES = {1, 2}
THROTTLE_CODES = {4, 17, 32, 613}
TRANSIENT_SUBCODES = {2207001, 2207003, 2207032}
EXPIRED_SUBCODES = {2207020, 2207053}
LIMIT_SUBCODES = {2207042}
THROTTLE_WAIT_S = 60.0  # Graph throttling wants a long wait; capped by the retry policy
GONE_LABEL = "code 100/33"  # "Object with ID ... does not exist, cannot be loaded due to missing permissions"
MAX_INSIGHT_PAGES = 20


def graph_error(
    platform: str, step: str, response: httpx.Response, now: datetime, limit_retry: timedelta = timedelta(hours=1)
) -> PlatformError:
    """Turn a Graph API error response into the error that says what to do next."""
    error = json_or_empty(response).get("error") or {}
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = str(error.get("message") or response.reason_phrase or "error")
    label = f"code {code}" + (f"/{subcode}" if subcode else "")
    retry_after = retry_after_s(response.headers, now)
    if code == 190 or response.status_code == 401:
        return AuthExpired(platform, step, message, status=response.status_code, code=label)
    if subcode in LIMIT_SUBCODES or code == 9:
        return QuotaExhausted(
            platform,
            step,
            f"publishing limit reached ({message})",
            resume_at=now + limit_retry,
            status=response.status_code,
            code=label,
        )
    if subcode in EXPIRED_SUBCODES:
        return HandleExpired(platform, step, message, status=response.status_code, code=label)
    if code in THROTTLE_CODES:
        return PlatformError(
            platform,
            step,
            message,
            retryable=True,
            status=response.status_code,
            code=label,
            retry_after=retry_after if retry_after is not None else THROTTLE_WAIT_S,
        )
    transient = (
        code in TRANSIENT_CODES
        or subcode in TRANSIENT_SUBCODES
        or bool(error.get("is_transient"))
        or response.status_code >= 500
        or response.status_code == 429
    )
    return PlatformError(
        platform, step, message, retryable=transient, status=response.status_code, code=label, retry_after=retry_after
    )


class GraphApi:
    """Thin Graph API caller: JSON in, JSON out, errors classified; the token can be exchanged when it expires."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        version: str,
        token: str,
        http: httpx.Client,
        now: Callable[[], datetime],
        app_id: str = "",
        app_secret: str = "",
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.token = token
        self.http = http
        self.now = now
        self.app_id = app_id
        self.app_secret = app_secret

    def url(self, path: str, base_url: str | None = None) -> str:
        return f"{(base_url or self.base_url).rstrip('/')}/{self.version}/{path.lstrip('/')}"

    def call(
        self,
        step: str,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        base_url: str | None = None,
        token_in: str = "header",
    ) -> dict[str, Any]:
        """One request. ``token_in`` is "query" (``access_token`` param), "form" or "header" (``OAuth``)."""
        url = path_or_url if path_or_url.startswith("http") else self.url(path_or_url, base_url)
        params = dict(params or {})
        headers = dict(headers or {})
        if token_in == "query":
            params["access_token"] = self.token
        elif token_in == "form":
            data = {**(data or {}), "access_token": self.token}
        else:
            headers["Authorization"] = f"OAuth {self.token}"
        response = self.http.request(method, url, params=params, data=data, headers=headers, content=content)
        if response.status_code >= 400:
            raise graph_error(self.platform, step, response, self.now())
        body = json_or_empty(response)
        if "error" in body:
            raise graph_error(self.platform, step, response, self.now())
        return body

    def refresh_token(self) -> None:
        """Exchange the expired token for a fresh long-lived one (needs the app id and secret)."""
        if not (self.app_id and self.app_secret):
            raise PlatformError(
                self.platform,
                "token refresh",
                "the access token expired and no app id/secret is configured to refresh it; "
                "issue a new token and update the environment",
                retryable=False,
            )
        response = self.http.get(
            self.url("oauth/access_token"),
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "fb_exchange_token": self.token,
            },
        )
        if response.status_code >= 400:
            error = graph_error(self.platform, "token refresh", response, self.now())
            raise PlatformError(self.platform, "token refresh", f"refresh refused: {error}", retryable=False)
        token = json_or_empty(response).get("access_token")
        if not token:
            raise PlatformError(self.platform, "token refresh", "refresh answer had no access_token", retryable=False)
        self.token = str(token)

    def find_marker(
        self, step: str, path: str, field: str, marker: str, fields: str, limit: int = 50
    ) -> dict[str, Any] | None:
        """The newest item of ``path`` (e.g. ``{ig-user}/media``) whose ``field`` contains ``marker``."""
        body = self.call(step, "GET", path, params={"fields": fields, "limit": limit})
        for entry in body.get("data", []):
            if marker in str(entry.get(field) or ""):
                return entry
        return None


# ---------------------------------------------------------------------------- insights (Instagram, Facebook)


def metric_refusal(exc: Exception) -> str | None:
    """The message of an error refusing a metric: code 100 (invalid parameter) that is not "object gone".

    Removed metrics answer e.g. ``(#100) Starting from version v22.0 and above, the plays metric is no longer
    supported`` or ``metric[0] must be one of the following values: ...`` [I1][I5].
    """
    if not isinstance(exc, PlatformError) or isinstance(exc, AuthExpired | QuotaExhausted) or exc.retryable:
        return None
    code = exc.code or ""
    return str(exc) if (code == "code 100" or code.startswith("code 100/")) and code != GONE_LABEL else None


def object_gone(exc: PlatformError) -> bool:
    return exc.code == GONE_LABEL


def insight_value(entry: dict[str, Any]) -> Any:
    """An insights entry's value: the last of ``values`` (lifetime has one), else ``total_value``."""
    values = entry.get("values") or []
    if values:
        return values[-1].get("value")
    return (entry.get("total_value") or {}).get("value")


def insight_entries(api: GraphApi, work: MetricsWork, path: str, metrics: list[str]) -> list[dict[str, Any]]:
    """Every entry of ``GET {path}?metric=...``, following ``paging.next`` (each page its own retried step)."""

    def page(url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        return work.steps.run(
            "insights",
            lambda: api.call("insights", "GET", url, params=params),
            on_auth_expired=api.refresh_token,
        )

    body = page(path, {"metric": ",".join(metrics)})
    entries = list(body.get("data") or [])
    for _ in range(MAX_INSIGHT_PAGES - 1):
        next_url = (body.get("paging") or {}).get("next")
        if not next_url:
            break
        url = httpx.URL(str(next_url))  # its query goes as params: GraphApi.call replaces a URL's own query
        body = page(str(url.copy_with(query=None)), dict(url.params))
        entries += body.get("data") or []
    return entries


def read_insights(api: GraphApi, work: MetricsWork, path: str, names: MetricNames) -> dict[str, Any]:
    """The insights of one object keyed by the configured metric names; ``{}`` when the platform has none yet
    (an empty ``data`` array [I1]) or every name was dropped."""
    entries = request_metrics(names, lambda asked: insight_entries(api, work, path, asked), metric_refusal)
    return names.configured({str(e.get("name")): insight_value(e) for e in entries or []})


def lifetime_insights(
    api: GraphApi,
    edge: str,
    posts: list[PlatformPost],
    days: list[str],
    spec: PlatformMetricSpec,
    durations: dict[str, float],
    work: MetricsWork,
) -> MetricsAnswer:
    """Each post's lifetime ``GET /{id}/{edge}`` values, dated the last of ``days``; the optional metrics in a
    second call. No values yet, or an object that is gone, is ``missing`` (with a note for the latter)."""
    day = max(days)
    main = MetricNames(api.platform, spec)
    optional = MetricNames(api.platform, spec, optional=True)
    metrics: list[PostMetrics] = []
    missing: list[tuple[str, str]] = []
    gone: list[str] = []
    for post in posts:
        path = f"{post.post_id}/{edge}"
        try:
            values = read_insights(api, work, path, main)
        except PlatformError as exc:
            if not object_gone(exc):
                raise
            gone.append(post.post_id)
            values = {}
        if not values:
            missing.append((post.post_id, day))
            continue
        if optional.names():
            values |= read_insights(api, work, path, optional)
        metrics.append(post_metrics(spec, api.platform, post.post_id, day, values, durations.get(post.post_id)))
    notes = main.notes + optional.notes
    if gone:
        notes.append(f"not found (deleted, or no access): {', '.join(gone)}")
    return MetricsAnswer(metrics=metrics, missing=missing, notes=notes)

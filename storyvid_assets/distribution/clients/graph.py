"""The Graph API as Instagram and Facebook use it: calls, the error envelope, and token refresh.

Error envelope: ``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``.
Codes 1, 2 and ``is_transient`` are retried; 4, 17, 32, 613 (throttled) are retried with a long wait;
190 means the token expired or was revoked; 9 / 2207042 means the publishing limit is reached (defer);
2207020 / 2207053 mean the container is gone (make a new one); 368 and 2207051 are final.

Tokens: a refused token is never exchanged with ``fb_exchange_token``: "You can not use an expired token to
request a long-lived token", and the grant takes a *user* token, not a Page token
(https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived; platform-protocols.md
Instagram §7). Where a token can be derived again (a Page token from the stored long-lived user token:
``GET /{page-id}?fields=access_token``, https://developers.facebook.com/docs/pages-api/getting-started) the
client passes ``renew``; otherwise a 190 stops the upload with an error that names the expired token and how to
renew it.
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
from storyvid_assets.distribution.state import UploadJournal
from storyvid_assets.models import PlatformPost, PostMetrics
from storyvid_assets.reliability import retry_after_s

TRANSIENT_CODES = {1, 2}
THROTTLE_CODES = {4, 17, 32, 613}
TRANSIENT_SUBCODES = {2207001, 2207003, 2207032}
EXPIRED_SUBCODES = {2207020, 2207053}
LIMIT_SUBCODES = {2207042}
RENEW_TOKEN = {  # what expired and how to renew it, by platform (the upload's alert carries this text)
    "instagram": (
        "the Instagram access token (INSTAGRAM_ACCESS_TOKEN) expired or was revoked; renew it: log in again "
        "with Facebook Login, exchange the new short-lived user token for a long-lived one (GET /oauth/"
        "access_token?grant_type=fb_exchange_token with the app id and secret, while it is still valid) and set "
        "INSTAGRAM_ACCESS_TOKEN to it"
    ),
    "facebook": (
        "the Facebook user access token (FACEBOOK_USER_TOKEN, credential {name}) expired or was revoked, so no "
        "Page token can be derived; renew it: log in again with Facebook Login (pages_show_list, "
        "pages_read_engagement, pages_manage_posts), exchange the new short-lived user token for a long-lived "
        "one (GET /oauth/access_token?grant_type=fb_exchange_token with the app id and secret, while it is still "
        "valid) and set FACEBOOK_USER_TOKEN to it (a new value replaces the stored one)"
    ),
}
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
        renew: Callable[[], str] | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.token = token
        self.http = http
        self.now = now
        self.app_id = app_id
        self.app_secret = app_secret
        self.renew = renew  # derives a new token (e.g. a Page token from the user token); None: cannot

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
        token: str | None = None,
    ) -> dict[str, Any]:
        """One request. ``token_in`` is "query" (``access_token`` param), "form" or "header" (``OAuth``);
        ``token`` overrides this caller's token (e.g. the user token where a call takes one)."""
        url = path_or_url if path_or_url.startswith("http") else self.url(path_or_url, base_url)
        params = dict(params or {})
        headers = dict(headers or {})
        if token is None:
            if not self.token and self.renew is not None:
                self.token = self.renew()
            token = self.token
        if token_in == "query":
            params["access_token"] = token
        elif token_in == "form":
            data = {**(data or {}), "access_token": token}
        else:
            headers["Authorization"] = f"OAuth {token}"
        response = self.http.request(method, url, params=params, data=data, headers=headers, content=content)
        if response.status_code >= 400:
            raise graph_error(self.platform, step, response, self.now())
        body = json_or_empty(response)
        if "error" in body:
            raise graph_error(self.platform, step, response, self.now())
        return body

    def refresh_token(self) -> None:
        """After a 190: derive the token again where that is documented (``renew``), never exchange the refused
        one; otherwise stop with an error that says which token expired and how to renew it."""
        if self.renew is not None:
            self.token = self.renew()
            return
        raise PlatformError(
            self.platform,
            "token expired",
            RENEW_TOKEN.get(self.platform, "the access token expired or was revoked; issue a new one"),
            retryable=False,
            code="code 190",
        )

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


def resumable_transfer(
    run: Callable[..., Any],
    journal: UploadJournal,
    step: str,
    offset_step: str,
    started_key: str,
    offset: Callable[[], int],
    send: Callable[[int], None],
) -> None:
    """Send a file through the rupload service, resuming at the server's ``bytes_transferred`` after an
    interruption: before each retry of this run, and on a rerun whose journal says the transfer had started.
    ``run(step, call, **kwargs)`` is the client's step runner; ``send(start)`` posts the bytes from ``start``."""
    start = {"value": 0}

    def ask_offset() -> None:
        start["value"] = offset()

    if journal.get(started_key):
        run(offset_step, ask_offset)
    journal.save(step.replace(" ", "_"), **{started_key: True})
    run(step, lambda: send(start["value"]), before_retry=ask_offset)
    journal.save("uploaded", uploaded=True)


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

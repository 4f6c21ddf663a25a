"""What every platform client receives for one upload, and small helpers they share."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from storyvid_assets.distribution.errors import AuthExpired, PlatformError
from storyvid_assets.distribution.limits import PostText
from storyvid_assets.distribution.quota import QuotaLedger
from storyvid_assets.distribution.retry import Clock, StepRunner, parse_retry_after
from storyvid_assets.distribution.state import UploadJournal
from storyvid_assets.models import PostOptions, PublishItem


@dataclass
class UploadWork:
    """One video going to one platform account: the bytes, the text, the journal of handles and the tools."""

    item: PublishItem
    options: PostOptions
    text: PostText
    journal: UploadJournal
    steps: StepRunner
    quota: QuotaLedger
    clock: Clock
    log: Callable[[str], None]

    @property
    def path(self) -> Path:
        return Path(self.item.video_path)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def read(self, start: int, end_inclusive: int) -> bytes:
        with self.path.open("rb") as fh:
            fh.seek(start)
            return fh.read(end_inclusive - start + 1)

    def bump(self, key: str) -> int:
        """Increment a counter kept in the handle (e.g. how many creates were attempted) and return it."""
        return int(self.journal.get(key, 0)) + 1


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"data": body}


def http_status_error(
    platform: str, step: str, response: httpx.Response, now_fn: Callable[[], Any], message: str
) -> PlatformError:
    """Generic mapping for an HTTP failure without a platform-specific code: 401 → refresh, 429/5xx → retry."""
    retry_after = parse_retry_after(response.headers.get("retry-after"), now_fn())
    if response.status_code == 401:
        return AuthExpired(platform, step, message, status=401)
    retryable = response.status_code == 429 or response.status_code >= 500
    return PlatformError(
        platform, step, message, retryable=retryable, status=response.status_code, retry_after=retry_after
    )


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle costs tens of milliseconds)."""
    return ssl.create_default_context()


def new_http_client(timeout_s: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, verify=tls_context())

"""The OpenAI-shaped moderation resource against a loopback fake of ``POST /v1/moderations``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from storyvid_assets.channels import ModerationSettings
from storyvid_assets.errors import ProviderError
from storyvid_assets.moderation.policy import build_policy
from storyvid_assets.resources.moderation import LocalModeration, OpenAIModeration

API_KEY = "sk-test-not-a-real-key"
CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]


def score_text(text: str) -> dict[str, float]:
    """The fake model: keyword-driven scores, so tests can steer them."""
    scores = dict.fromkeys(CATEGORIES, 0.001)
    if "gutted" in text:
        scores["violence"], scores["violence/graphic"] = 0.97, 0.91
    if "scary" in text:
        scores["violence"] = 0.6
    return scores


class FakeModerationServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures: list[int] = []  # status codes to answer before succeeding
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    error = {"message": "Incorrect API key provided", "type": "invalid_request_error"}
                    return self._send(401, {"error": error})
                if outer.failures:
                    return self._send(
                        outer.failures.pop(0), {"error": {"message": "Rate limit reached"}}, {"Retry-After": "0"}
                    )
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                results = []
                for text in inputs:
                    scores = score_text(text)
                    cats = {k: v >= 0.5 for k, v in scores.items()}
                    results.append(
                        {
                            "flagged": any(cats.values()),
                            "categories": cats,
                            "category_scores": scores,
                            "category_applied_input_types": {k: ["text"] for k in scores},
                        }
                    )
                self._send(200, {"id": "modr-1", "model": body["model"], "results": results})

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def fake() -> Iterator[FakeModerationServer]:
    server = FakeModerationServer()
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


GENERAL = build_policy(ModerationSettings(), "general")
KIDS = build_policy(ModerationSettings(), "kids")
TEXTS = [
    ("title", None, "The Quiet House"),
    ("scenes[0].narration", 0, "A scary noise came from the attic."),
    ("scenes[1].narration", 1, "He gutted the man, fuck, and mailed bob@example.com"),
]


def test_provider_scores_join_the_local_policy(fake: FakeModerationServer) -> None:
    provider = OpenAIModeration(api_key=API_KEY, base_url=fake.url, batch_size=2)
    findings = provider.moderate(TEXTS, GENERAL)
    assert [(r["path"], r["auth"], len(r["body"]["input"])) for r in fake.requests] == [
        ("/v1/moderations", f"Bearer {API_KEY}", 2),
        ("/v1/moderations", f"Bearer {API_KEY}", 1),
    ]
    assert fake.requests[0]["body"]["model"] == "omni-moderation-latest"
    by_source = {(f.source, f.category, f.term, f.blocking, f.field) for f in findings}
    remote = "openai moderation (omni-moderation-latest)"
    assert (remote, "violence", "violence/graphic", True, "scenes[1].narration") in by_source
    assert (remote, "violence", "violence", False, "scenes[1].narration") in by_source  # thriller peril stays mild
    assert (remote, "violence", "violence", False, "scenes[0].narration") in by_source
    local = {(f.category, f.matched) for f in LocalModeration().moderate(TEXTS, GENERAL)}
    assert local == {("profanity", "fuck"), ("personal_data", "bob@example.com")}
    assert local <= {(f.category, f.matched) for f in findings}


def test_kids_thresholds_are_stricter(fake: FakeModerationServer) -> None:
    provider = OpenAIModeration(api_key=API_KEY, base_url=fake.url)
    scary = [f for f in provider.moderate(TEXTS[1:2], KIDS) if f.source and f.source.startswith("openai")]
    assert [(f.term, f.level, f.blocking) for f in scary] == [("violence", "mild", True)]


def test_rate_limits_are_retried(fake: FakeModerationServer) -> None:
    fake.failures = [429, 503]
    provider = OpenAIModeration(api_key=API_KEY, base_url=fake.url, backoff_s=0.01)
    assert provider.classify(["hello"])[0].flagged is False
    assert len(fake.requests) == 3


def test_errors_are_clear_and_never_show_the_key(fake: FakeModerationServer) -> None:
    with pytest.raises(ProviderError) as bad_key:
        OpenAIModeration(api_key="sk-wrong-key-123", base_url=fake.url).classify(["hello"])
    assert "HTTP 401" in str(bad_key.value) and "API key" in str(bad_key.value)
    assert "sk-wrong-key-123" not in str(bad_key.value) and not bad_key.value.retryable
    fake.failures = [429, 429, 429]
    with pytest.raises(ProviderError) as limited:
        OpenAIModeration(api_key=API_KEY, base_url=fake.url, backoff_s=0.01, max_attempts=3).classify(["x"])
    assert limited.value.retryable and "HTTP 429" in str(limited.value)


def test_unreachable_endpoint_is_retryable() -> None:
    with pytest.raises(ProviderError) as down:
        OpenAIModeration(api_key=API_KEY, base_url="http://127.0.0.1:9/v1", max_attempts=1, timeout_s=2).classify(["x"])
    assert down.value.retryable and "cannot reach" in str(down.value)

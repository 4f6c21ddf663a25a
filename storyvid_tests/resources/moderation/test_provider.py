"""The OpenAI-shaped moderation resource against a loopback fake of ``POST /v1/moderations``."""

from __future__ import annotations

import pytest

from storyvid_assets.channels import ModerationSettings
from storyvid_assets.errors import ProviderError
from storyvid_assets.moderation.policy import build_policy
from storyvid_assets.resources.moderation import LocalModeration, OpenAIModeration
from storyvid_tests.fakes.moderation_fake import API_KEY, FakeModerationServer

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

"""Anthropic story writing through the real SDK against the loopback fake."""

from __future__ import annotations

import pytest

from storyvid_assets.models import MetadataRequest, StoryRequest
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.story.anthropic import AnthropicStoryWriter
from storyvid_tests.fakes.ai_server import MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED, Fault
from storyvid_tests.fakes.anthropic_fake import AnthropicFake


def writer(fake: AnthropicFake, **settings: object) -> AnthropicStoryWriter:
    return AnthropicStoryWriter(api_key=fake.api_key, base_url=fake.origin, **settings)


def test_message_becomes_a_story(anthropic_fake: AnthropicFake, story_request: StoryRequest) -> None:
    answer = writer(anthropic_fake).write_story_metered(story_request, "standard")
    assert answer.result.provider == "anthropic:claude-haiku-4-5"
    assert answer.result.title == "The Owl Who Learned to Sing"
    body = anthropic_fake.calls("/v1/messages")[-1].json()
    assert body["model"] == "claude-haiku-4-5" and body["system"].startswith("Task: story")
    assert body["max_tokens"] == 4000
    reported = anthropic_fake.reported_usage[-1]
    assert answer.usage[-1].units == {
        "input_tokens": reported["input_tokens"],
        "output_tokens": reported["output_tokens"],
    }


def test_metadata(anthropic_fake: AnthropicFake, metadata_request: MetadataRequest) -> None:
    meta = writer(anthropic_fake).write_metadata_metered(metadata_request, "premium").result
    assert {i.platform for i in meta.items} == {"local", "youtube", "tiktok"}


def test_rate_limit_and_overload_are_retried(anthropic_fake: AnthropicFake, story_request: StoryRequest) -> None:
    anthropic_fake.enqueue(RATE_LIMIT, SERVER_ERROR)  # 429 with retry-after, then 529 overloaded
    writer(anthropic_fake).write_story_metered(story_request, "premium")
    calls = anthropic_fake.calls("/v1/messages")
    assert [c.fault.kind for c in calls] == ["rate_limit", "server_error", "ok"]
    assert [c.headers["x-stainless-retry-count"] for c in calls] == ["0", "1", "2"]


def test_500_after_retries_is_retryable(anthropic_fake: AnthropicFake, story_request: StoryRequest) -> None:
    anthropic_fake.fail_always(Fault("server_error", status=500))
    with pytest.raises(MeteredProviderError) as raised:
        writer(anthropic_fake, max_retries=0).write_story_metered(story_request, "premium")
    assert raised.value.retryable and "api_error" in str(raised.value)


def test_spent_credit_and_bad_key_are_final(anthropic_fake: AnthropicFake, story_request: StoryRequest) -> None:
    anthropic_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        writer(anthropic_fake).write_story_metered(story_request, "premium")
    assert not raised.value.retryable and "credit balance" in str(raised.value)
    assert len(anthropic_fake.calls()) == 1  # a 400 is not retried
    anthropic_fake.fail_always(None)
    with pytest.raises(MeteredProviderError) as raised:
        AnthropicStoryWriter(api_key="sk-ant-wrong-99887766", base_url=anthropic_fake.origin).write_story_metered(
            story_request, "premium"
        )
    assert not raised.value.retryable and "authentication_error" in str(raised.value)
    assert "99887766" not in str(raised.value)


def test_malformed_then_truncated_answers_fail_over(anthropic_fake: AnthropicFake, story_request: StoryRequest) -> None:
    anthropic_fake.enqueue(MALFORMED, TRUNCATED)
    with pytest.raises(MeteredProviderError) as raised:
        writer(anthropic_fake, output_retries=1).write_story_metered(story_request, "premium")
    details = [u.detail for u in raised.value.usage]
    assert "not valid JSON" in details[0] or "no JSON" in details[0]
    assert "truncated" in details[1]
    assert all(u.units["output_tokens"] > 0 for u in raised.value.usage)

"""OpenAI (and OpenAI-compatible) story writing through the real SDK against the loopback fake."""

from __future__ import annotations

import pytest

from storyvid_assets.distribution.text import validate_metadata_item
from storyvid_assets.models import MetadataRequest, Story, StoryRequest
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.story.openai import OpenAIStoryWriter, compatible_story_writer, mistral_story_writer
from storyvid_tests.fakes.ai_server import AUTH, MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED
from storyvid_tests.fakes.openai_fake import OpenAIFake


def writer(fake: OpenAIFake, **settings: object) -> OpenAIStoryWriter:
    return OpenAIStoryWriter(api_key=fake.api_key, base_url=fake.base_url, **settings)


def test_chat_completion_becomes_a_validated_story(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    answer = writer(openai_fake).write_story_metered(story_request, "premium")
    story = answer.result
    assert isinstance(story, Story)
    assert story.provider == "openai:gpt-4o" and story.genre == "bedtime"
    assert 300 <= story.word_count <= 500 and 5 <= len(story.scenes) <= 10
    assert [s.index for s in story.scenes] == list(range(len(story.scenes)))
    body = openai_fake.story_request_json()
    assert body["model"] == "gpt-4o"
    assert body["response_format"]["json_schema"]["name"] == "story"
    assert "max_completion_tokens" in body
    reported = openai_fake.reported_usage[-1]
    assert answer.usage[0].units == {
        "input_tokens": reported["input_tokens"],
        "output_tokens": reported["output_tokens"],
    }
    assert answer.usage[0].outcome == "served" and answer.usage[0].tier == "premium"


def test_each_tier_uses_its_model(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    for tier, model in (("standard", "gpt-4o-mini"), ("budget", "gpt-4.1-nano")):
        writer(openai_fake).write_story_metered(story_request, tier)
        assert openai_fake.story_request_json()["model"] == model


def test_responses_api(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    answer = writer(openai_fake, api="responses").write_story_metered(story_request, "premium")
    assert answer.result.title == "The Lantern by the Harbour"
    call = openai_fake.calls("/v1/responses")[-1].json()
    assert call["text"]["format"]["name"] == "story" and "Task: story" in call["instructions"]
    assert answer.usage[0].units["output_tokens"] == openai_fake.reported_usage[-1]["output_tokens"]


def test_429_with_retry_after_is_retried_by_the_sdk(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    openai_fake.enqueue(RATE_LIMIT)
    answer = writer(openai_fake).write_story_metered(story_request, "premium")
    assert answer.result.scenes
    calls = openai_fake.calls("/chat/completions")
    assert [c.fault.kind for c in calls] == ["rate_limit", "ok"]
    assert [c.headers["x-stainless-retry-count"] for c in calls] == ["0", "1"]


def test_5xx_exhausting_the_retries_is_a_retryable_error(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    openai_fake.fail_always(SERVER_ERROR)
    with pytest.raises(MeteredProviderError) as raised:
        writer(openai_fake, max_retries=1).write_story_metered(story_request, "premium")
    assert raised.value.retryable and "HTTP 500" in str(raised.value)
    assert len(openai_fake.calls("/chat/completions")) == 2


def test_insufficient_quota_is_not_retryable(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    openai_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        writer(openai_fake, max_retries=0).write_story_metered(story_request, "premium")
    assert not raised.value.retryable and "insufficient_quota" in str(raised.value)


def test_wrong_key_is_final_and_the_key_is_not_in_the_error(
    openai_fake: OpenAIFake, story_request: StoryRequest
) -> None:
    wrong = "sk-wrong-key-5544332211"
    with pytest.raises(MeteredProviderError) as raised:
        OpenAIStoryWriter(api_key=wrong, base_url=openai_fake.base_url).write_story_metered(story_request, "premium")
    assert not raised.value.retryable and "invalid_api_key" in str(raised.value)
    assert wrong not in str(raised.value) and wrong[-4:] not in str(raised.value)
    assert openai_fake.calls()[-1].fault == AUTH


def test_malformed_answer_is_asked_again_and_billed(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    openai_fake.enqueue(MALFORMED)
    answer = writer(openai_fake).write_story_metered(story_request, "premium")
    assert [u.outcome for u in answer.usage] == ["invalid", "served"]
    assert "not valid JSON" in answer.usage[0].detail
    assert answer.usage[0].units["output_tokens"] == openai_fake.reported_usage[0]["output_tokens"]


def test_truncated_answers_give_up_after_the_retries(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    openai_fake.enqueue(TRUNCATED, TRUNCATED)
    with pytest.raises(MeteredProviderError) as raised:
        writer(openai_fake, output_retries=1).write_story_metered(story_request, "premium")
    assert raised.value.retryable and raised.value.invalid_output
    assert [u.outcome for u in raised.value.usage] == ["invalid", "invalid"]
    assert all("truncated" in u.detail for u in raised.value.usage)


def test_a_story_outside_the_requested_limits_is_invalid(openai_fake: OpenAIFake, story_request: StoryRequest) -> None:
    openai_fake.story_scenes = 3  # fewer scenes than the request's minimum of 5
    with pytest.raises(MeteredProviderError) as raised:
        writer(openai_fake, output_retries=0).write_story_metered(story_request, "premium")
    assert "3 scenes, asked for 5-10" in raised.value.usage[0].detail


def test_platform_metadata(openai_fake: OpenAIFake, metadata_request: MetadataRequest) -> None:
    answer = writer(openai_fake).write_metadata_metered(metadata_request, "standard")
    meta = answer.result
    assert [i.platform for i in meta.items] == ["local", "youtube", "tiktok"]
    for item in meta.items:
        assert item.made_for_kids and metadata_request.content_marker in item.description
        assert item.hashtags[0] == "#bedtimestories" and "#calm" in item.hashtags  # one hashtag rule for all
        assert validate_metadata_item(item, metadata_request.content_marker) == []
    assert openai_fake.story_request_json()["response_format"]["json_schema"]["name"] == "platform_metadata"


def test_mistral_and_ollama_speak_the_openai_compatible_protocol(
    openai_fake: OpenAIFake, story_request: StoryRequest
) -> None:
    mistral = mistral_story_writer(api_key=openai_fake.api_key, base_url=openai_fake.base_url)
    story = mistral.write_story_metered(story_request, "budget").result
    body = openai_fake.story_request_json()
    assert story.provider == "mistral:mistral-small-latest"
    assert body["model"] == "mistral-small-latest" and body["response_format"] == {"type": "json_object"}
    assert "max_tokens" in body and "max_completion_tokens" not in body
    local = compatible_story_writer(openai_fake.base_url, "llama3.1:8b", api_key=openai_fake.api_key)
    assert local.write_story_metered(story_request, "premium").result.provider == "ollama:llama3.1:8b"

"""OpenAI images (base64 PNG) through the real SDK: sizes, tiers, errors and broken images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storyvid_assets.models import ImageStyle
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.images.openai import OpenAIImages
from storyvid_tests.fakes.ai_server import AUTH, MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED
from storyvid_tests.fakes.openai_fake import OpenAIFake

STYLE = ImageStyle(mood="dreamy", genre="bedtime", seed=4)


def painter(fake: OpenAIFake, **settings: object) -> OpenAIImages:
    return OpenAIImages(api_key=fake.api_key, base_url=fake.base_url, **settings)


def test_b64_png_scaled_to_the_size_asked(openai_fake: OpenAIFake) -> None:
    answer = painter(openai_fake).generate_metered("A fox by the harbour", STYLE, 1280, 720, "standard")
    image = Image.open(io.BytesIO(answer.result.png))
    assert image.format == "PNG" and image.size == (1280, 720)
    assert answer.result.provider == "openai:dall-e-3" and answer.result.revised_prompt.endswith("(revised)")
    body = openai_fake.calls("/v1/images/generations")[0].json()
    assert body["model"] == "dall-e-3" and body["response_format"] == "b64_json" and body["size"] == "1024x1024"
    assert "dreamy mood" in body["prompt"] and body["prompt"].startswith("A fox by the harbour")
    assert answer.usage[-1].units == {"images": 1.0}


def test_gpt_image_gets_no_response_format(openai_fake: OpenAIFake) -> None:
    painter(openai_fake).generate_metered("A fox", STYLE, 256, 256, "premium")
    assert "response_format" not in openai_fake.calls("/v1/images/generations")[0].json()


def test_rate_limit_and_server_error_are_retried(openai_fake: OpenAIFake) -> None:
    openai_fake.enqueue(RATE_LIMIT, SERVER_ERROR)
    painter(openai_fake).generate_metered("A fox", STYLE, 256, 256, "budget")
    assert [c.fault.kind for c in openai_fake.calls()] == ["rate_limit", "server_error", "ok"]


def test_quota_and_auth_fail_without_retry(openai_fake: OpenAIFake) -> None:
    openai_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        painter(openai_fake, max_retries=0).generate_metered("A fox", STYLE, 256, 256, "budget")
    assert not raised.value.retryable
    openai_fake.fail_always(None)
    with pytest.raises(MeteredProviderError) as raised:
        OpenAIImages(api_key="sk-nope-12345678", base_url=openai_fake.base_url, max_retries=0).generate_metered(
            "A fox", STYLE, 256, 256, "budget"
        )
    assert not raised.value.retryable and openai_fake.calls()[-1].fault == AUTH


def test_broken_images_are_asked_again_then_fail(openai_fake: OpenAIFake) -> None:
    openai_fake.enqueue(MALFORMED, TRUNCATED)
    with pytest.raises(MeteredProviderError) as raised:
        painter(openai_fake, output_retries=1).generate_metered("A fox", STYLE, 256, 256, "budget")
    assert raised.value.invalid_output and [u.outcome for u in raised.value.usage] == ["invalid", "invalid"]
    assert all("not a readable image" in u.detail for u in raised.value.usage)
    assert all(u.units == {"images": 1.0} for u in raised.value.usage)  # a broken image is still billed

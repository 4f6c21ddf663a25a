"""OpenAI TTS through the real SDK: PCM audio, timings measured by alignment, errors and faults."""

from __future__ import annotations

import numpy as np
import pytest

from storyvid_assets.models import VoiceSettings
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.speech.openai import OpenAISpeech
from storyvid_tests.fakes.ai_content import speak
from storyvid_tests.fakes.ai_server import MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED
from storyvid_tests.fakes.openai_fake import OpenAIFake

SCENE = "The little lantern glowed beside the quiet harbour while the tide hummed softly against the stones."


def narrator(fake: OpenAIFake, **settings: object) -> OpenAISpeech:
    return OpenAISpeech(api_key=fake.api_key, base_url=fake.base_url, **settings)


def test_pcm_speech_with_aligned_word_timings(openai_fake: OpenAIFake) -> None:
    answer = narrator(openai_fake).synthesize_metered([SCENE], VoiceSettings(rate=150), "premium")
    result = answer.result
    body = openai_fake.calls("/v1/audio/speech")[0].json()
    assert body == {
        "model": "tts-1-hd",
        "voice": "nova",
        "input": SCENE,
        "response_format": "pcm",
        "speed": pytest.approx(150 / 165, abs=1e-3),
    }
    assert result.sample_rate == 24_000 and result.provider == "openai:tts-1-hd" and result.voice == "nova"
    truth = speak(SCENE).words  # what the fake said, with espeak-ng's own word times
    words = [w for s in result.sentences for w in s.words]
    assert [w.text for w in words] == [w.text for w in truth]
    errors = np.array([abs(got.start - (t.start + 0.3)) for got, t in zip(words, truth, strict=True)])  # 0.3 s lead
    assert errors.mean() < 0.06 and errors.max() < 0.15
    assert answer.usage[-1].units == {"characters": float(len(SCENE))}


def test_429_then_500_are_retried(openai_fake: OpenAIFake) -> None:
    openai_fake.enqueue(RATE_LIMIT, SERVER_ERROR)
    narrator(openai_fake).synthesize_metered(["Hello there, little star."], VoiceSettings(), "budget")
    assert [c.fault.kind for c in openai_fake.calls("/v1/audio/speech")] == ["rate_limit", "server_error", "ok"]
    assert openai_fake.calls("/v1/audio/speech")[-1].json()["model"] == "tts-1"


def test_quota_is_final(openai_fake: OpenAIFake) -> None:
    openai_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        narrator(openai_fake, max_retries=0).synthesize_metered(["Hello."], VoiceSettings(), "premium")
    assert not raised.value.retryable and "insufficient_quota" in str(raised.value)


def test_audio_that_breaks_off_is_fetched_again(openai_fake: OpenAIFake) -> None:
    openai_fake.enqueue(TRUNCATED)  # Content-Length promises more bytes than arrive, then the connection closes
    result = narrator(openai_fake).synthesize_metered(["Hello there, little star."], VoiceSettings(), "premium").result
    assert len(openai_fake.calls("/v1/audio/speech")) == 2
    assert result.duration > 1.0


def test_an_answer_that_is_not_audio_is_asked_again(openai_fake: OpenAIFake) -> None:
    openai_fake.enqueue(MALFORMED)
    answer = narrator(openai_fake).synthesize_metered(["Hello there, little star."], VoiceSettings(), "premium")
    assert [u.outcome for u in answer.usage] == ["invalid", "served"]
    assert "not 16-bit PCM" in answer.usage[0].detail or "cannot hold" in answer.usage[0].detail

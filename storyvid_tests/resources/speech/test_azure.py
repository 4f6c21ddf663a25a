"""Azure Speech over REST against the loopback fake: SSML, WAV, retries with Retry-After, errors, faults."""

from __future__ import annotations

import time

import pytest

from storyvid_assets.models import VoiceSettings
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.speech.azure import AzureSpeech, ssml
from storyvid_tests.fakes.ai_server import MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED, Fault
from storyvid_tests.fakes.azure_fake import AzureSpeechFake

SCENES = ["Mira counted the boats one by one.", "A silver gull landed on the railing & tilted its head."]


def narrator(fake: AzureSpeechFake, **settings: object) -> AzureSpeech:
    return AzureSpeech(api_key=fake.api_key, endpoint=fake.origin, **settings)


def test_ssml_in_wav_out_with_measured_timings(azure_fake: AzureSpeechFake) -> None:
    result = narrator(azure_fake).synthesize_metered(SCENES, VoiceSettings(rate=198), "premium").result
    request = azure_fake.calls("/cognitiveservices/v1")[1]
    assert request.headers["content-type"] == "application/ssml+xml"
    assert request.headers["x-microsoft-outputformat"] == "riff-24khz-16bit-mono-pcm"
    body = request.body.decode()
    assert 'name="en-US-JennyNeural"' in body and "rate='+20%'" in body and "&amp; tilted" in body
    assert result.sample_rate == 24_000 and result.voice == "en-US-JennyNeural"
    assert [s.scene_index for s in result.sentences] == [0, 1]
    second = result.sentences[1].words
    truth = azure_fake.spoken[SCENES[1]].words
    assert [w.text for w in second] == [w.text for w in truth]
    assert result.scenes[0].end < second[0].start < result.scenes[1].end


def test_voices_are_listed(azure_fake: AzureSpeechFake) -> None:
    assert narrator(azure_fake).voices() == ["en-US-JennyNeural", "en-GB-RyanNeural"]


def test_429_waits_for_retry_after(azure_fake: AzureSpeechFake) -> None:
    azure_fake.enqueue(RATE_LIMIT)
    started = time.monotonic()
    narrator(azure_fake).synthesize_metered(SCENES[:1], VoiceSettings(), "premium")
    assert time.monotonic() - started >= 1.0  # Retry-After: 1
    assert [c.fault.kind for c in azure_fake.calls("/cognitiveservices/v1")] == ["rate_limit", "ok"]


def test_5xx_after_retries_is_retryable(azure_fake: AzureSpeechFake) -> None:
    azure_fake.fail_always(SERVER_ERROR)
    with pytest.raises(MeteredProviderError) as raised:
        narrator(azure_fake, max_retries=1, retry_budget_s=2.0).synthesize_metered(
            SCENES[:1], VoiceSettings(), "premium"
        )
    assert raised.value.retryable and "HTTP 503" in str(raised.value)
    assert len(azure_fake.calls()) == 2


def test_quota_and_auth_are_final(azure_fake: AzureSpeechFake) -> None:
    azure_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        narrator(azure_fake).synthesize_metered(SCENES[:1], VoiceSettings(), "premium")
    assert not raised.value.retryable and "quota_exceeded" in str(raised.value)
    azure_fake.fail_always(Fault("auth"))
    with pytest.raises(MeteredProviderError) as raised:
        narrator(azure_fake).voices()
    assert not raised.value.retryable and "HTTP 401" in str(raised.value)
    assert azure_fake.api_key not in str(raised.value)


def test_foreign_and_truncated_wav_are_asked_again(azure_fake: AzureSpeechFake) -> None:
    azure_fake.enqueue(MALFORMED, TRUNCATED)
    answer = narrator(azure_fake, output_retries=2).synthesize_metered(SCENES[:1], VoiceSettings(), "premium")
    assert [u.outcome for u in answer.usage] == ["invalid", "invalid", "served"]
    assert "not a WAV file" in answer.usage[0].detail and "truncated WAV" in answer.usage[1].detail


def test_ssml_escapes_text() -> None:
    markup = ssml('a < b & "c"', "en-GB-RyanNeural", VoiceSettings(rate=165))
    assert 'a &lt; b &amp; "c"' in markup and 'xml:lang="en-GB"' in markup and "rate='+0%'" in markup

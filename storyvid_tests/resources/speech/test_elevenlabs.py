"""ElevenLabs narration through the real SDK: word timings from the character alignment, errors, faults."""

from __future__ import annotations

import pytest

from storyvid_assets.audio.wav import decode_wav
from storyvid_assets.models import VoiceSettings
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.speech.elevenlabs import ElevenLabsSpeech
from storyvid_tests.fakes.ai_server import AUTH, MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED
from storyvid_tests.fakes.elevenlabs_fake import ElevenLabsFake

SCENES = ["The little lantern glowed beside the quiet harbour.", "Mira counted the boats, one by one. Then she smiled."]


def narrator(fake: ElevenLabsFake, **settings: object) -> ElevenLabsSpeech:
    return ElevenLabsSpeech(api_key=fake.api_key, base_url=fake.origin, **settings)


def test_word_timings_come_from_the_alignment(elevenlabs_fake: ElevenLabsFake) -> None:
    answer = narrator(elevenlabs_fake).synthesize_metered(SCENES, VoiceSettings(rate=180), "premium")
    result = answer.result
    samples, rate = decode_wav(result.wav)
    assert rate == result.sample_rate == 24_000 and abs(len(samples) / rate - result.duration) < 0.01
    assert [s.scene_index for s in result.sentences] == [0, 1, 1]
    words = [w for s in result.sentences for w in s.words]
    assert [w.text for w in words[:3]] == ["The", "little", "lantern"]
    # The second scene's words sit where the fake spoke them, shifted by the lead-in, scene 0 and the pause.
    spoken = elevenlabs_fake.spoken[SCENES[1]].words
    offset = result.scenes[1].start and (result.sentences[1].words[0].start - spoken[0].start)
    assert offset > 0.3 + 0.6
    for got, truth in zip(result.sentences[1].words + result.sentences[2].words, spoken, strict=True):
        assert got.text == truth.text
        assert got.start == pytest.approx(truth.start + offset, abs=0.01)
        assert got.end == pytest.approx(truth.end + offset, abs=0.01)
    body = elevenlabs_fake.calls("with-timestamps")[0].json()
    assert body["model_id"] == "eleven_multilingual_v2" and body["voice_settings"]["speed"] == pytest.approx(
        180 / 165, abs=1e-3
    )
    assert answer.usage[-1].units == {"characters": float(sum(len(s) for s in SCENES))}
    assert sum(u["characters"] for u in elevenlabs_fake.reported_usage) == sum(len(s) for s in SCENES)


def test_voices_are_listed(elevenlabs_fake: ElevenLabsFake) -> None:
    assert narrator(elevenlabs_fake).voices() == ["21m00Tcm4TlvDq8EpbTVJ", "AZnzlk1XvdvUeBnXmlld"]


def test_429_is_retried_after_retry_after(elevenlabs_fake: ElevenLabsFake) -> None:
    elevenlabs_fake.enqueue(RATE_LIMIT)
    narrator(elevenlabs_fake).synthesize_metered(SCENES[:1], VoiceSettings(), "standard")
    assert [c.fault.kind for c in elevenlabs_fake.calls("with-timestamps")] == ["rate_limit", "ok"]


def test_5xx_after_retries_is_retryable(elevenlabs_fake: ElevenLabsFake) -> None:
    elevenlabs_fake.fail_always(SERVER_ERROR)
    with pytest.raises(MeteredProviderError) as raised:
        narrator(elevenlabs_fake, max_retries=0).synthesize_metered(SCENES[:1], VoiceSettings(), "premium")
    assert raised.value.retryable and "internal_error" in str(raised.value)


def test_quota_is_a_401_and_final(elevenlabs_fake: ElevenLabsFake) -> None:
    elevenlabs_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        narrator(elevenlabs_fake).synthesize_metered(SCENES[:1], VoiceSettings(), "premium")
    assert not raised.value.retryable and "HTTP 401 quota_exceeded" in str(raised.value)
    assert len(elevenlabs_fake.calls()) == 1


def test_wrong_key(elevenlabs_fake: ElevenLabsFake) -> None:
    bad = ElevenLabsSpeech(api_key="xi-wrong-000111222", base_url=elevenlabs_fake.origin)
    with pytest.raises(MeteredProviderError) as raised:
        bad.voices()
    assert "invalid_api_key" in str(raised.value) and "000111222" not in str(raised.value)
    assert elevenlabs_fake.calls()[-1].fault == AUTH


def test_bad_alignment_and_truncated_audio_are_asked_again(elevenlabs_fake: ElevenLabsFake) -> None:
    elevenlabs_fake.enqueue(MALFORMED, TRUNCATED)
    answer = narrator(elevenlabs_fake, output_retries=2).synthesize_metered(SCENES[:1], VoiceSettings(), "premium")
    assert [u.outcome for u in answer.usage] == ["invalid", "invalid", "served"]
    assert "does not spell the text" in answer.usage[0].detail
    assert "run past the audio" in answer.usage[1].detail

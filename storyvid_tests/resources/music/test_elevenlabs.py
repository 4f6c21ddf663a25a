"""ElevenLabs Music through the real SDK: the piece, its licence evidence, looping, errors and faults."""

from __future__ import annotations

import numpy as np
import pytest

from storyvid_assets.audio.wav import decode_wav
from storyvid_assets.resources.cloud import MeteredProviderError
from storyvid_assets.resources.music import elevenlabs as music_service
from storyvid_assets.resources.music.elevenlabs import ElevenLabsMusic
from storyvid_tests.fakes.ai_server import MALFORMED, QUOTA, RATE_LIMIT, SERVER_ERROR, TRUNCATED
from storyvid_tests.fakes.music_fake import MusicFake


def composer(fake: MusicFake, **settings: object) -> ElevenLabsMusic:
    return ElevenLabsMusic(api_key=fake.api_key, base_url=fake.origin, **settings)


def test_piece_with_licence_evidence(music_fake: MusicFake) -> None:
    answer = composer(music_fake).compose_metered("dreamy", 14.5, seed=3, tier="premium")
    result = answer.result
    samples, rate = decode_wav(result.wav)
    assert rate == 44_100 and len(samples) / rate >= 14.5 and result.duration >= 14.5
    assert -1.01 <= result.peak_dbfs <= -0.99 and np.max(np.abs(samples)) < 1.0
    licence = result.licence
    assert licence.provider == "elevenlabs-music" and licence.licence_id == music_fake.song_ids[-1]
    assert "music box" in licence.prompt and "no vocals" in licence.prompt and "ElevenLabs" in licence.terms
    body = music_fake.calls("/v1/music/detailed")[0]
    assert body.json()["music_length_ms"] == 14_500 and body.json()["force_instrumental"] is True
    assert body.query["output_format"] == ["pcm_44100"]
    assert answer.usage[-1].units == {"seconds": 14.5} == {"seconds": music_fake.reported_usage[-1]["seconds"]}


def test_narration_longer_than_the_longest_piece_is_looped(
    music_fake: MusicFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(music_service, "MAX_LENGTH_S", 10.0)  # the service's cap is 300 s; keep the test small
    result = composer(music_fake).compose_metered("calm", 25.0, seed=1, tier="premium").result
    samples, rate = decode_wav(result.wav)
    assert result.duration == pytest.approx(25.0, abs=0.01) and len(samples) == 25 * rate
    assert music_fake.calls()[0].json()["music_length_ms"] == 10_000
    assert np.max(np.abs(samples[-100:])) < 0.01  # faded out at the end


def test_retries_and_final_errors(music_fake: MusicFake) -> None:
    music_fake.enqueue(RATE_LIMIT)
    composer(music_fake).compose_metered("calm", 10, seed=1, tier="premium")
    assert [c.fault.kind for c in music_fake.calls()] == ["rate_limit", "ok"]
    music_fake.fail_always(SERVER_ERROR)
    with pytest.raises(MeteredProviderError) as raised:
        composer(music_fake, max_retries=0).compose_metered("calm", 10, seed=1, tier="premium")
    assert raised.value.retryable
    music_fake.fail_always(QUOTA)
    with pytest.raises(MeteredProviderError) as raised:
        composer(music_fake).compose_metered("calm", 10, seed=1, tier="premium")
    assert not raised.value.retryable and "quota_exceeded" in str(raised.value)


def test_unreadable_and_short_answers_are_asked_again(music_fake: MusicFake) -> None:
    music_fake.enqueue(MALFORMED, TRUNCATED)
    answer = composer(music_fake, output_retries=2).compose_metered("tense", 12, seed=1, tier="premium")
    assert [u.outcome for u in answer.usage] == ["invalid", "invalid", "served"]
    assert "unreadable answer" in answer.usage[0].detail and "truncated" in answer.usage[1].detail

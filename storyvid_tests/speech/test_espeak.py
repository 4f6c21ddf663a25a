"""The local espeak-ng provider: real synthesis, timings checked against the audio they came from."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from storyvid_assets.audio.wav import decode_wav
from storyvid_assets.errors import ConfigError
from storyvid_assets.models import SpeechResult, VoiceSettings, count_words
from storyvid_assets.resources.speech import EspeakSpeech
from storyvid_assets.speech import espeak
from storyvid_assets.speech.timing import split_words

SCENES = [
    "The little fox looked up at the sky. The stars were bright and close tonight.",
    "She closed her eyes and listened to the wind. Soon, she was fast asleep.",
]
SILENT_RMS = 0.001  # about -60 dBFS
SPEECH_RMS = 0.02  # about -34 dBFS


def _rms(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    window = samples[round(start * rate) : round(end * rate)]
    return float(np.sqrt(np.mean(window**2))) if window.size else 0.0


@pytest.fixture(scope="module")
def narration() -> SpeechResult:
    return EspeakSpeech().synthesize(SCENES, VoiceSettings())


@pytest.fixture(scope="module")
def audio(narration: SpeechResult) -> np.ndarray:
    samples, rate = decode_wav(narration.wav)
    assert rate == narration.sample_rate == 22050
    assert samples.ndim == 1  # mono
    return samples


def test_audio_is_speech_of_plausible_length(narration: SpeechResult, audio: np.ndarray) -> None:
    assert narration.provider == "espeak-ng" and narration.voice == "en-us"
    assert abs(len(audio) / narration.sample_rate - narration.duration) < 0.002
    assert float(np.max(np.abs(audio))) > 0.3
    assert _rms(audio, narration.sample_rate, 0, narration.duration) > SPEECH_RMS / 2
    words = sum(count_words(s) for s in SCENES)
    nominal = words * 60 / 165
    spoken = narration.duration - 2 * 0.3 - 0.6
    assert 0.6 * nominal < spoken < 1.6 * nominal


def test_every_word_is_timed_in_order_inside_the_audio(narration: SpeechResult) -> None:
    words = [w for s in narration.sentences for w in s.words]
    expected = [w.text for scene in SCENES for w in split_words(scene)]
    assert [w.text for w in words] == expected
    assert len(words) == sum(count_words(s) for s in SCENES)
    for before, after in itertools.pairwise(words):
        assert before.start < before.end <= after.start
    assert words[0].start >= 0.3 - 0.001  # the lead-in
    assert words[-1].end <= narration.duration
    assert [s.scene_index for s in narration.sentences] == [0, 0, 1, 1]
    assert [s.text for s in narration.sentences][:2] == ["The little fox looked up at the sky.", SCENES[0][37:]]


def test_word_windows_hold_speech_and_measured_pauses_are_silent(narration: SpeechResult, audio: np.ndarray) -> None:
    rate = narration.sample_rate
    for word in (w for s in narration.sentences for w in s.words):
        assert _rms(audio, rate, word.start, word.end) > SPEECH_RMS, word
        assert _rms(audio, rate, word.end - 0.005, word.end) > SILENT_RMS, f"{word} ends in silence"
    # Pauses the synthesizer put between sentences and scenes fall outside every word: measured, not estimated.
    for before, after in zip(narration.sentences, narration.sentences[1:], strict=False):
        assert after.start - before.end > 0.1
        assert _rms(audio, rate, before.end + 0.01, after.start - 0.01) < SILENT_RMS
    scene_gap = narration.sentences[2].start - narration.sentences[1].end
    assert scene_gap >= 0.6


def test_scene_spans_tile_the_audio_and_change_in_silence(narration: SpeechResult, audio: np.ndarray) -> None:
    spans = narration.scenes
    assert [s.scene_index for s in spans] == [0, 1]
    assert spans[0].start == 0.0 and spans[-1].end == narration.duration
    assert spans[0].end == spans[1].start
    for sentence in narration.sentences:
        span = spans[sentence.scene_index]
        assert span.start <= sentence.start and sentence.end <= span.end
    cut = spans[0].end
    assert _rms(audio, narration.sample_rate, cut - 0.1, cut + 0.1) < SILENT_RMS


def test_faster_rate_gives_shorter_audio() -> None:
    provider = EspeakSpeech(scene_pause_s=0.0, lead_s=0.0)
    slow = provider.synthesize(SCENES, VoiceSettings(rate=120))
    fast = provider.synthesize(SCENES, VoiceSettings(rate=300))
    assert fast.duration < 0.65 * slow.duration
    assert slow.scenes[-1].end == slow.duration


def test_character_positions_map_non_ascii_text_to_words() -> None:
    # espeak-ng reports character (not byte) positions: every word event lands on a word's first letter.
    text = "Élodie’s café served crème brûlée. Naïve Zoë smiled at the moon."
    raw = espeak.synthesize_text(text, VoiceSettings())
    word_heads = {
        w.start + next(i for i, ch in enumerate(text[w.start : w.end]) if ch.isalnum()) for w in split_words(text)
    }
    assert raw.word_marks and {m.position for m in raw.word_marks} <= word_heads
    assert raw.finished

    narrated = espeak.narrate([text], VoiceSettings())
    words = [w for s in narrated.result.sentences for w in s.words]
    assert [w.text for w in words][:5] == ["Élodie’s", "café", "served", "crème", "brûlée"]
    assert narrated.interpolated_words == 0
    samples, rate = decode_wav(narrated.result.wav)
    naive = words[5]
    assert naive.text == "Naïve"
    assert _rms(samples, rate, naive.start - 0.1, naive.start - 0.005) < SILENT_RMS  # the sentence pause
    assert _rms(samples, rate, naive.start, naive.end) > SPEECH_RMS


def test_unknown_voice_names_the_field_and_how_to_list_voices() -> None:
    provider = EspeakSpeech()
    with pytest.raises(ConfigError) as excinfo:
        provider.synthesize(SCENES, VoiceSettings(voice="klingon-x"))
    assert excinfo.value.field == "narrator.voice"
    assert "voices()" in str(excinfo.value) and "en-us" in str(excinfo.value)
    with pytest.raises(ConfigError, match="en-us\\+nosuchvariant"):
        provider.synthesize(SCENES, VoiceSettings(voice="en-us+nosuchvariant"))


def test_voices_and_variants_are_usable() -> None:
    provider = EspeakSpeech()
    voices = provider.voices()
    assert {"en-us", "en-gb"} <= set(voices) and voices == sorted(voices)
    assert "f3" in provider.variants()
    british = provider.synthesize(["Good evening."], VoiceSettings(voice="en-gb+f3"))
    assert british.voice == "en-gb+f3" and british.duration > 0.8


def test_scene_without_words_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"scenes\[1\]"):
        EspeakSpeech().synthesize(["Hello there.", " ... "], VoiceSettings())


def test_concurrent_calls_are_serialised() -> None:
    texts = [["One small step."], ["A rather longer sentence about rivers and hills."]]
    alone = [EspeakSpeech().synthesize(t, VoiceSettings()).duration for t in texts]
    results: dict[int, SpeechResult] = {}

    def run(i: int) -> None:
        results[i] = EspeakSpeech().synthesize(texts[i], VoiceSettings())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, expected in enumerate(alone):
        assert abs(results[i].duration - expected) < 0.05
        assert [w.text for s in results[i].sentences for w in s.words] == [w.text for w in split_words(texts[i][0])]

"""Caption sync measured from audio: onsets of known signals, order-keeping matching, and the acceptance on
5-minute narrations (espeak-ng timings, and the cloud path's alignment against a voice whose truth is known)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyvid_assets.audio.wav import decode_wav
from storyvid_assets.models import SentenceTiming, VoiceSettings
from storyvid_assets.resources.speech import EspeakSpeech
from storyvid_assets.speech.alignment import align_scene
from storyvid_assets.speech.espeak import synthesize_text
from storyvid_assets.speech.sync import (
    SyncReport,
    match_onsets,
    measure_sync,
    measure_sync_in_mix,
    utterance_onsets,
    utterance_starts,
)
from storyvid_assets.speech.timing import assemble_scenes, speakable_text, time_scene

RATE = 22050  # espeak-ng's rate: a 5 ms frame is 110.25 samples, so frame times must be counted in samples
SCRIPT = Path(__file__).parents[2] / "stories" / "bedtime" / "2026-01-01.md"  # quotes, commas, dialogue
NARRATOR = VoiceSettings(voice="en-us", rate=140, pitch=55)
CLOUD_VOICE = VoiceSettings(voice="en-gb", rate=130, pitch=30)  # not the aligner's reference voice (en-us, 165)


def _bursts(starts: list[float], duration: float, rate: int = RATE, length: float = 0.3) -> np.ndarray:
    """Voiced-like bursts (a few harmonics) at ``starts``, silence elsewhere."""
    out = np.zeros(round(duration * rate))
    t = np.arange(round(length * rate)) / rate
    tone = sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 5)) * np.minimum(1.0, t / 0.01)
    for start in starts:
        a = round(start * rate)
        out[a : a + len(t)] += 0.3 * tone[: len(out) - a]
    return out


def _words(sentences: list[SentenceTiming]) -> list[tuple[float, float]]:
    return [(w.start, w.end) for s in sentences for w in s.words]


def _script_scenes(repeat: int) -> list[str]:
    text = SCRIPT.read_text(encoding="utf-8").split("\n", 1)[1]
    return [p.strip() for p in text.split("\n\n") if p.strip()] * repeat


def _assert_in_sync(report: SyncReport, minimum_onsets: int) -> None:
    assert report.matched >= minimum_onsets, report.summary()
    assert report.share_within(0.1) >= 0.95, report.summary()
    assert abs(report.worst) <= 0.25, report.summary()
    assert all(abs(third) <= 0.05 for third in report.thirds()), report.summary()


def test_onsets_keep_time_to_the_end_of_five_minutes_at_22050_hz() -> None:
    truth = [0.5 + 2.37 * k for k in range(127)]  # up to 299 s
    onsets = utterance_onsets(_bursts(truth, 300.0), RATE)
    assert len(onsets) == len(truth)
    assert np.max(np.abs(np.array(onsets) - truth)) <= 0.006  # one frame; a 5 ms clock would be 0.68 s off here


def test_clicks_and_short_gaps_are_not_onsets() -> None:
    samples = _bursts([1.0, 1.4, 3.0], 4.0)  # 1.4: only 0.1 s after the first burst ends
    samples[round(2.0 * RATE) : round(2.0 * RATE) + 50] = 0.5  # a 2 ms click in the pause
    assert utterance_onsets(samples, RATE) == pytest.approx([1.0, 3.0], abs=0.006)


def test_utterance_starts_are_spans_after_a_gap() -> None:
    spans = [(0.5, 0.8), (0.8, 1.1), (1.15, 1.4), (1.6, 2.0), (1.9, 2.5), (2.55, 3.0)]
    assert utterance_starts(spans, min_gap=0.1) == [0.5, 1.6]


def test_matching_keeps_order_under_a_uniform_shift() -> None:
    onsets = [1.0, 1.5, 3.0, 3.45, 6.0]
    shifted = [t - 0.4 for t in onsets]  # nearest-first pairing would pair 1.5 with 1.1 (the next start)
    report = match_onsets(onsets, shifted)
    assert report.offsets == pytest.approx([-0.4] * 5)
    assert report.unmatched_onsets == 0


def test_onsets_without_a_caption_are_left_unmatched() -> None:
    report = match_onsets([1.0, 2.0, 9.0], [1.02, 2.03])
    assert report.offsets == pytest.approx([0.02, 0.03]) and report.unmatched_onsets == 1


@pytest.fixture(scope="module")
def narration() -> tuple[np.ndarray, list[tuple[float, float]], float]:
    spoken = EspeakSpeech().synthesize(_script_scenes(3), NARRATOR)
    samples, rate = decode_wav(spoken.wav)
    assert rate == RATE
    return samples, _words(spoken.sentences), spoken.duration


def test_five_minute_espeak_narration_is_in_sync(
    narration: tuple[np.ndarray, list[tuple[float, float]], float],
) -> None:
    samples, spans, duration = narration
    assert duration >= 300
    _assert_in_sync(measure_sync(samples, RATE, spans), minimum_onsets=100)


def test_planted_drift_is_measured(narration: tuple[np.ndarray, list[tuple[float, float]], float]) -> None:
    samples, spans, duration = narration
    factor = 1 - 0.4 / duration  # captions lead by 0.4 s at the end, growing from nothing (the symptom)
    report = measure_sync(samples, RATE, [(a * factor, b * factor) for a, b in spans])
    first, middle, last = report.thirds()
    assert first > -0.15 and -0.3 < middle < -0.1 and last < -0.25
    assert report.worst < -0.35 and report.share_within(0.1) < 0.5


def test_voice_is_found_under_music_and_a_delay_is_measured(
    narration: tuple[np.ndarray, list[tuple[float, float]], float],
) -> None:
    samples, spans, _ = narration
    voice = samples[: 40 * RATE]
    t = np.arange(len(voice) + RATE) / RATE
    music = 0.08 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) * (0.6 + 0.4 * np.sin(t * 7))
    mix = music.copy()
    delay = round(0.4 * RATE)
    mix[delay : delay + len(voice)] += voice
    early = [(a, b) for a, b in spans if b <= 40]
    clean = measure_sync(voice, RATE, early)
    report = measure_sync_in_mix(mix, voice, RATE, early)
    assert report.matched == clean.matched >= 10
    assert report.offsets == pytest.approx([offset - 0.4 for offset in clean.offsets], abs=0.001)
    assert measure_sync(mix, RATE, early).share_within(0.1) < 0.5  # energy alone is fooled by the music


def test_cloud_alignment_of_a_five_minute_narration_is_in_sync() -> None:
    truth, aligned = [], []
    for index, text in enumerate(_script_scenes(3)):
        raw = synthesize_text(speakable_text(text), CLOUD_VOICE)  # the "cloud" audio, espeak-ng's timings the truth
        truth.append(time_scene(text, raw.samples, raw.sample_rate, raw.word_marks, raw.phoneme_marks, index))
        aligned.append(align_scene(text, raw.samples, raw.sample_rate, index))
    track, true_sentences, _ = assemble_scenes(truth, RATE, 0.6, 0.3)
    _, aligned_sentences, _ = assemble_scenes(aligned, RATE, 0.6, 0.3)
    assert len(track) / RATE >= 300
    _assert_in_sync(measure_sync(track, RATE, _words(aligned_sentences)), minimum_onsets=100)
    errors = np.abs([a[0] - t[0] for a, t in zip(_words(aligned_sentences), _words(true_sentences), strict=True)])
    assert np.mean(errors <= 0.1) >= 0.95 and np.max(errors) <= 0.25  # every word, not only those after a pause

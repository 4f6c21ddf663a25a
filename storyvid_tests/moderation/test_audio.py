"""Narration and music checks on synthesized WAV audio."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from storyvid_assets.audio.wav import encode_wav
from storyvid_assets.distribution.licence import evidence_problems
from storyvid_assets.models import LicenceEvidence
from storyvid_assets.moderation.audio import (
    analyse_wav,
    clipping_findings,
    music_findings,
    music_licence_findings,
    narration_duration_findings,
    silence_findings,
)

RATE = 16_000


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Syllable-like bursts (200 ms tone, 60 ms pause), peak about -6 dBFS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = ((t % 0.26) < 0.2).astype(float)
    return 0.5 * envelope * np.sin(2 * np.pi * rng.uniform(120, 220) * t)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE))


def test_clean_narration_passes() -> None:
    analysis = analyse_wav(encode_wav(np.concatenate([speechlike(10), silence(1.0), speechlike(10, 1)]), RATE))
    assert silence_findings(analysis) == [] and clipping_findings(analysis, "narration") == []
    assert (
        narration_duration_findings(
            analysis, analysis.duration, story_words=57, timed_words=57, words_per_minute=165, last_word_end=20.5
        )
        == []
    )


def test_silence_gap_is_reported_with_timestamps() -> None:
    audio = np.concatenate([speechlike(5), silence(4.0), speechlike(5, 1)])
    findings = silence_findings(analyse_wav(encode_wav(audio, RATE)))
    assert len(findings) == 1
    gap = findings[0]
    assert gap.category == "narration_silence" and gap.blocking
    assert abs(gap.time_s - 5.0) < 0.1 and abs(gap.end_time_s - 9.0) < 0.1
    assert gap.where.startswith("narration 5.0") and "2.5 s" in gap.why


def test_leading_silence_and_all_silent() -> None:
    leading = silence_findings(analyse_wav(encode_wav(np.concatenate([silence(3), speechlike(5)]), RATE)))
    assert [f.what for f in leading] == ["3.00 s of silence before the first word"]
    empty = silence_findings(analyse_wav(encode_wav(silence(5), RATE)))
    assert [f.what for f in empty] == ["the narration is silent from start to end"]


def test_clipping_is_found() -> None:
    audio = speechlike(4)
    audio[RATE * 2 : RATE * 2 + 400] = np.sign(np.sin(np.arange(400) / 3.0))  # square wave at full scale
    findings = clipping_findings(analyse_wav(encode_wav(audio, RATE)), "narration")
    assert len(findings) == 1 and findings[0].category == "narration_clipping"
    assert abs(findings[0].time_s - 2.0) < 0.01


def test_duration_must_match_text_and_manifest() -> None:
    analysis = analyse_wav(encode_wav(speechlike(6), RATE))
    findings = narration_duration_findings(
        analysis, declared_duration=9.0, story_words=400, timed_words=200, words_per_minute=165, last_word_end=8.0
    )
    whats = [f.what for f in findings]
    assert any("manifest says 9.00 s" in w for w in whats)
    assert any("after the audio ends" in w for w in whats)
    assert any("400 words" in w and "expected at 165 words per minute" in w for w in whats)
    assert any("200 timed words for a 400-word story" in w for w in whats)


def test_music_length_level_and_clipping() -> None:
    music = 0.3 * np.sin(2 * np.pi * 220 * np.arange(10 * RATE) / RATE)
    analysis = analyse_wav(encode_wav(music, RATE))
    assert music_findings(analysis, 10.0, analysis.peak_dbfs, narration_duration=9.0) == []
    short = music_findings(analysis, 10.0, analysis.peak_dbfs, narration_duration=12.0)
    assert [f.category for f in short] == ["music_length"]
    wrong_peak = music_findings(analysis, 10.0, -1.0, narration_duration=9.0)
    assert [f.category for f in wrong_peak] == ["music_level"]
    loud = analyse_wav(encode_wav(np.clip(music * 5, -1, 1), RATE))
    assert "music_clipping" in [f.category for f in music_findings(loud, 10.0, loud.peak_dbfs, 9.0)]


def test_licence_problems_become_blocking_music_findings() -> None:
    """The rule itself is ``distribution.licence`` (tested there); the check reports its problems as findings."""
    now = datetime(2026, 11, 26, tzinfo=UTC)
    good = LicenceEvidence(
        provider="synth",
        licence_id="CC0-1.0",
        terms="public domain",
        prompt="calm pads",
        created_at=now - timedelta(minutes=1),
    )
    assert music_licence_findings(evidence_problems(good, "music", now)) == []
    bad = good.model_copy(update={"licence_id": " ", "prompt": "", "created_at": now + timedelta(days=1)})
    found = music_licence_findings(evidence_problems(bad, "music", now))
    assert sorted(f.field for f in found) == ["licence.created_at", "licence.licence_id", "licence.prompt"]
    assert all(f.category == "music_licence" and f.blocking and f.level == "severe" for f in found)
    assert [f.what for f in music_licence_findings(evidence_problems(None, "music", now))] == ["no licence evidence"]

"""Caption cues from timings, SRT/WebVTT writing and parsing, on synthetic and real narration."""

from __future__ import annotations

import itertools

import pytest

from storyvid_assets.models import SentenceTiming, SpeechResult, VoiceSettings, WordTiming
from storyvid_assets.resources.speech import EspeakSpeech
from storyvid_assets.speech.captions import (
    Cue,
    build_cues,
    display_words,
    parse_srt,
    parse_vtt,
    to_srt,
    to_vtt,
    wrap_lines,
)

STORY = [
    "Once upon a time, in a quiet village at the edge of a great pine forest, there lived a small fox named "
    "Pip, who loved to count the stars every night before bed. Dr. Owl, the wise old bird who lived in the "
    "tallest tree, often joined him — and together they named each constellation.",
    "One evening the stars did not appear. Pip looked up, puzzled... where had they gone?",
    "Yes.",
]


def _sentence(text: str, start: float, step: float, scene: int = 0, words: list[str] | None = None) -> SentenceTiming:
    names = words if words is not None else [w.strip(".,!?") for w in text.split()]
    timings = [WordTiming(text=w, start=start + i * step, end=start + (i + 0.8) * step) for i, w in enumerate(names)]
    return SentenceTiming(text=text, start=timings[0].start, end=timings[-1].end, scene_index=scene, words=timings)


@pytest.fixture(scope="module")
def narration() -> SpeechResult:
    return EspeakSpeech().synthesize(STORY, VoiceSettings())


def _check_layout(cues: list[Cue], max_chars: int = 42, max_lines: int = 2) -> None:
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))
    for cue in cues:
        assert 1 <= len(cue.lines) <= max_lines, cue
        assert all(0 < len(line) <= max_chars for line in cue.lines), cue
    for before, after in itertools.pairwise(cues):
        assert before.end <= after.start, (before, after)


def test_real_narration_cues_fit_and_follow_the_speech(narration: SpeechResult) -> None:
    cues = build_cues(narration.sentences, end_limit=narration.duration)
    _check_layout(cues)
    spoken = " ".join(s.text for s in narration.sentences)
    assert " ".join(c.text.replace("\n", " ") for c in cues) == spoken  # every word shown, in order
    words = [w for s in narration.sentences for w in s.words]
    assert cues[0].start == pytest.approx(words[0].start, abs=0.001)
    assert abs(narration.duration - cues[-1].end) <= 0.5
    assert cues[-1].end <= narration.duration
    assert all(c.end - c.start >= 0.5 for c in cues)
    assert cues[-1].text == "Yes." and cues[-1].end - cues[-1].start < 1.0  # the minimum stops at the audio's end
    assert build_cues(narration.sentences)[-1].end - cues[-1].start == pytest.approx(1.0)  # without end_limit
    for cue in cues:  # each cue's words are spoken while it is up
        inside = [w for w in words if cue.start - 0.001 <= w.start < cue.end]
        assert inside, cue


def test_srt_and_vtt_round_trip(narration: SpeechResult) -> None:
    cues = build_cues(narration.sentences)
    srt = to_srt(cues)
    vtt = to_vtt(cues)
    assert srt.startswith("1\n00:00:00,")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.")
    assert " --> " in srt.splitlines()[1] and "," in srt.splitlines()[1]
    assert parse_srt(srt) == cues
    assert parse_vtt(vtt) == cues
    assert parse_srt(srt.replace("\n", "\r\n")) == cues  # Windows line endings


def test_timestamps_are_formatted_to_the_millisecond() -> None:
    cues = [Cue(index=1, start=3723.0456, end=3725.5, text="Late line")]
    assert to_srt(cues) == "1\n01:02:03,046 --> 01:02:05,500\nLate line\n"
    assert to_vtt(cues) == "WEBVTT\n\n1\n01:02:03.046 --> 01:02:05.500\nLate line\n"


def test_long_sentence_splits_into_balanced_cues_at_punctuation() -> None:
    text = (
        "The river ran silver under the moon, and the reeds whispered old songs, "
        "while the little boat drifted slowly home."
    )
    cues = build_cues([_sentence(text, 1.0, 0.3)])
    _check_layout(cues)
    assert len(cues) == 2
    assert cues[0].text.replace("\n", " ").endswith(",")  # broke after a comma, not mid-phrase
    assert cues[0].end == cues[1].start  # held through the pause inside the sentence
    assert cues[0].start == 1.0 and cues[-1].end == pytest.approx(1.0 + 19.8 * 0.3, abs=0.001)


def test_short_cues_get_minimum_duration_without_overlapping() -> None:
    sentences = [_sentence("Hi.", 1.0, 0.2), _sentence("Go!", 1.5, 0.2), _sentence("Later on.", 4.0, 0.2)]
    cues = build_cues(sentences, min_duration=1.0)
    _check_layout(cues)
    assert (cues[0].start, cues[0].end) == (1.0, 1.5)  # capped by the next cue
    assert (cues[1].start, cues[1].end) == (1.5, 2.5)  # stretched to the minimum
    assert cues[2].end == pytest.approx(5.0)


def test_provider_words_without_punctuation_or_split_differently_still_align() -> None:
    text = "A well-known tale: it's 5.30 now."
    words = ["A", "well", "known", "tale", "it's", "5", "30", "now"]
    cues = build_cues([_sentence(text, 0.0, 0.5, words=words)], max_chars_per_line=12)
    _check_layout(cues, max_chars=12)
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text
    # "it's" opens cue 2 at the fifth word's measured start (4 x 0.5 s), not at a share of the sentence.
    assert [(c.text.split()[0], c.start, c.end) for c in cues] == [("A", 0.0, 2.0), ("it's", 2.0, 3.9)]


def test_mismatched_words_fall_back_to_the_sentence_span() -> None:
    sentence = _sentence("It cost $20.", 2.0, 0.4, words=["It", "cost", "twenty", "dollars"])
    cues = build_cues([sentence])
    assert [(c.start, c.end, c.text) for c in cues] == [(2.0, pytest.approx(3.52), "It cost $20.")]


def test_overlong_word_is_hard_wrapped() -> None:
    word = "Supercalifragilisticexpialidocious" * 2
    cues = build_cues([_sentence(f"Say {word}.", 0.0, 1.0, words=["Say", word])])
    _check_layout(cues)
    assert "".join(c.text.replace("\n", "").replace(" ", "") for c in cues) == f"Say{word}."


def test_wrap_lines_balances_two_lines() -> None:
    chunks = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
    lines = wrap_lines(chunks, 42, 2)
    assert lines is not None and len(lines) == 2
    assert abs(len(lines[0]) - len(lines[1])) <= 6
    assert wrap_lines(chunks * 3, 42, 2) is None


def test_parse_srt_rejects_malformed_blocks() -> None:
    with pytest.raises(ValueError, match="SRT block 2: bad timing line"):
        parse_srt("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03.000 --> 00:00:04,000\nbad\n")
    with pytest.raises(ValueError, match="SRT block 1"):
        parse_srt("00:00:01,000 --> 00:00:02,000\nno index\n")
    with pytest.raises(ValueError, match=r"end .* must be after start"):
        parse_srt("1\n00:00:02,000 --> 00:00:01,000\nbackwards\n")
    with pytest.raises(ValueError, match="WEBVTT"):
        parse_vtt("1\n00:00:01.000 --> 00:00:02.000\nno header\n")


def test_parse_vtt_skips_notes_and_reads_short_timestamps() -> None:
    text = "WEBVTT\n\nNOTE made by hand\n\n00:01.500 --> 00:02.000 align:start\nHello\nthere\n"
    assert parse_vtt(text) == [Cue(index=1, start=1.5, end=2.0, text="Hello\nthere")]


DIALOGUE = ['"Hmm," she said at last.', "\u201cI\u2019m so tired,\u201d it said in a small voice."]


def test_cues_keep_the_storys_punctuation_and_quotation_marks() -> None:
    spoken = EspeakSpeech().synthesize([" ".join(DIALOGUE)], VoiceSettings())
    cues = build_cues(spoken.sentences, end_limit=spoken.duration)
    shown = " ".join(c.text.replace("\n", " ") for c in cues)
    assert shown == " ".join(DIALOGUE)
    for text in (to_srt(cues), to_vtt(cues)):
        assert '"Hmm," she said at last.' in text and "\u201cI\u2019m so tired,\u201d it said" in text


def test_display_words_carry_punctuation_one_per_timed_word() -> None:
    assert display_words(_sentence('"Hmm," she said at last.', 0.0, 0.3)) == ['"Hmm,"', "she", "said", "at", "last."]
    dashed = _sentence(
        "The fox\u2014quick as a wink\u2014ran.", 0.0, 0.3, words=["The", "fox", "quick", "as", "a", "wink", "ran"]
    )
    assert display_words(dashed) == ["The", "fox\u2014", "quick", "as", "a", "wink\u2014", "ran."]
    spaced = _sentence("Wait ... what?", 0.0, 0.3, words=["Wait", "what"])
    assert display_words(spaced) == ["Wait ...", "what?"]
    mismatched = _sentence("It cost $20.", 0.0, 0.4, words=["It", "cost", "twenty", "dollars"])
    assert display_words(mismatched) == ["It", "cost", "twenty", "dollars"]

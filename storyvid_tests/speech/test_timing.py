"""Pure timing functions: words, sentences, event-to-word mapping, silence trimming, scene assembly."""

from __future__ import annotations

import numpy as np
import pytest

from storyvid_assets.models import SentenceTiming, WordTiming
from storyvid_assets.speech.timing import (
    Mark,
    TimedScene,
    assemble_scenes,
    speakable_text,
    split_sentences,
    split_words,
    trimmed_end,
    word_starts,
)

RATE = 1000  # one sample per millisecond keeps the arithmetic readable


def test_split_words_strips_punctuation_and_keeps_spans() -> None:
    text = "“Wait — it's 5.30,” said Élodie… (well-known)"
    words = split_words(text)
    assert [w.text for w in words] == ["Wait", "it's", "5.30", "said", "Élodie", "well-known"]
    assert text[words[0].start : words[0].end] == "“Wait —"  # the dash joins the word before it
    assert text[words[-1].start : words[-1].end] == "(well-known)"


def test_split_sentences_respects_titles_initials_and_ellipses() -> None:
    text = "Dr. Smith met J. R. Jones at 5 p.m. in town. Wait... what? Yes!\n\nNew paragraph here"
    words = split_words(text)
    sentences = [" ".join(words[i].text for i in group) for group in split_sentences(text, words)]
    assert sentences == [
        "Dr Smith met J R Jones at 5 p.m in town",
        "Wait what",
        "Yes",
        "New paragraph here",
    ]


def test_speakable_text_keeps_length_and_drops_title_dots() -> None:
    text = "Mrs. Brown and Dr. Owl. The end."
    spoken = speakable_text(text)
    assert len(spoken) == len(text)
    assert spoken == "Mrs  Brown and Dr  Owl. The end."


def test_word_starts_follow_phoneme_onsets_and_split_merged_runs_at_phonemes() -> None:
    # "sat on the mat": the engine reports "on the" as one word; its phonemes are O n D @.
    text = "sat on the mat"
    words = split_words(text)
    word_marks = [Mark(0, 0.0), Mark(4, 0.30), Mark(11, 0.52)]
    phonemes = [
        Mark(0, 0.01, "s"), Mark(0, 0.08, "a"), Mark(0, 0.25, "t"),
        Mark(4, 0.30, "O2"), Mark(4, 0.36, "n"), Mark(4, 0.42, "D"), Mark(4, 0.47, "@2"),
        Mark(11, 0.53, "m"), Mark(11, 0.60, "a"), Mark(11, 0.70, "t"), Mark(13, 0.80, "_:"),
    ]  # fmt: skip
    found = word_starts(words, word_marks, phonemes, speech_end=1.0)
    assert found.starts == [0.01, 0.30, 0.42, 0.53]  # "the" starts at its first phoneme, D
    assert (found.shared, found.interpolated) == (1, 0)


def test_word_starts_prefer_first_phoneme_over_early_word_event() -> None:
    # espeak-ng's word event for a vowel-initial word can sit on the previous word's last phoneme.
    text = "warm evening"
    words = split_words(text)
    word_marks = [Mark(0, 0.0), Mark(5, 0.23)]
    phonemes = [Mark(0, 0.01, "w"), Mark(0, 0.10, "O@"), Mark(0, 0.23, "m"), Mark(5, 0.30, "i:"), Mark(5, 0.4, "v")]
    assert word_starts(words, word_marks, phonemes, speech_end=0.8).starts == [0.01, 0.30]


def test_word_starts_without_phonemes_interpolate_and_say_so() -> None:
    words = split_words("on the mat")
    found = word_starts(words, [Mark(0, 0.0), Mark(7, 0.5)], [], speech_end=1.0)
    assert found.starts[0] == 0.0 and found.starts[2] == 0.5
    assert 0.0 < found.starts[1] < 0.5
    assert found.interpolated == 1


def test_trimmed_end_stops_at_last_loud_frame() -> None:
    samples = np.zeros(1000, dtype=np.int16)
    samples[100:400] = 8000  # sound from 0.100 s to 0.400 s, then digital silence
    end = trimmed_end(samples, RATE, 0.1, 0.9)
    assert 0.4 <= end <= 0.405
    assert trimmed_end(np.zeros(1000, dtype=np.int16), RATE, 0.1, 0.9) == 0.9  # nothing loud: leave it


def _scene(index: int, length: int, first: float, last: float) -> TimedScene:
    words = [WordTiming(text="hi", start=first, end=last)]
    return TimedScene(
        samples=np.ones(length, dtype=np.int16),
        sentences=[SentenceTiming(text="Hi.", start=first, end=last, scene_index=index, words=words)],
    )


def test_assemble_scenes_offsets_times_and_tiles_spans() -> None:
    track, sentences, spans = assemble_scenes(
        [_scene(0, 500, 0.05, 0.45), _scene(1, 300, 0.0, 0.25)], RATE, scene_pause=0.6, lead=0.3
    )
    assert len(track) == 300 + 500 + 600 + 300 + 300
    assert [(s.start, s.end) for s in sentences] == [(0.35, 0.75), (1.4, 1.65)]
    assert [(s.scene_index, s.start, s.end) for s in spans] == [(0, 0.0, 1.075), (1, 1.075, 2.0)]
    with pytest.raises(ValueError, match="scenes"):
        assemble_scenes([], RATE, 0.6, 0.3)


def test_words_before_the_first_event_share_the_time_before_it() -> None:
    words = split_words("oh so the fox")
    phonemes = [Mark(6, 0.40, "D"), Mark(6, 0.45, "@"), Mark(10, 0.60, "f")]
    found = word_starts(words, [], phonemes, speech_end=1.0)
    assert found.starts == [0.0, 0.2, 0.40, 0.60]
    assert (found.shared, found.interpolated) == (0, 2)

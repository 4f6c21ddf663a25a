"""Word and sentence timings from a synthesizer's events and audio.

Pure functions, no engine calls: the engine hands over where each word and phoneme starts in its own
audio (character position in the text, seconds), and these functions turn that into ``WordTiming`` /
``SentenceTiming`` values and stitch scenes into one narration track. Nothing here guesses a time from
the length of the text: starts come from the engine's events, ends from the next start trimmed of the
trailing silence measured in the samples.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, replace

import numpy as np

from storyvid_assets.models import SceneSpan, SentenceTiming, WordTiming

# Titles that precede a name: their full stop never ends a sentence.
TITLE_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "mt", "capt", "col", "gen", "lt", "sgt", "rev", "fr", "sr", "st"}
)
SENTENCE_END_CHARS = ".!?…"
CLOSING_CHARS = "\"'”’)]}»"
# Frames quieter than this (RMS on the 16-bit scale, about -50 dBFS) count as silence when trimming.
SILENCE_RMS = 100.0
TRIM_FRAME_S = 0.005

_CHUNK_RE = re.compile(r"\S+")
_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n")
_TITLE_DOT_RE = re.compile(r"\b(" + "|".join(sorted(TITLE_ABBREVIATIONS)) + r")\.(?=\s+[A-Z])", re.IGNORECASE)


@dataclass(frozen=True)
class TextWord:
    """A spoken word of a text: ``text`` without surrounding punctuation, ``start:end`` its span with it."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Mark:
    """An engine event: the 0-based character position it refers to and its time in the engine's audio."""

    position: int
    time: float
    phoneme: str = ""

    @property
    def is_pause(self) -> bool:
        return self.phoneme.startswith("_")


@dataclass(frozen=True)
class WordStarts:
    """Start time of each word, and how many words had to be placed inside a group the engine spoke as one."""

    starts: list[float]
    shared: int  # split at a measured phoneme onset inside a group
    interpolated: int  # no phoneme boundary available: split in proportion to letters


@dataclass(frozen=True)
class TimedScene:
    """One scene's audio and its timings, relative to the start of ``samples``."""

    samples: np.ndarray  # int16 mono
    sentences: list[SentenceTiming]
    shared_words: int = 0
    interpolated_words: int = 0


def _strip_punctuation(chunk: str) -> str:
    first = next(i for i, ch in enumerate(chunk) if ch.isalnum())
    last = max(i for i, ch in enumerate(chunk) if ch.isalnum())
    return chunk[first : last + 1]


def split_words(text: str) -> list[TextWord]:
    """Whitespace-separated chunks holding a letter or digit; punctuation-only chunks join a neighbour's span."""
    words: list[TextWord] = []
    pending_start: int | None = None
    for match in _CHUNK_RE.finditer(text):
        chunk = match.group()
        if any(ch.isalnum() for ch in chunk):
            start = match.start() if pending_start is None else pending_start
            words.append(TextWord(_strip_punctuation(chunk), start, match.end()))
            pending_start = None
        elif words:
            words[-1] = replace(words[-1], end=match.end())
        elif pending_start is None:
            pending_start = match.start()
    return words


def _ends_sentence(text: str, word: TextWord, following: TextWord | None) -> bool:
    chunk = text[word.start : word.end].rstrip(CLOSING_CHARS)
    if not chunk or chunk[-1] not in SENTENCE_END_CHARS:
        return False
    if following is None or chunk[-1] in "!?":
        return True
    core = word.text.lower()
    if core in TITLE_ABBREVIATIONS or (len(core) == 1 and core.isalpha()):
        return False  # "Dr. Smith", "J. Smith"
    if chunk.endswith(("...", "…")) or "." in core:
        # "Wait... what", "5 p.m. in": only a capital after it starts a new sentence.
        head = next((ch for ch in following.text if ch.isalnum()), "")
        return head.isupper() or head.isdigit()
    return True


def split_sentences(text: str, words: list[TextWord]) -> list[list[int]]:
    """Group word indices into sentences: after ``.!?…`` (not after titles or initials) and at blank lines."""
    sentences: list[list[int]] = []
    current: list[int] = []
    for i, word in enumerate(words):
        current.append(i)
        following = words[i + 1] if i + 1 < len(words) else None
        paragraph_break = following is not None and bool(_PARAGRAPH_RE.search(text, word.end, following.start))
        if following is None or paragraph_break or _ends_sentence(text, word, following):
            sentences.append(current)
            current = []
    return sentences


def speakable_text(text: str) -> str:
    """Text for the engine, same length as ``text``: a title's full stop becomes a space.

    espeak-ng reads "Dr. Smith" as two sentences with a long pause; "Dr  Smith" is read as one. Keeping the
    length keeps every character position valid for mapping events back to ``text``.
    """
    return _TITLE_DOT_RE.sub(lambda m: m.group(1) + " ", text)


def _word_index(words: list[TextWord], starts: list[int], position: int) -> int:
    """The word containing ``position``; a position between words belongs to the next word."""
    i = bisect.bisect_right(starts, position) - 1
    if i >= 0 and position < words[i].end:
        return i
    return min(i + 1, len(words) - 1)


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` items (``>= len(weights)``) in proportion to ``weights``, at least one each."""
    extra = total - len(weights)
    weight_sum = sum(weights)
    raw = [extra * w / weight_sum for w in weights]
    counts = [1 + int(r) for r in raw]
    by_remainder = sorted(range(len(weights)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _letters(word: TextWord) -> int:
    return max(1, sum(ch.isalnum() for ch in word.text))


def _spread(starts: list[float], words: list[TextWord], group: list[int], begin: float, finish: float) -> None:
    """Fallback: place ``group``'s starts over ``begin..finish`` in proportion to their letters."""
    weights = [_letters(words[i]) for i in group]
    done = 0
    for i, weight in zip(group, weights, strict=True):
        starts[i] = begin + (finish - begin) * done / sum(weights)
        done += weight


def word_starts(
    words: list[TextWord], word_marks: list[Mark], phoneme_marks: list[Mark], speech_end: float
) -> WordStarts:
    """When each word starts, from the engine's word and phoneme events.

    A word starts at its first phoneme (espeak-ng's word event can come one phoneme early before a vowel),
    else at its word event. espeak-ng speaks some runs as one word ("on the", "was a"): their events all
    point at the first word, so the run is split at the phoneme onsets it measured, giving each word a share
    of the run's phonemes in proportion to its letters. Only if a run has fewer phonemes than words is time
    split in proportion to letters; ``WordStarts`` counts both cases.
    """
    if not words:
        return WordStarts([], 0, 0)
    char_starts = [w.start for w in words]
    onsets: list[float | None] = [None] * len(words)
    phonemes: list[list[float]] = [[] for _ in words]
    for mark in phoneme_marks:
        if mark.is_pause:
            continue
        i = _word_index(words, char_starts, mark.position)
        phonemes[i].append(mark.time)
        onsets[i] = mark.time if onsets[i] is None else min(onsets[i], mark.time)
    for mark in word_marks:
        i = _word_index(words, char_starts, mark.position)
        if not phonemes[i]:
            onsets[i] = mark.time if onsets[i] is None else min(onsets[i], mark.time)
            phonemes[i].append(mark.time)

    anchor_onsets = {i: onset for i, onset in enumerate(onsets) if onset is not None} or {0: 0.0}
    anchors = sorted(anchor_onsets)
    starts = [0.0] * len(words)
    # Words before the first event (only if the engine skipped them) share the time before it.
    _spread(starts, words, list(range(anchors[0])), 0.0, anchor_onsets[anchors[0]])
    shared, interpolated = 0, anchors[0]
    for k, anchor in enumerate(anchors):
        finish = anchor_onsets[anchors[k + 1]] if k + 1 < len(anchors) else speech_end
        group = list(range(anchor, anchors[k + 1] if k + 1 < len(anchors) else len(words)))
        onset_times = sorted(phonemes[anchor])
        if len(onset_times) >= len(group):
            counts = _allocate(len(onset_times), [_letters(words[i]) for i in group])
            for i, taken in zip(group, itertools.accumulate([0, *counts[:-1]]), strict=True):
                starts[i] = onset_times[taken]
            shared += len(group) - 1
        else:
            _spread(starts, words, group, anchor_onsets[anchor], finish)
            interpolated += len(group) - 1
    for i in range(1, len(starts)):  # events arrive in time order; keep starts monotonic regardless
        starts[i] = max(starts[i], starts[i - 1])
    return WordStarts(starts, shared, interpolated)


def trimmed_end(samples: np.ndarray, sample_rate: int, start: float, end: float) -> float:
    """``end`` moved back over trailing silence (5 ms frames below ``SILENCE_RMS``), never before one frame."""
    frame = max(1, round(sample_rate * TRIM_FRAME_S))
    a = round(start * sample_rate)
    b = min(round(end * sample_rate), len(samples))
    frames = (b - a) // frame
    if frames <= 1:
        return end
    window = samples[b - frames * frame : b].astype(np.float64).reshape(frames, frame)
    loud = np.flatnonzero(np.sqrt((window**2).mean(axis=1)) >= SILENCE_RMS)
    if loud.size == 0:
        return end
    return (b - (frames - 1 - int(loud[-1])) * frame) / sample_rate


def time_scene(
    text: str,
    samples: np.ndarray,
    sample_rate: int,
    word_marks: list[Mark],
    phoneme_marks: list[Mark],
    scene_index: int,
) -> TimedScene:
    """Sentences with word timings for one synthesized text; times are relative to ``samples``' start."""
    words = split_words(text)
    if not words:
        raise ValueError(f"scenes[{scene_index}] has no words to speak; give every scene some narration text")
    speech_end = len(samples) / sample_rate
    found = word_starts(words, word_marks, phoneme_marks, speech_end)
    timings: list[WordTiming] = []
    for i, word in enumerate(words):
        start = found.starts[i]
        next_start = found.starts[i + 1] if i + 1 < len(words) else speech_end
        end = trimmed_end(samples, sample_rate, start, max(next_start, start))
        timings.append(WordTiming(text=word.text, start=round(start, 3), end=round(max(end, start + 0.001), 3)))
    sentences = []
    for indices in split_sentences(text, words):
        span = text[words[indices[0]].start : words[indices[-1]].end]
        sentence_words = [timings[i] for i in indices]
        sentences.append(
            SentenceTiming(
                text=" ".join(span.split()),
                start=sentence_words[0].start,
                end=sentence_words[-1].end,
                scene_index=scene_index,
                words=sentence_words,
            )
        )
    return TimedScene(samples, sentences, found.shared, found.interpolated)


def shift_sentence(sentence: SentenceTiming, offset: float) -> SentenceTiming:
    """``sentence`` with every time moved by ``offset`` seconds."""
    words = [
        w.model_copy(update={"start": round(w.start + offset, 3), "end": round(w.end + offset, 3)})
        for w in sentence.words
    ]
    return sentence.model_copy(
        update={"start": round(sentence.start + offset, 3), "end": round(sentence.end + offset, 3), "words": words}
    )


def assemble_scenes(
    scenes: list[TimedScene], sample_rate: int, scene_pause: float, lead: float
) -> tuple[np.ndarray, list[SentenceTiming], list[SceneSpan]]:
    """One track: ``lead`` s silence, scenes separated by ``scene_pause`` s, ``lead`` s silence.

    Scene spans tile the track: each boundary lies halfway between one scene's last word and the next
    scene's first word, the first span starts at 0 and the last ends at the track's end.
    """
    if not scenes:
        raise ValueError("scenes: nothing to narrate; give at least one scene")
    lead_samples = np.zeros(round(lead * sample_rate), dtype=np.int16)
    pause_samples = np.zeros(round(scene_pause * sample_rate), dtype=np.int16)
    pieces: list[np.ndarray] = [lead_samples]
    sentences: list[SentenceTiming] = []
    position = len(lead_samples)
    for i, scene in enumerate(scenes):
        if i:
            pieces.append(pause_samples)
            position += len(pause_samples)
        offset = position / sample_rate
        sentences.extend(shift_sentence(s, offset) for s in scene.sentences)
        pieces.append(scene.samples.astype(np.int16, copy=False))
        position += len(scene.samples)
    pieces.append(lead_samples)
    track = np.concatenate(pieces)
    duration = round(len(track) / sample_rate, 3)

    scene_indices = sorted({s.scene_index for s in sentences})
    bounds = [0.0]
    for before, after in itertools.pairwise(scene_indices):
        last_word = max(s.end for s in sentences if s.scene_index == before)
        first_word = min(s.start for s in sentences if s.scene_index == after)
        bounds.append(round((last_word + first_word) / 2, 3))
    bounds.append(duration)
    spans = [SceneSpan(scene_index=idx, start=bounds[k], end=bounds[k + 1]) for k, idx in enumerate(scene_indices)]
    return track, sentences, spans

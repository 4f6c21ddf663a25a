"""Caption cues from measured sentence/word timings, written as SRT or WebVTT and read back from them.

Each sentence becomes one or more cues of at most ``max_lines`` lines of ``max_chars_per_line``
characters; a cue is shown from its first word's start to its last word's end (kept up through pauses
inside the sentence, stretched to a minimum duration where the next cue leaves room) and never overlaps
the next cue. Times are handled in whole milliseconds, the resolution of both formats.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyvid_assets.models import SentenceTiming

BREAK_AFTER = ",;:—–-…"  # a cue ending after one of these reads naturally
CUE_COST = 10_000  # fewer cues first; then balanced lengths; then breaks at punctuation
NO_PUNCTUATION_COST = 150

_SRT_TIME = r"(\d{2,}):(\d{2}):(\d{2}),(\d{3})"
_VTT_TIME = r"(?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3})"
_SRT_TIMING_RE = re.compile(rf"^{_SRT_TIME}\s*-->\s*{_SRT_TIME}\s*$")
_VTT_TIMING_RE = re.compile(rf"^{_VTT_TIME}\s+-->\s+{_VTT_TIME}(?:\s+.*)?$")
_BLOCK_SPLIT_RE = re.compile(r"\n[ \t]*\n")


class Cue(BaseModel):
    """One caption: shown from ``start`` to ``end`` seconds; ``text`` lines are separated by ``\\n``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=1)
    start: float = Field(ge=0)
    end: float
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Cue:
        if self.end <= self.start:
            raise ValueError(f"cue {self.index}: end {self.end} must be after start {self.start}")
        return self

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


@dataclass(frozen=True)
class _Chunk:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class _Draft:
    lines: list[str]
    start_ms: int
    end_ms: int
    sentence: int


def _norm(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


def _display_chunks(text: str) -> list[str]:
    """Whitespace-separated pieces; punctuation-only pieces ("—", "...") join their neighbour."""
    chunks: list[str] = []
    leading = ""
    for piece in text.split():
        if any(ch.isalnum() for ch in piece):
            chunks.append(f"{leading} {piece}".strip())
            leading = ""
        elif chunks:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            leading = f"{leading} {piece}".strip()
    if leading:
        chunks.append(leading)
    return chunks


def _match_words(chunks: list[str], sentence: SentenceTiming) -> list[tuple[int, int]] | None:
    """Each chunk's (first, last) word index, matching letters and digits in order; ``None`` if they differ."""
    norms = [_norm(w.text) for w in sentence.words]
    spans: list[tuple[int, int]] = []
    w = 0
    for chunk in chunks:
        target = _norm(chunk)
        if not target:
            return None
        first, matched = w, ""
        while w < len(norms) and matched != target and target.startswith(matched + norms[w]):
            matched += norms[w]
            w += 1
        if matched != target or w == first:
            return None
        spans.append((first, w - 1))
    return spans if w == len(norms) else None


def _split_chunk(chunk: str, words: list[str]) -> list[str] | None:
    """``chunk`` cut where each of its ``words`` after the first begins ("fox—quick" -> "fox—", "quick")."""
    if len(words) == 1:
        return [chunk]
    lowered = chunk.lower()
    starts: list[int] = []
    position = 0
    for word in words:
        found = lowered.find(word.lower(), position)
        if found < 0:
            return None
        starts.append(found)
        position = found + len(word)
    cuts = [0, *starts[1:], len(chunk)]
    return [chunk[a:b] for a, b in itertools.pairwise(cuts)]


def display_words(sentence: SentenceTiming) -> list[str]:
    """Each word as the story wrote it, with its punctuation and quotation marks (``"Hmm,"``), for captions that
    show one word at a time; the plain word texts if the sentence text and its words do not line up."""
    chunks = _display_chunks(sentence.text)
    spans = _match_words(chunks, sentence)
    plain = [w.text for w in sentence.words]
    if spans is None:
        return plain
    shown: list[str] = []
    for chunk, (first, last) in zip(chunks, spans, strict=True):
        pieces = _split_chunk(chunk, plain[first : last + 1])
        if pieces is None:
            return plain
        shown.extend(pieces)
    return shown


def _timed_chunks(sentence: SentenceTiming, max_chars_per_line: int) -> list[_Chunk]:
    """The sentence's display chunks with the measured times of the words they hold.

    If the provider's words do not line up with the sentence text, chunks share the sentence's measured
    span in proportion to their length.
    """
    chunks = _display_chunks(sentence.text)
    spans = _match_words(chunks, sentence)
    timed: list[_Chunk] = []
    if spans is not None:
        for chunk, (first, last) in zip(chunks, spans, strict=True):
            timed.append(_Chunk(chunk, _ms(sentence.words[first].start), _ms(sentence.words[last].end)))
    else:
        start, end = _ms(sentence.start), _ms(sentence.end)
        total = sum(len(c) for c in chunks)
        done = 0
        for chunk in chunks:
            a = start + (end - start) * done // total
            done += len(chunk)
            timed.append(_Chunk(chunk, a, start + (end - start) * done // total))
    return [piece for chunk in timed for piece in _hard_split(chunk, max_chars_per_line)]


def _hard_split(chunk: _Chunk, width: int) -> list[_Chunk]:
    """A chunk longer than a line, cut into line-sized pieces sharing its time."""
    if len(chunk.text) <= width:
        return [chunk]
    pieces = [chunk.text[i : i + width] for i in range(0, len(chunk.text), width)]
    step = (chunk.end_ms - chunk.start_ms) / len(pieces)
    return [
        _Chunk(p, chunk.start_ms + round(i * step), chunk.start_ms + round((i + 1) * step))
        for i, p in enumerate(pieces)
    ]


def wrap_lines(chunks: list[str], max_chars_per_line: int, max_lines: int) -> list[str] | None:
    """``chunks`` on as few lines as possible, as even as possible; ``None`` if they need more lines."""
    if len(" ".join(chunks)) <= max_chars_per_line:
        return [" ".join(chunks)]
    n = len(chunks)
    # best[k][i]: (longest line, lines) for chunks[i:] on at most k lines
    best: list[dict[int, tuple[int, list[str]] | None]] = [{} for _ in range(max_lines + 1)]
    for k in range(1, max_lines + 1):
        best[k][n] = (0, [])
        for i in range(n - 1, -1, -1):
            options = []
            for j in range(i + 1, n + 1):
                line = " ".join(chunks[i:j])
                if len(line) > max_chars_per_line:
                    break
                rest = best[k - 1].get(j) if j < n else (0, [])
                if rest is not None:
                    options.append((max(len(line), rest[0]), [line, *rest[1]]))
            best[k][i] = min(options, key=lambda option: (option[0], len(option[1]))) if options else None
    found = best[max_lines].get(0)
    return found[1] if found else None


def _group_sentence(chunks: list[_Chunk], max_chars_per_line: int, max_lines: int) -> list[tuple[int, int, list[str]]]:
    """Split one sentence's chunks into cues ``(first, end, lines)``: fewest cues, even lengths, breaks
    after punctuation."""
    n = len(chunks)
    capacity = max_chars_per_line * max_lines
    texts = [c.text for c in chunks]
    cost = [0.0] + [float("inf")] * n
    previous = [0] * (n + 1)
    wrapped: dict[tuple[int, int], list[str]] = {}
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            lines = wrap_lines(texts[i:j], max_chars_per_line, max_lines)
            if lines is None:
                break
            slack = capacity - len(" ".join(texts[i:j]))
            penalty = 0 if j == n or texts[j - 1][-1] in BREAK_AFTER else NO_PUNCTUATION_COST
            candidate = cost[i] + CUE_COST + slack * slack / capacity + penalty
            if candidate < cost[j]:
                cost[j], previous[j] = candidate, i
                wrapped[(i, j)] = lines
    bounds = []
    j = n
    while j > 0:
        bounds.append((previous[j], j))
        j = previous[j]
    return [(i, j, wrapped[(i, j)]) for i, j in reversed(bounds)]


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def build_cues(
    sentences: list[SentenceTiming],
    max_chars_per_line: int = 42,
    max_lines: int = 2,
    min_duration: float = 1.0,
    end_limit: float | None = None,
) -> list[Cue]:
    """Caption cues for ``sentences``: each at most ``max_lines`` lines of ``max_chars_per_line`` characters.

    ``end_limit`` (the audio's duration) stops the minimum-duration stretch from running past the audio.
    """
    if max_chars_per_line < 1 or max_lines < 1:
        raise ValueError("max_chars_per_line and max_lines must be at least 1")
    drafts: list[_Draft] = []
    for number, sentence in enumerate(sentences):
        chunks = _timed_chunks(sentence, max_chars_per_line)
        for first, end, lines in _group_sentence(chunks, max_chars_per_line, max_lines):
            drafts.append(_Draft(lines, chunks[first].start_ms, chunks[end - 1].end_ms, number))
    return _schedule(drafts, _ms(min_duration), None if end_limit is None else _ms(end_limit))


def _schedule(drafts: list[_Draft], min_ms: int, limit_ms: int | None) -> list[Cue]:
    """Final cue times: no overlap, held through in-sentence pauses, at least ``min_ms`` where there is room."""
    cues: list[Cue] = []
    previous_end = 0
    for i, draft in enumerate(drafts):
        following = drafts[i + 1] if i + 1 < len(drafts) else None
        start = max(draft.start_ms, previous_end)
        end = max(draft.end_ms, start + min_ms)
        if following is not None:
            if following.sentence == draft.sentence:
                end = max(end, following.start_ms)
            end = min(end, max(following.start_ms, draft.end_ms))
        elif limit_ms is not None:
            end = min(end, max(limit_ms, draft.end_ms))
        end = max(end, start + 1)
        cues.append(Cue(index=len(cues) + 1, start=start / 1000, end=end / 1000, text="\n".join(draft.lines)))
        previous_end = end
    return cues


def _timestamp(seconds: float, separator: str) -> str:
    ms = _ms(seconds)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: list[Cue]) -> str:
    """SubRip text: numbered blocks with ``HH:MM:SS,mmm --> HH:MM:SS,mmm``."""
    blocks = [f"{c.index}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n{c.text}\n" for c in cues]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT text: ``WEBVTT`` header, then cues with ``HH:MM:SS.mmm --> HH:MM:SS.mmm``."""
    blocks = [f"{c.index}\n{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n{c.text}\n" for c in cues]
    return "\n".join(["WEBVTT\n", *blocks])


def _seconds(hours: str | None, minutes: str, secs: str, millis: str) -> float:
    # whole milliseconds first: 13 + 0.819 is 13.818999..., 13819 / 1000 is 13.819, the value the cue was written from
    return (int(hours or 0) * 3_600_000 + int(minutes) * 60_000 + int(secs) * 1000 + int(millis)) / 1000


def _blocks(text: str) -> list[list[str]]:
    normalized = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip()
    return [block.split("\n") for block in _BLOCK_SPLIT_RE.split(normalized) if block.strip()]


def parse_srt(text: str) -> list[Cue]:
    """Cues from SubRip text; raises ``ValueError`` naming the block that is malformed."""
    cues = []
    for number, lines in enumerate(_blocks(text), start=1):
        if len(lines) < 3 or not lines[0].strip().isdigit():
            raise ValueError(f"SRT block {number}: expected an index line, a timing line and text, got {lines!r}")
        timing = _SRT_TIMING_RE.match(lines[1].strip())
        if timing is None:
            raise ValueError(f"SRT block {number}: bad timing line {lines[1]!r} (want HH:MM:SS,mmm --> HH:MM:SS,mmm)")
        g = timing.groups()
        cues.append(
            Cue(
                index=int(lines[0]),
                start=_seconds(*g[:4]),
                end=_seconds(*g[4:]),
                text="\n".join(line.rstrip() for line in lines[2:]),
            )
        )
    return cues


def parse_vtt(text: str) -> list[Cue]:
    """Cues from WebVTT text (``NOTE``/``STYLE``/``REGION`` blocks skipped); numbered in order."""
    blocks = _blocks(text)
    if not blocks or not blocks[0][0].startswith("WEBVTT"):
        raise ValueError("WebVTT: the first line must be 'WEBVTT'")
    cues = []
    for number, lines in enumerate(blocks[1:], start=2):
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_at = 0 if "-->" in lines[0] else 1
        timing = _VTT_TIMING_RE.match(lines[timing_at].strip()) if timing_at < len(lines) else None
        if timing is None or len(lines) <= timing_at + 1:
            raise ValueError(f"WebVTT block {number}: expected a timing line (HH:MM:SS.mmm --> HH:MM:SS.mmm) and text")
        g = timing.groups()
        cues.append(
            Cue(
                index=len(cues) + 1,
                start=_seconds(*g[:4]),
                end=_seconds(*g[4:]),
                text="\n".join(line.rstrip() for line in lines[timing_at + 1 :]),
            )
        )
    return cues

"""Captions: the highlighted word is the spoken word, at most two lines, inside each platform's safe area."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from PIL import Image

from storyvid_assets.models import FORMAT_SIZES, SentenceTiming, WordTiming
from storyvid_assets.render.captions import (
    MAX_LINES,
    STYLES,
    build_ass,
    caption_layout,
    paginate,
    parse_ass_events,
    safe_area,
    text_width,
)
from storyvid_assets.render.compiler import apply, caption_filter
from storyvid_assets.render.engine import fonts_dir
from storyvid_assets.render.ffmpeg import run_ffmpeg
from storyvid_assets.render.timeline import CaptionTrack, TitleCard
from storyvid_tests.samples import synthetic_timings

DURATION = 40.0


def _letters(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


@pytest.fixture(scope="module")
def sentences() -> list[SentenceTiming]:
    return synthetic_timings(4, DURATION, seed=5)[0]


@pytest.mark.parametrize("fmt", sorted(FORMAT_SIZES))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_word_highlighted_at_each_words_midpoint_is_that_word(
    sentences: list[SentenceTiming], fmt: str, style: str
) -> None:
    width, height = FORMAT_SIZES[fmt]
    script = build_ass(CaptionTrack(sentences=sentences, style=style), [], width, height, DURATION)
    captions = [e for e in parse_ass_events(script) if e.style == "Caption"]
    words = [w for s in sentences for w in s.words]
    assert len(captions) == len(words)
    for word in words:
        mid = (word.start + word.end) / 2
        active = [e for e in captions if e.start <= mid < e.end]
        assert len(active) == 1, (word, active)
        shown = active[0].highlighted
        assert shown is not None and _letters(shown) == _letters(word.text), (word, shown)


def test_no_two_caption_events_overlap(sentences: list[SentenceTiming]) -> None:
    script = build_ass(CaptionTrack(sentences=sentences), [], 1080, 1920, DURATION)
    events = sorted((e for e in parse_ass_events(script) if e.style == "Caption"), key=lambda e: e.start)
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(events))


@pytest.mark.parametrize("fmt", sorted(FORMAT_SIZES))
def test_pages_have_at_most_two_lines_that_fit_the_safe_area(sentences: list[SentenceTiming], fmt: str) -> None:
    width, height = FORMAT_SIZES[fmt]
    layout = caption_layout(width, height)
    area = safe_area(width, height)
    assert layout.box_left >= width * area.left and layout.box_right <= width * (1 - area.right)
    assert layout.box_bottom <= height * (1 - area.bottom) and layout.box_top >= height * area.top
    style = STYLES["bold"]
    long_words = [
        *sentences,
        SentenceTiming(
            text="",
            start=0,
            end=9,
            scene_index=0,
            words=[WordTiming(text="extraordinarily", start=i * 0.5, end=i * 0.5 + 0.4) for i in range(12)],
        ),
    ]
    for page in paginate(long_words, style, layout):
        assert 1 <= len(page.lines) <= MAX_LINES
        for line in page.lines:
            assert text_width(" ".join(w.text for w in line), style, layout.font_size) <= layout.max_line_px
    # two lines of text (with line spacing) stay above the bottom edge of the safe area and below its top
    assert layout.box_bottom - MAX_LINES * layout.font_size >= layout.box_top - layout.font_size * 0.5


def test_portrait_captions_avoid_the_bottom_fifth_and_right_edge() -> None:
    layout = caption_layout(1080, 1920)
    assert layout.box_bottom <= 0.8 * 1920
    assert layout.box_right <= 0.88 * 1080


def test_cues_and_cards_stay_inside_the_video(sentences: list[SentenceTiming]) -> None:
    late = [
        *sentences,
        SentenceTiming(
            text="late",
            start=DURATION - 0.2,
            end=DURATION + 1.0,
            scene_index=3,
            words=[WordTiming(text="late", start=DURATION - 0.2, end=DURATION + 1.0)],
        ),
    ]
    cards = [
        TitleCard(
            kind="intro", title="A Very Long Title That Has To Wrap Over Lines", subtitle="Channel", start=0, end=3
        ),
        TitleCard(kind="end", title="Channel", start=DURATION - 3, end=DURATION),
    ]
    for width, height in FORMAT_SIZES.values():
        events = parse_ass_events(build_ass(CaptionTrack(sentences=late), cards, width, height, DURATION))
        assert events and all(0 <= e.start < e.end <= DURATION + 1e-9 for e in events)


def test_disabled_captions_leave_only_cards(sentences: list[SentenceTiming]) -> None:
    cards = [TitleCard(kind="intro", title="Title", start=0, end=3)]
    events = parse_ass_events(build_ass(CaptionTrack(sentences=sentences, enabled=False), cards, 1920, 1080, DURATION))
    assert events and {e.style for e in events} == {"Card"}


@pytest.mark.parametrize("fmt", ["9:16", "16:9"])
def test_libass_draws_the_page_inside_the_safe_area(tmp_path: Path, fmt: str) -> None:
    """Render one frame with the bundled ffmpeg/libass and the pip Roboto font; measure where the text landed."""
    width, height = FORMAT_SIZES[fmt]
    text = "Every star leaned closer to listen while the river hummed its oldest song"
    words = [WordTiming(text=t, start=i * 0.5, end=i * 0.5 + 0.4) for i, t in enumerate(text.split())]
    track = CaptionTrack(sentences=[SentenceTiming(text=text, start=0, end=8, scene_index=0, words=words)])
    (tmp_path / "c.ass").write_text(build_ass(track, [], width, height, 10))
    frame = tmp_path / "frame.png"
    background = ffmpeg.input(f"color=c=gray:s={width}x{height}:r=10:d=1", f="lavfi").video
    drawn = apply(background, [caption_filter("c.ass", fonts_dir())])  # the filter the compiler uses
    run_ffmpeg(drawn.output(str(frame), **{"frames:v": 1}).get_args(overwrite_output=True), cwd=tmp_path)
    pixels = np.asarray(Image.open(frame).convert("RGB")).astype(int)
    ys, xs = np.nonzero(np.abs(pixels - 128).sum(axis=-1) > 60)
    assert len(xs) > 1000, "no caption drawn (font not found?)"
    layout = caption_layout(width, height)
    area = safe_area(width, height)
    assert width * area.left <= xs.min() and xs.max() <= width * (1 - area.right)  # the box too
    assert ys.max() <= height * (1 - area.bottom) and ys.min() >= height * area.top
    rows = np.unique(ys)
    lines = 1 + int(np.count_nonzero(np.diff(rows) > layout.font_size * 0.1))
    assert lines <= MAX_LINES


def test_captions_keep_punctuation_and_quotes_and_highlight_one_word_at_a_time() -> None:
    texts = ['"Hmm," she said at last.', "\u201cI\u2019m so tired,\u201d it said in a small voice."]
    sentences = []
    for k, text in enumerate(texts):
        plain = ["".join(ch for ch in chunk if ch.isalnum() or ch == "\u2019") for chunk in text.split()]
        words = [WordTiming(text=w, start=3 * k + 0.3 * i, end=3 * k + 0.3 * i + 0.25) for i, w in enumerate(plain)]
        sentences.append(SentenceTiming(text=text, start=words[0].start, end=words[-1].end, scene_index=0, words=words))
    script = build_ass(CaptionTrack(sentences=sentences, style="clean"), [], 1280, 720, 7.0)
    captions = [e for e in parse_ass_events(script) if e.style == "Caption"]
    assert [e.highlighted for e in captions] == [
        '"Hmm,"',
        "she",
        "said",
        "at",
        "last.",
        "\u201cI\u2019m",
        "so",
        "tired,\u201d",
        "it",
        "said",
        "in",
        "a",
        "small",
        "voice.",
    ]
    shown = [" ".join(re.sub(r"\{[^}]*\}", "", e.text).split()) for e in captions]
    assert shown[0] == texts[0] and shown[-1] == texts[1]

"""Burned-in captions as an ASS script: word-by-word highlight (karaoke), at most two lines, inside safe areas.

Each caption page (a few words of one sentence, at most two lines) becomes one ASS event per word: the event of
word *k* runs from its start to the next word's start and shows the whole page with word *k* in the highlight
colour. Lines are broken here, with text widths measured from the same Roboto font libass draws with, so libass
never wraps (``WrapStyle: 2``) and the block provably fits the safe area. Title cards use the same script.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel

from storyvid_assets.models import SentenceTiming, WordTiming
from storyvid_assets.render.picture import box_opacity_for
from storyvid_assets.render.timeline import CaptionTrack, TitleCard
from storyvid_assets.speech.captions import display_words

MAX_LINES = 2
PAGE_GAP_S = 0.7  # a pause this long starts a new page
PAGE_HOLD_S = 0.35  # a page stays up this long after its last word (unless the next one starts)
MAX_PAGE_S = 4.0
WIDTH_SLACK = 1.08  # highlighted word is drawn 5% larger; outline adds a little
BOX_PADDING = 0.25  # the translucent box behind a caption page reaches this far (x font size) beyond its text


class SafeArea(BaseModel):
    """Margins (fractions of width/height) that platform UI may cover."""

    left: float
    right: float
    top: float
    bottom: float


# TikTok/Reels/Shorts put buttons on the right and the caption/description over the bottom of 9:16 video.
SAFE_AREAS: dict[tuple[int, int], SafeArea] = {
    (9, 16): SafeArea(left=0.06, right=0.12, top=0.10, bottom=0.20),
    (16, 9): SafeArea(left=0.08, right=0.08, top=0.08, bottom=0.08),
    (1, 1): SafeArea(left=0.07, right=0.07, top=0.08, bottom=0.10),
}


@dataclass(frozen=True)
class StyleSpec:
    font_file: str  # key in font_roboto.font_files
    font_name: str  # full name libass matches
    uppercase: bool
    outline: float  # fraction of the font size
    blur: float
    text_colour: str


STYLES: dict[str, StyleSpec] = {
    "bold": StyleSpec("RobotoBlack", "Roboto Black", True, 0.09, 0.6, "#FFFFFF"),
    "clean": StyleSpec("RobotoMedium", "Roboto Medium", False, 0.06, 0.4, "#FFFFFF"),
    "storybook": StyleSpec("RobotoBold", "Roboto Bold", False, 0.07, 1.5, "#FFF8E7"),
}


class CaptionLayout(BaseModel):
    """Where and how large captions are drawn for one output size."""

    width: int
    height: int
    font_size: int
    box_left: int
    box_right: int
    box_bottom: int  # y of the caption block's bottom edge
    box_top: int  # the highest a two-line block may reach

    @property
    def max_line_px(self) -> float:
        return self.box_right - self.box_left


class CaptionPage(BaseModel):
    lines: list[list[WordTiming]]
    start: float
    end: float

    @property
    def words(self) -> list[WordTiming]:
        return [w for line in self.lines for w in line]


class CaptionEvent(BaseModel):
    """One ASS dialogue event: the page shown from ``start`` to ``end`` with ``highlight`` word coloured."""

    start: float
    end: float
    lines: list[list[str]]
    highlight: int  # index of the highlighted word within the page


def safe_area(width: int, height: int) -> SafeArea:
    from math import gcd

    g = gcd(width, height)
    return SAFE_AREAS.get((width // g, height // g)) or (SAFE_AREAS[(9, 16)] if height > width else SAFE_AREAS[(16, 9)])


def caption_layout(width: int, height: int) -> CaptionLayout:
    """Font size and caption box for an output size, inside the platform safe area."""
    area = safe_area(width, height)
    portrait = height > width
    font_size = round(width * 0.088) if portrait else round(min(width, height) * 0.066)
    # the box (padding beyond the glyphs' outline), not only the text, stays inside the safe area
    pad = math.ceil(font_size * (BOX_PADDING + max(style.outline for style in STYLES.values())))
    left, right = math.ceil(width * area.left) + pad, math.floor(width * (1 - area.right)) - pad
    bottom = math.floor(height * (1 - area.bottom)) - pad - (round(height * 0.04) if portrait else 0)
    top = bottom - round(font_size * MAX_LINES * 1.25)
    return CaptionLayout(
        width=width,
        height=height,
        font_size=font_size,
        box_left=left,
        box_right=right,
        box_bottom=bottom,
        box_top=max(top, round(height * area.top) + pad),
    )


def em_per_line_height(font_path: str) -> float:
    """``unitsPerEm / (usWinAscent + usWinDescent)``: libass sizes a font so that the OS/2 "win" line height
    equals the ASS font size, so this is the em size per unit of ASS font size."""
    data = Path(font_path).read_bytes()
    tables = {}
    for i in range(struct.unpack(">H", data[4:6])[0]):
        tag, _, offset, _ = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
        tables[tag] = offset
    units_per_em = struct.unpack(">H", data[tables[b"head"] + 18 : tables[b"head"] + 20])[0]
    win_ascent, win_descent = struct.unpack(">HH", data[tables[b"OS/2"] + 74 : tables[b"OS/2"] + 78])
    return units_per_em / (win_ascent + win_descent)


@cache
def _pil_font(font_file: str, ass_size: int):  # type: ignore[no-untyped-def]
    """The PIL font whose glyphs match libass's at ASS font size ``ass_size``."""
    import font_roboto
    from PIL import ImageFont

    path = font_roboto.font_files[font_file]
    return ImageFont.truetype(path, max(1, round(ass_size * em_per_line_height(path))))


def text_width(text: str, style: StyleSpec, ass_size: int) -> float:
    """Width in pixels of ``text`` drawn by libass in ``style`` at ``ass_size``, outline included."""
    shown = text.upper() if style.uppercase else text
    return float(_pil_font(style.font_file, ass_size).getlength(shown)) + 2 * style.outline * ass_size


def wrap_words(words: list[WordTiming], style: StyleSpec, layout: CaptionLayout) -> list[list[WordTiming]]:
    """Greedy line breaking by measured width."""
    lines: list[list[WordTiming]] = []
    for word in words:
        if lines and _fits(lines[-1] + [word], style, layout):
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _fits(line: list[WordTiming], style: StyleSpec, layout: CaptionLayout) -> bool:
    return text_width(" ".join(w.text for w in line), style, layout.font_size) * WIDTH_SLACK <= layout.max_line_px


def paginate(sentences: list[SentenceTiming], style: StyleSpec, layout: CaptionLayout) -> list[CaptionPage]:
    """Split each sentence into pages of at most two lines; long pauses and long pages also break.

    Words are shown as the story wrote them, punctuation and quotation marks included (``"Hmm,"``).
    """
    pages: list[CaptionPage] = []
    for sentence in sentences:
        current: list[WordTiming] = []
        shown = display_words(sentence)
        for word in (w.model_copy(update={"text": text}) for w, text in zip(sentence.words, shown, strict=True)):
            if not word.text.strip():
                continue
            candidate = [*current, word]
            too_long = current and (
                word.end - current[0].start > MAX_PAGE_S or word.start - current[-1].end > PAGE_GAP_S
            )
            if current and (too_long or len(wrap_words(candidate, style, layout)) > MAX_LINES):
                pages.append(_page(current, style, layout))
                current = [word]
            else:
                current = candidate
        if current:
            pages.append(_page(current, style, layout))
    pages.sort(key=lambda p: p.start)
    timed: list[CaptionPage] = []
    for i, page in enumerate(pages):
        next_start = pages[i + 1].start if i + 1 < len(pages) else float("inf")
        end = min(page.words[-1].end + PAGE_HOLD_S, max(next_start, page.words[-1].end))
        timed.append(page.model_copy(update={"end": max(end, page.start + 0.05)}))
    return timed


def _page(words: list[WordTiming], style: StyleSpec, layout: CaptionLayout) -> CaptionPage:
    lines = wrap_words(words, style, layout)
    if len(lines) > MAX_LINES:  # one word wider than the box: it still gets its own page
        lines = [words]
    return CaptionPage(lines=lines, start=words[0].start, end=words[-1].end)


def caption_events(pages: list[CaptionPage]) -> list[CaptionEvent]:
    """One event per word: from the word's start (the page's start for its first word) to the next word's start."""
    events: list[CaptionEvent] = []
    for page in pages:
        words = page.words
        texts = [[w.text for w in line] for line in page.lines]
        for k, word in enumerate(words):
            start = page.start if k == 0 else word.start
            end = words[k + 1].start if k + 1 < len(words) else page.end
            if end > start:
                events.append(CaptionEvent(start=start, end=end, lines=texts, highlight=k))
    return events


# --------------------------------------------------------------------------- ASS text


def ass_colour(hex_colour: str, alpha: int = 0) -> str:
    """``#RRGGBB`` -> ASS ``&HAABBGGRR``."""
    r, g, b = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"&H{alpha:02X}{b}{g}{r}".upper()


def ass_time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    h, rem = divmod(centis, 360000)
    m, rem = divmod(rem, 6000)
    s, cs = divmod(rem, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def ass_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")").replace("\n", " ")


def _event_text(event: CaptionEvent, style: StyleSpec, highlight: str, layout: CaptionLayout) -> str:
    x = (layout.box_left + layout.box_right) // 2
    parts: list[str] = []
    k = 0
    for line in event.lines:
        words = []
        for word in line:
            shown = ass_escape(word.upper() if style.uppercase else word)
            if k == event.highlight:
                shown = (
                    f"{{\\1c{ass_colour(highlight)}\\fscx105\\fscy105}}{shown}"
                    f"{{\\1c{ass_colour(style.text_colour)}\\fscx100\\fscy100}}"
                )
            words.append(shown)
            k += 1
        parts.append(" ".join(words))
    return f"{{\\an2\\pos({x},{layout.box_bottom})}}" + "\\N".join(parts)


def _card_lines(text: str, style: StyleSpec, size: int, max_px: float, max_lines: int = 3) -> tuple[list[str], int]:
    """Wrap a card title, shrinking the font until it fits in ``max_lines``."""
    words = text.split()
    while True:
        lines: list[str] = []
        for word in words:
            if lines and text_width(f"{lines[-1]} {word}", style, size) <= max_px:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        if len(lines) <= max_lines and all(text_width(line, style, size) <= max_px for line in lines):
            return lines, size
        if size <= 24:
            return lines, size
        size = int(size * 0.9)


def _card_events(card: TitleCard, layout: CaptionLayout, duration: float) -> list[str]:
    width, height = layout.width, layout.height
    style = STYLES["bold"]
    area = safe_area(width, height)
    max_px = width * (1 - area.left - area.right) * 0.92
    title_size = round(min(width, height) * (0.085 if card.kind == "intro" else 0.075))
    lines, title_size = _card_lines(card.title, style, title_size, max_px)
    sub_size = round(title_size * 0.6)
    cx = round(width * (area.left + (1 - area.left - area.right) / 2))
    cy = round(height * (0.40 if height > width else 0.42))
    block = len(lines) * title_size * 1.15 + sub_size * 1.6
    top = round(cy - block / 2)
    fade = "\\fad(350,450)"
    start, end = ass_time(max(0.0, card.start)), ass_time(min(duration, card.end))
    # No darkened band behind the title: a full-width blurred box costs ~5 ms per 1080p frame to blend;
    # a thick outline and a soft shadow keep the title readable on any picture for a fraction of that.
    outline, shadow = max(3, round(title_size * 0.07)), max(2, round(title_size * 0.05))
    title = "\\N".join(ass_escape(line.upper()) for line in lines)
    text = (
        f"Dialogue: 1,{start},{end},Card,,0,0,0,,{{\\an8\\pos({cx},{top}){fade}\\fs{title_size}\\bord{outline}"
        f"\\shad{shadow}\\4a&H50&\\blur1}}{title}"
        f"\\N{{\\fs{sub_size}\\fnRoboto Medium\\bord{max(2, sub_size // 12)}}}{ass_escape(card.subtitle)}"
    )
    return [text]


def build_ass(track: CaptionTrack, cards: list[TitleCard], width: int, height: int, duration: float) -> str:
    """The whole ASS script for one output size: captions (if enabled) and title cards, clipped to ``duration``."""
    layout = caption_layout(width, height)
    style = STYLES[track.style]
    size = layout.font_size
    short = min(width, height)
    # BorderStyle 4 (libass): one box in BackColour behind the page, its padding the Shadow value, glyphs outlined;
    # as opaque as every caption colour needs to keep WCAG contrast even over a white picture (box_opacity_for)
    box = ass_colour("#000000", alpha=math.floor(255 * (1 - box_opacity_for([style.text_colour, track.highlight]))))
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: TV.709",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font_name},{size},{ass_colour(style.text_colour)},{ass_colour(track.highlight)},"
        f"&H00000000,{box},0,0,0,0,100,100,0,0,4,{style.outline * size:.1f},{BOX_PADDING * size:.1f},2,"
        f"{layout.box_left},{width - layout.box_right},{height - layout.box_bottom},1",
        f"Style: Card,Roboto Black,{round(short * 0.08)},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,"
        f"0,0,0,0,100,100,0,0,1,{max(2, round(short * 0.006))},{max(1, round(short * 0.003))},8,0,0,0,1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    lines = list(header)
    for card in cards:
        lines += _card_events(card, layout, duration)
    if track.enabled:
        blur = f"{{\\blur{style.blur}}}" if style.blur else ""
        for event in caption_events(paginate(track.sentences, style, layout)):
            start, end = max(0.0, event.start), min(duration, event.end)
            if end - start < 0.005:
                continue
            lines.append(
                f"Dialogue: 2,{ass_time(start)},{ass_time(end)},Caption,,0,0,0,,{blur}"
                f"{_event_text(event, style, track.highlight, layout)}"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading ASS back (tests, QC)

DIALOGUE_RE = re.compile(r"^Dialogue:\s*(\d+),([^,]+),([^,]+),([^,]*),[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,(.*)$")
HIGHLIGHT_RE = re.compile(r"\{\\1c&H[0-9A-F]{8}\\fscx105\\fscy105\}([^{]+)\{")


class ParsedEvent(BaseModel):
    layer: int
    start: float
    end: float
    style: str
    text: str  # with override tags
    highlighted: str | None  # the word drawn in the highlight colour (captions only)


def parse_ass_time(text: str) -> float:
    h, m, s = text.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def parse_ass_events(script: str) -> list[ParsedEvent]:
    """Dialogue events of an ASS script, with the highlighted word of caption events."""
    events = []
    for line in script.splitlines():
        match = DIALOGUE_RE.match(line)
        if not match:
            continue
        text = match[5]
        highlight = HIGHLIGHT_RE.search(text)
        events.append(
            ParsedEvent(
                layer=int(match[1]),
                start=parse_ass_time(match[2]),
                end=parse_ass_time(match[3]),
                style=match[4],
                text=text,
                highlighted=highlight[1] if highlight else None,
            )
        )
    return events


def write_ass(path: Path, script: str) -> Path:
    path.write_text(script, encoding="utf-8")
    return path

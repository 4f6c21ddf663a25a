"""Bring-your-own script: ``stories/<channel>/<date>.md`` becomes a :class:`Story` of 5-10 scenes.

Format: a title line (optionally ``# Title``), a blank line, then paragraphs separated by blank lines.
Paragraphs are merged or split at sentence boundaries to fit the request's scene bounds; image prompts
are built from the drawable nouns each scene mentions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import Character, Scene, Story, StoryRequest, count_words
from storyvid_assets.story import vocabulary as v

MIN_SCRIPT_WORDS = 40
MAX_SCRIPT_WORDS = 2000
MAX_TITLE_CHARS = 100
SENTENCE_RE = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")
TOKEN_RE = re.compile(r"[A-Za-z']+")
NAME_RE = re.compile(r"[A-Z][a-z]{2,}")
NOT_NAMES = frozenset(
    {
        "The",
        "And",
        "But",
        "Then",
        "When",
        "She",
        "Her",
        "His",
        "They",
        "That",
        "This",
        "There",
        "What",
        "Who",
        "Why",
        "How",
        "Mr",
        "Mrs",
        "Miss",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "God",
        "Its",
    }
)
UNKNOWN_LOOK = "a character from the script"
FORMAT_FIX = "start the file with a title line (optionally '# Title'), a blank line, then the story in paragraphs"


def script_path(scripts_dir: Path, channel: str, date: str) -> Path:
    return scripts_dir / channel / f"{date}.md"


def find_script(channel: str, date: str, scripts_dir: Path | None = None) -> Path | None:
    """The operator's script for (channel, date), if one was placed (default folder: ``settings.stories_dir()``)."""
    from storyvid_assets.settings import stories_dir

    path = script_path(scripts_dir or stories_dir(), channel, date)
    return path if path.is_file() else None


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_RE.split(text.strip()) if s.strip()]


def read_script(path: Path) -> tuple[str, list[str]]:
    """The title and the paragraphs of a script file; malformed files raise :class:`ConfigError`."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "(file)", f"cannot be read ({exc})", "save the script as UTF-8 text") from exc
    blocks = [b.strip() for b in re.split(r"\n\s*\n", raw.replace("\r\n", "\n")) if b.strip()]
    if not blocks:
        raise ConfigError(str(path), "(file)", "is empty", FORMAT_FIX)
    first_line, _, rest_of_block = blocks[0].partition("\n")
    title = first_line.strip().lstrip("#").strip()
    paragraphs = ([rest_of_block] if rest_of_block.strip() else []) + blocks[1:]
    paragraphs = [" ".join(p.split()) for p in paragraphs]
    if not title:
        raise ConfigError(str(path), "title", "the first line is empty", FORMAT_FIX)
    if len(title) > MAX_TITLE_CHARS:
        raise ConfigError(
            str(path),
            "title",
            f"the first line is {len(title)} characters long, which reads as "
            f"story text, not a title (at most {MAX_TITLE_CHARS})",
            FORMAT_FIX,
        )
    if not paragraphs:
        raise ConfigError(str(path), "title", "the file has a title line but no story under it", FORMAT_FIX)
    words = count_words(" ".join(paragraphs))
    if words < MIN_SCRIPT_WORDS:
        raise ConfigError(
            str(path),
            "body",
            f"the story has {words} words, fewer than {MIN_SCRIPT_WORDS}",
            "write a longer story (300-500 words reads well as a short video)",
        )
    if words > MAX_SCRIPT_WORDS:
        raise ConfigError(
            str(path),
            "body",
            f"the story has {words} words, more than {MAX_SCRIPT_WORDS}",
            "shorten it or split it across several dates",
        )
    return title, paragraphs


def fit_paragraphs(paragraphs: list[str], min_scenes: int, max_scenes: int) -> list[str]:
    """Merge the shortest neighbours or split the longest paragraph until the count is within bounds."""
    scenes = list(paragraphs)
    while len(scenes) > max_scenes:
        i = min(range(len(scenes) - 1), key=lambda k: count_words(scenes[k]) + count_words(scenes[k + 1]))
        scenes[i : i + 2] = [f"{scenes[i]} {scenes[i + 1]}"]
    while len(scenes) < min_scenes:
        i = max(range(len(scenes)), key=lambda k: count_words(scenes[k]))
        halves = split_in_two(scenes[i])
        if halves is None:
            break
        scenes[i : i + 1] = list(halves)
    return scenes


def split_in_two(text: str) -> tuple[str, str] | None:
    """Split at the sentence boundary nearest the middle; else at a comma; else between words."""
    total = count_words(text)
    for pieces, joiner in ((split_sentences(text), " "), (re.split(r"(?<=[,;:])\s+", text), " "), (text.split(), " ")):
        if len(pieces) < 2:
            continue
        best = min(range(1, len(pieces)), key=lambda k: abs(count_words(joiner.join(pieces[:k])) - total / 2))
        return joiner.join(pieces[:best]), joiner.join(pieces[best:])
    return None


def beats_for(count: int) -> list[str]:
    """setup, inciting_incident, rising_action..., climax, resolution for ``count`` >= 5 scenes."""
    return ["setup", "inciting_incident", *["rising_action"] * (count - 4), "climax", "resolution"]


def time_of_day(text: str) -> str:
    words = set(v.words_of(text))
    for phrase, hints in v.drawable().times.items():
        if words & set(hints):
            return phrase
    return ""


@dataclass(frozen=True)
class Picture:
    """What a scene's picture shows; a scene that names nothing keeps the previous scene's subjects."""

    creatures: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    things: tuple[str, ...] = ()
    time: str = ""


def picture_for(text: str, characters: list[Character], previous: Picture) -> Picture:
    vocab = v.drawable()
    nouns = v.drawable_nouns_in(text)
    if not nouns and not any(c.name in text for c in characters):
        return replace(previous, time=time_of_day(text) or previous.time)
    named = [c.description for c in characters if c.name in text and c.description != UNKNOWN_LOOK]
    creatures = tuple(dict.fromkeys([*named, *(f"{article(n)} {n}" for n in nouns if n in vocab.creatures)]))
    return Picture(
        creatures=creatures or previous.creatures,
        places=tuple(n for n in nouns if n in vocab.places) or previous.places,
        things=tuple(n for n in nouns if n not in vocab.creatures and n not in vocab.places),
        time=time_of_day(text) or previous.time,
    )


def prompt_for(picture: Picture, title: str) -> str:
    """``a fox and an owl in the forest at night, moon, candle``; the title when nothing drawable is named."""
    subjects = " and ".join(picture.creatures[:3])
    where = (
        f"{PREPOSITIONS.get(picture.places[0], 'by')} {article(picture.places[0])} {picture.places[0]}"
        if picture.places
        else ""
    )
    head = " ".join(p for p in (subjects, where, picture.time) if p)
    extras = [n for n in (*picture.places[1:], *picture.things) if n not in head]
    prompt = ", ".join(p for p in (head, *extras) if p)
    return prompt or f"an illustration of {title}"


PREPOSITIONS = {"city": "in", "forest": "in", "mountains": "in", "sea": "by", "tree": "under"}


def article(noun: str) -> str:
    if noun in {"mountains", "snow", "fog", "sea", "city", "forest", "moon"}:
        return "the"
    return "an" if noun[0] in "aeiou" else "a"


def name_candidates(sentence: str) -> list[str]:
    """Capitalised words that open neither the sentence nor a quotation."""
    found = []
    for i, match in enumerate(TOKEN_RE.finditer(sentence)):
        opens_quote = sentence[: match.start()].rstrip().endswith(("\u201c", '"', "\u2018"))
        if i and not opens_quote and NAME_RE.fullmatch(match.group()):
            found.append(match.group())
    return found


def characters_in(text: str) -> list[Character]:
    """Recurring capitalised words that are not sentence starts: most likely the characters' names."""
    counts = Counter(name for sentence in split_sentences(text) for name in name_candidates(sentence))
    names = [n for n, c in counts.most_common() if c >= 2 and n not in NOT_NAMES][:4]
    characters = []
    for name in names:
        near = [s for s in split_sentences(text) if name in s]
        kinds = [n for n in v.drawable_nouns_in(" ".join(near)) if n in v.drawable().creatures]
        description = f"{article(kinds[0])} {kinds[0]}" if kinds else UNKNOWN_LOOK
        characters.append(Character(name=name, role="hero" if not characters else "character", description=description))
    return characters


def parse_script(path: Path, request: StoryRequest) -> Story:
    """The operator's script for ``request`` as a :class:`Story` (``source="script"``)."""
    title, paragraphs = read_script(path)
    scenes_text = fit_paragraphs(paragraphs, max(5, request.min_scenes), max(5, request.max_scenes))
    if len(scenes_text) < 5:
        raise ConfigError(
            str(path),
            "body",
            f"the story cannot be divided into 5 scenes ({len(scenes_text)} found)",
            "write at least five sentences",
        )
    body = " ".join(scenes_text)
    characters = characters_in(body)
    picture = Picture(creatures=(), places=(), things=(), time="")
    title_picture = picture_for(title, characters, picture)
    scenes = []
    for index, (beat, text) in enumerate(zip(beats_for(len(scenes_text)), scenes_text, strict=True)):
        picture = picture_for(text, characters, picture if index else title_picture)
        scenes.append(
            Scene(index=index, beat=beat, narration=text, image_prompt=prompt_for(picture, title), mood="calm")
        )
    places = [n for n in v.drawable_nouns_in(body) if n in v.drawable().places]
    first = split_sentences(body)[0]
    return Story(
        title=title,
        logline=first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "...",
        genre=request.genres[0] if request.genres else "script",
        setting=places[0] if places else "as described in the script",
        characters=characters,
        scenes=scenes,
        language=request.language,
        provider="script",
        source="script",
        attempt=request.attempt,
    )


def word_bound_warning(story: Story, request: StoryRequest) -> str | None:
    """A note for asset metadata when a script is outside the requested word range (scripts are not cut)."""
    if request.min_words <= story.word_count <= request.max_words:
        return None
    return (
        f"script has {story.word_count} words; the channel asks for {request.min_words}-{request.max_words} "
        "(kept as written)"
    )

"""The story writer's vocabulary: genre plots, casts, places and drawable nouns, loaded from ``data/*.yaml``.

The YAML files are the writer's whole vocabulary (``data/README.md`` describes them); this module only loads and
validates them. Template text uses ``{slot}`` for a named value (``{Slot}`` capitalises it) and ``[a|b|c]`` for a
free choice of wording.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from storyvid_assets.errors import ConfigError
from storyvid_assets.yamlfile import load_yaml_model

DATA_DIR = Path(__file__).resolve().parent / "data"
SHARED_FILES = frozenset({"common", "drawable", "safety"})
BEATS = ("setup", "inciting_incident", "rising_action", "climax", "resolution")
Cast = Literal["animal", "human"]
M = TypeVar("M", bound=BaseModel)


class Vocab(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Name(Vocab):
    name: str
    pronoun: Literal["he", "she"]


class Look(Vocab):
    """One kind of character and the ways it may look; ``kind`` is a drawable noun."""

    kind: str
    cast: Cast | None = None  # None: the genre's cast
    pronoun: Literal["he", "she", "any"] = "any"
    audience: Literal["any", "kids", "general"] = "any"
    looks: list[str] = Field(min_length=1)  # visual descriptions, reused in every image prompt
    roles: list[str] = Field(default_factory=list)  # how the narration introduces them (default: the look)


class Spot(Vocab):
    text: str  # "the spiral stairs"
    visual: str  # "on the spiral stairs of an old lighthouse"


class Place(Vocab):
    key: str
    name: str  # "an old lighthouse by the sea"
    short: str  # "the lighthouse"
    visual: str  # "beside an old lighthouse on the rocks"
    keywords: list[str] = Field(default_factory=list)
    scenery: list[str] = Field(default_factory=list)  # drawable nouns added to every prompt
    spots: list[Spot] = Field(min_length=2)
    slots: dict[str, str] = Field(default_factory=dict)  # place wording plots may use ("{high}")


class TimeOfDay(Vocab):
    opening: str  # "One quiet evening"
    visual: str  # "at dusk, golden light"
    late: str  # visual for the small hours: "late at night, moonlight"
    scenery: list[str] = Field(default_factory=list)
    kids: bool = True


class Variant(Vocab):
    """One way to tell a beat: sentences (a leading ``?`` marks one the writer may drop) and what it shows."""

    lines: list[str] = Field(min_length=1)
    shows: list[str] = Field(default_factory=lambda: ["hero"])  # hero | friend | presence | wonder
    at: str = ""  # where the picture is set ("{spot_visual}"); default: the place's visual
    late: bool = False  # use the time of day's late light
    mood: str = ""
    kids: bool = True  # False: never told to a kids audience
    places: list[str] = Field(default_factory=list)  # place keys it suits; empty = any


class Step(Vocab):
    """A rising-action scene: one of its variants is told, in the plot's order."""

    required: bool = False
    variants: list[Variant] = Field(min_length=1)


class Wonder(Vocab):
    """The thing the plot turns on (a fallen star, a radio, a lens), with plot-specific wording."""

    key: str
    name: str
    short: str
    title: str
    visual: str
    keywords: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)  # place keys it belongs to; empty = any
    slots: dict[str, str] = Field(default_factory=dict)


class Plot(Vocab):
    key: str
    keywords: list[str] = Field(default_factory=list)
    kids: bool = True
    interludes: bool = True  # False: the genre's travelling interludes do not fit this plot
    friend_role: str = "friend"
    presence: Look | None = None  # a third character (a ghost, a stranger); named by ``presence_name``
    presence_names: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)  # allowed place keys; empty = any
    wonders: list[Wonder] = Field(min_length=1)
    titles: list[str] = Field(min_length=1)
    loglines: list[str] = Field(min_length=1)
    setup: list[Variant] = Field(default_factory=list)  # added to the genre's setups
    setup_only: bool = False  # True: tell only this plot's setups (e.g. a history topic's own opening)
    inciting_incident: list[Variant] = Field(min_length=1)
    rising_action: list[Step] = Field(min_length=1)
    climax: list[Variant] = Field(min_length=1)  # the twists: how the story turns, one told per story
    resolution: list[Variant] = Field(min_length=1)  # the plot's own endings
    shared_endings: bool = True  # False: the genre's ``endings`` do not fit this plot
    slots: dict[str, list[str]] = Field(default_factory=dict)  # wording chosen once per story


class Genre(Vocab):
    genre: str
    label: str  # "A Bedtime Story": used in platform titles
    hashtags: list[str] = Field(default_factory=list)
    youtube_category: str = "24"
    kids: bool = True  # may be told to a kids audience
    kids_fallback: str | None = None  # genre told instead when the audience is kids and kids is false
    cast: Cast
    moods: dict[str, str]
    heroes: list[Look] = Field(min_length=1)
    friends: list[Look] = Field(min_length=1)
    places: list[Place] = Field(min_length=1)
    times: list[TimeOfDay] = Field(min_length=1)
    setup: list[Variant] = Field(min_length=1)
    interludes: list[Step] = Field(default_factory=list)
    endings: list[Variant] = Field(default_factory=list)  # resolutions any plot may end with (see shared_endings)
    plots: list[Plot] = Field(min_length=1)
    phrases: dict[str, list[str]] = Field(default_factory=dict)


class Common(Vocab):
    names: dict[Cast, list[Name]]
    surnames: list[str]
    phrases: dict[str, list[str]]


class Drawable(Vocab):
    """Nouns the procedural illustrator can draw, by category, and words that mean them."""

    creatures: list[str]
    places: list[str]
    objects: list[str]
    sky: list[str]
    synonyms: dict[str, str]
    times: dict[str, list[str]]  # prompt phrase -> words in a text that suggest it

    @property
    def nouns(self) -> list[str]:
        return [*self.creatures, *self.places, *self.objects, *self.sky]


class Safety(Vocab):
    kids_forbidden: list[str]


def _validated(model: type[M], name: str) -> M:
    return load_yaml_model(
        DATA_DIR / f"{name}.yaml", model, "fix the vocabulary file", file_fix="restore the file from the repository"
    )


def available_genres() -> list[str]:
    """Genres the local writer can tell: one ``data/<genre>.yaml`` each."""
    return sorted(p.stem for p in DATA_DIR.glob("*.yaml") if p.stem not in SHARED_FILES)


@cache
def common() -> Common:
    return _validated(Common, "common")


@cache
def drawable() -> Drawable:
    return _validated(Drawable, "drawable")


@cache
def safety() -> Safety:
    return _validated(Safety, "safety")


@cache
def genre(name: str) -> Genre:
    """The vocabulary of one genre; an unknown genre is a configuration error naming the known ones."""
    if name not in available_genres():
        raise ConfigError(
            "channel genres",
            "genres",
            f"the local writer has no genre {name!r}",
            f"use some of {available_genres()} or add storyvid_assets/story/data/{name}.yaml",
        )
    data = _validated(Genre, name)
    check_genre(data, DATA_DIR / f"{name}.yaml")
    return data


HERO_SLOT_RE = re.compile(r"\{hero(_full)?\}", re.IGNORECASE)  # both spell the hero's first name
FIRST_SENTENCE_RE = re.compile(r"^.*?[.!?](?=\s|$)")


def check_genre(data: Genre, path: Path) -> None:
    """Invariants the writer's guarantees rest on: every title and every opening sentence names the hero."""
    for plot in data.plots:
        for i, title in enumerate(plot.titles):
            if not HERO_SLOT_RE.search(title):
                raise ConfigError(
                    str(path),
                    f"plots.{plot.key}.titles.{i}",
                    "does not contain {hero}",
                    "name the hero in every title so titles differ from day to day",
                )
    for where, variants in [("setup", data.setup)] + [(f"plots.{p.key}.setup", p.setup) for p in data.plots]:
        for i, variant in enumerate(variants):
            match = FIRST_SENTENCE_RE.match(variant.lines[0])
            first = match.group(0) if match else variant.lines[0]
            if not HERO_SLOT_RE.search(first) or variant.lines[0].startswith("?"):
                raise ConfigError(
                    str(path),
                    f"{where}.{i}.lines.0",
                    "the opening sentence does not name {hero}",
                    "name the hero in the first sentence so openings differ from day to day",
                )


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def drawable_nouns_in(text: str) -> list[str]:
    """Drawable nouns a text mentions (plurals and synonyms folded), in order of first mention."""
    vocab = drawable()
    nouns = set(vocab.nouns)
    found: list[str] = []
    for word in words_of(text):
        noun = _fold(word, nouns, vocab.synonyms)
        if noun and noun not in found:
            found.append(noun)
    return found


def _fold(word: str, nouns: set[str], synonyms: dict[str, str]) -> str | None:
    word = word.removesuffix("'s").strip("'")
    candidates = [word]
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("s"):
        candidates.append(word[:-1])
    if word == "people":
        candidates.append("person")
    for candidate in candidates:
        if candidate in nouns:
            return candidate
        if candidate in synonyms:
            return synonyms[candidate]
    return None

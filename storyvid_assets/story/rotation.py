"""What a day's story is about: plot, wonder, title, twist and ending, from a fixed rotation per channel.

No state is stored: everything follows from (channel, date, attempt). A channel's days of one genre are numbered
``n`` from the date's ordinal; plots take turns by ``n``, and each plot's own occurrences ``m`` walk two cycles of
their own: the *title* (a title template with a wonder) and the *turn* (a twist, i.e. a climax, with an ending).
An entry of a cycle of length ``L`` comes back every ``L`` occurrences, so in any :data:`YEAR` consecutive days it
is told at most ``ceil(occurrences / L)`` times. The title cycle is also shortened, when needed, so that repeats
of a title never fall on a day with the same hero (heroes walk the name pool by date): a year of daily titles
is then distinct by construction, as long as the vocabulary offers enough wonders, titles, twists and endings
(``storyvid_tests/story/test_variety.py`` holds the shipped channels to it).

The channel's themes narrow the rotation only when every theme names the same plot (or wonder): a channel about
one thing tells that thing. Otherwise every plot and wonder takes its turn, and the day's theme (the pool's best
match for the day's plot and wonder) steers the cast and the place.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from storyvid_assets.story import vocabulary as v

YEAR = 366  # the window the guarantees are computed for: any run of this many consecutive dates
T = TypeVar("T")


def stable_seed(*parts: object) -> int:
    """A seed that is the same on every machine and Python run (unlike ``hash``)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def theme_score(keywords: list[str], theme_words: set[str]) -> int:
    return sum(1 for k in keywords if any(w == k or (len(k) >= 4 and w.startswith(k)) for w in theme_words))


def plot_keywords(plot: v.Plot) -> list[str]:
    return [*plot.keywords, *(k for w in plot.wonders for k in wonder_keywords(w))]


def wonder_keywords(wonder: v.Wonder) -> list[str]:
    return [wonder.key, *wonder.keywords]


def named_by_all(items: Sequence[T], keywords_of: Callable[[T], list[str]], themes: Sequence[str]) -> list[T]:
    """The items every theme names (each theme's best matches, intersected); all items when that is none."""
    common: set[int] | None = None
    for theme in themes:
        words = set(v.words_of(theme))
        scores = [theme_score(keywords_of(item), words) for item in items]
        best = {i for i, s in enumerate(scores) if s == max(scores) and s > 0}
        common = best if common is None else common & best
    return [items[i] for i in sorted(common)] if common else list(items)


def shuffled(items: Sequence[T], *seed: object) -> tuple[T, ...]:
    out = list(items)
    random.Random(stable_seed("rotation", *seed)).shuffle(out)
    return tuple(out)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def hero_safe_cycle(size: int, dates_apart: int, pool: int, occurrences: int) -> int:
    """The longest cycle (at most ``size``) whose repeats within ``occurrences`` never meet the same hero.

    Occurrence ``m`` and ``m + i * cycle`` are ``i * cycle * dates_apart`` dates apart; the hero is the same only
    when that is a multiple of the name pool's size.
    """
    for length in range(size, 0, -1):
        if all((dates_apart * i * length) % pool for i in range(1, ceil_div(occurrences, length))):
            return length
    return size


@dataclass(frozen=True)
class TitleUnit:
    """A title template and the wonder it names (``None``: the template names none, the wonder rotates alone)."""

    template: str
    wonder: v.Wonder | None


@dataclass(frozen=True)
class Turn:
    """How the story turns and ends: a climax variant (the twist) and a resolution variant (the ending)."""

    twist_id: str
    twist: v.Variant
    ending_id: str
    ending: v.Variant


@dataclass(frozen=True)
class PlotCycle:
    plot: v.Plot
    wonders: tuple[v.Wonder, ...]
    titles: tuple[TitleUnit, ...]
    title_cycle: int
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Rotation:
    genre: v.Genre
    plots: tuple[PlotCycle, ...]


@dataclass(frozen=True)
class Pick:
    """The day's choice; ``skeleton`` names the plot as told (plot, twist, ending), without names or wording."""

    plot: v.Plot
    wonder: v.Wonder
    title: str
    turn: Turn
    theme: str

    @property
    def skeleton(self) -> str:
        return f"{self.plot.key}/{self.turn.twist_id}/{self.turn.ending_id}"


def title_units(plot: v.Plot, wonders: Sequence[v.Wonder]) -> list[TitleUnit]:
    units: list[TitleUnit] = []
    for template in plot.titles:
        if "{wonder" in template or "{Wonder" in template:
            units.extend(TitleUnit(template, w) for w in wonders)
        else:
            units.append(TitleUnit(template, None))
    return units


def turns(genre: v.Genre, plot: v.Plot, kids: bool) -> list[Turn]:
    endings = [(f"ending-{i}", e) for i, e in enumerate(plot.resolution)]
    if plot.shared_endings:
        endings += [(f"genre-ending-{i}", e) for i, e in enumerate(genre.endings)]
    twists = [(f"twist-{i}", t) for i, t in enumerate(plot.climax)]
    return [
        Turn(tid, twist, eid, ending)
        for tid, twist in twists
        for eid, ending in endings
        if (twist.kids and ending.kids) or not kids
    ]


@cache
def rotation(channel: str, genre_name: str, kids: bool, themes: tuple[str, ...], stride: int) -> Rotation:
    """The channel's rotation for one genre; ``stride``: dates between two days of this genre."""
    genre = v.genre(genre_name)
    plots = named_by_all([p for p in genre.plots if p.kids or not kids], plot_keywords, themes)
    plots = sorted(plots, key=lambda p: p.key)
    dates_apart = stride * len(plots)
    occurrences = ceil_div(ceil_div(YEAR, stride), len(plots))
    pool = len(v.common().names[genre.cast])
    cycles = []
    for plot in shuffled(plots, channel, genre_name):
        wonders = named_by_all(plot.wonders, wonder_keywords, themes)
        titles = shuffled(title_units(plot, wonders), channel, genre_name, plot.key, "titles")
        plot_turns = shuffled(turns(genre, plot, kids), channel, genre_name, plot.key, "turns")
        cycle = hero_safe_cycle(len(titles), dates_apart, pool, occurrences)
        cycles.append(PlotCycle(plot, tuple(wonders), titles, cycle, plot_turns))
    return Rotation(genre, tuple(cycles))


@cache
def best_themes(themes: tuple[str, ...], keywords: tuple[str, ...]) -> tuple[str, ...]:
    scores = [theme_score(list(keywords), set(v.words_of(t))) for t in themes]
    return tuple(t for t, s in zip(themes, scores, strict=True) if s == max(scores))


def day_theme(themes: tuple[str, ...], plot: v.Plot, wonder: v.Wonder, n: int) -> str:
    """The pool's theme that best names the day's plot and wonder (ties take turns)."""
    ties = best_themes(themes, (*plot.keywords, *wonder_keywords(wonder)))
    return ties[n % len(ties)]


def pick(rot: Rotation, n: int, themes: tuple[str, ...]) -> Pick:
    """What the genre's ``n``-th day tells."""
    cycle = rot.plots[n % len(rot.plots)]
    m = n // len(rot.plots)
    unit = cycle.titles[m % cycle.title_cycle]
    wonder = unit.wonder or cycle.wonders[m % len(cycle.wonders)]
    turn = cycle.turns[m % len(cycle.turns)]
    theme = day_theme(themes, cycle.plot, wonder, n) if themes else rot.genre.genre
    return Pick(cycle.plot, wonder, unit.template, turn, theme)

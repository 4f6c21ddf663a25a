"""Procedural story writer: a five-beat story from the genre vocabulary in ``data/``, offline and deterministic.

What the story is about (plot, wonder, title, twist, ending) comes from the channel's rotation
(:mod:`storyvid_assets.story.rotation`); the wording, cast looks, place and time come from a ``random.Random``
seeded by a SHA-256 of (channel, date, attempt). The hero's name is picked by the date's ordinal from a
per-channel permutation of the name pool, and every title and every opening sentence names the hero, so any run
of consecutive days up to the pool size (40 names) has distinct openings, and a year has distinct titles.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date
from itertools import pairwise
from math import gcd
from typing import TypeVar

from storyvid_assets.errors import ConfigError, ProviderError
from storyvid_assets.models import Character, Scene, Story, StoryRequest, count_words
from storyvid_assets.story import vocabulary as v
from storyvid_assets.story.rotation import Pick, pick, rotation, stable_seed, theme_score

SLOT_RE = re.compile(r"\{([A-Za-z_0-9]+)\}")
CHOICE_RE = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
AN_RE = re.compile(r"\b([Aa]) (?=[aeio]|u(?!ni|se|sua|ro|ten))")
PRONOUNS = {
    "he": {"he": "he", "him": "him", "his": "his", "himself": "himself"},
    "she": {"he": "she", "him": "her", "his": "her", "himself": "herself"},
}
T = TypeVar("T")
NAME_STEP_FLOOR = 7  # attempts move the name by a step coprime with the pool size


def date_ordinal(value: str) -> int:
    try:
        return Date.fromisoformat(value).toordinal()
    except ValueError as exc:
        raise ConfigError(
            "StoryRequest", "date", f"{value!r} is not an ISO date", "pass the partition date as YYYY-MM-DD"
        ) from exc


@dataclass(frozen=True)
class Member:
    """A character as cast for one story."""

    name: str
    full_name: str
    pronoun: str
    kind: str
    looks: str
    intro: str


@dataclass
class Draft:
    """One scene before word fitting: sentences with a may-drop flag."""

    beat: str
    sentences: list[tuple[str, bool]]  # (sentence, optional)
    image_prompt: str
    mood: str
    required: bool = True

    def text(self) -> str:
        return " ".join(s for s, _ in self.sentences)

    def words(self) -> int:
        return count_words(self.text())


@dataclass
class Teller:
    """Fills templates: named slots, a phrasebook of alternatives, and ``[a|b]`` choices."""

    rng: random.Random
    slots: dict[str, str]
    phrases: dict[str, list[str]] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        text = template
        for _ in range(6):  # phrases may hold slots and choices of their own
            text = CHOICE_RE.sub(lambda m: self.rng.choice(m.group(1).split("|")), text)
            text = SLOT_RE.sub(self._slot, text)
            if "{" not in text and "[" not in text:
                break
        return tidy(text)

    def _slot(self, match: re.Match[str]) -> str:
        key = match.group(1)
        value = self._lookup(key)
        if value is None and key[0].isupper():
            lower = self._lookup(key[0].lower() + key[1:])
            value = None if lower is None else capitalise(lower)
        if value is None:
            raise KeyError(f"template slot {{{key}}} is not defined")
        return value

    def _lookup(self, key: str) -> str | None:
        if key in self.slots:
            return self.slots[key]
        if key in self.phrases:
            return self.rng.choice(self.phrases[key])
        return None


def capitalise(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
    return text


def tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = AN_RE.sub(lambda m: m.group(1) + "n ", text)
    return text


def title_case(text: str) -> str:
    small = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to", "who", "with", "from"}
    words = text.split(" ")
    return " ".join(
        w if (i and w.lower() in small) or not w[:1].isalpha() else capitalise(w) for i, w in enumerate(words)
    )


# --------------------------------------------------------------------------- choosing the story


def effective_genre(name: str, audience: str) -> v.Genre:
    data = v.genre(name)
    if audience == "kids" and not data.kids:
        if not data.kids_fallback:
            raise ConfigError(
                "channel genres",
                "genres",
                f"genre {name!r} is not told to a kids audience",
                "remove it from a kids channel or set audience: general",
            )
        return v.genre(data.kids_fallback)
    return data


def name_pool(channel: str, cast: str) -> list[v.Name]:
    """The channel's hero names for one cast, in a fixed per-channel order."""
    pool = sorted(v.common().names[cast], key=lambda n: n.name)
    random.Random(stable_seed("names", channel, cast)).shuffle(pool)
    return pool


def hero_name(request: StoryRequest, cast: str, ordinal: int) -> v.Name:
    """Consecutive dates take consecutive entries of the pool; attempts step further along it.

    The casts' pools share no name (``test_vocabulary`` checks), so a channel that mixes animal and human
    genres still never repeats a hero within the pool size.
    """
    pool = name_pool(request.channel, cast)
    step = next(s for s in range(NAME_STEP_FLOOR, NAME_STEP_FLOOR + len(pool) + 1) if gcd(s, len(pool)) == 1)
    return pool[(ordinal + (request.attempt - 1) * step) % len(pool)]


def pick_by_theme(
    rng: random.Random, items: list[T], keywords_of: Callable[[T], list[str]], theme_words: set[str]
) -> T:
    """The item whose keywords best match the theme; ties (and no match at all) are broken by the seed."""
    scores = [theme_score(keywords_of(item), theme_words) for item in items]
    best = max(scores)
    return rng.choice([item for item, s in zip(items, scores, strict=True) if s == best])


def pick_look(rng: random.Random, looks: list[v.Look], pronoun: str, audience: str, theme_words: set[str]) -> v.Look:
    fitting = [lk for lk in looks if lk.pronoun in ("any", pronoun) and lk.audience in ("any", audience)] or looks
    return pick_by_theme(rng, fitting, lambda lk: [lk.kind], theme_words)


def cast_member(rng: random.Random, look: v.Look, entry: v.Name, cast: str) -> Member:
    looks = rng.choice(look.looks)
    full = f"{entry.name} {rng.choice(v.common().surnames)}" if cast == "human" else entry.name
    intro = rng.choice(look.roles) if look.roles else looks
    return Member(entry.name, full, entry.pronoun, look.kind, looks, intro)


def member_slots(prefix: str, member: Member) -> dict[str, str]:
    slots = {
        prefix: member.name,
        f"{prefix}_full": member.full_name,
        f"{prefix}_looks": member.looks,
        f"{prefix}_kind": member.kind,
        f"{prefix}_intro": member.intro,
    }
    pronoun_prefix = "" if prefix == "hero" else f"{prefix[0]}_"
    slots.update({pronoun_prefix + k: word for k, word in PRONOUNS[member.pronoun].items()})
    return slots


@dataclass
class Plan:
    genre: v.Genre
    plot: v.Plot
    wonder: v.Wonder
    place: v.Place
    time: v.TimeOfDay
    theme: str
    pick: Pick
    hero: Member
    friend: Member
    presence: Member | None
    teller: Teller


def plan_story(request: StoryRequest, day: Pick | None = None) -> Plan:
    """Everything the story will tell; ``day`` overrides the rotation's pick (to check every combination)."""
    if request.language != "en":
        raise ConfigError(
            "channel language",
            "language",
            f"the local writer writes English only, not {request.language!r}",
            "set language: en or configure a cloud story writer",
        )
    if not request.genres:
        raise ConfigError("channel genres", "genres", "is empty", f"list some of {v.available_genres()}")
    ordinal = date_ordinal(request.date)
    rng = random.Random(stable_seed("story", request.channel, request.date, request.attempt))
    kids = request.audience == "kids"
    position = ordinal + request.attempt - 1  # a retry tells the next day's turn of the rotation
    genre = effective_genre(request.genres[position % len(request.genres)], request.audience)
    themes = tuple(request.theme_pool)
    if day is None:
        rot = rotation(request.channel, genre.genre, kids, themes, len(request.genres))
        day = pick(rot, position // len(request.genres), themes)
    plot, wonder, theme = day.plot, day.wonder, day.theme
    theme_words = set(v.words_of(theme))

    place = pick_by_theme(rng, places_for(genre, plot, day), lambda p: [p.key, *p.keywords], theme_words)
    time = rng.choice([t for t in genre.times if t.kids or not kids])

    entry = hero_name(request, genre.cast, ordinal)
    hero = cast_member(
        rng, pick_look(rng, genre.heroes, entry.pronoun, request.audience, theme_words), entry, genre.cast
    )
    friend_looks = [lk for lk in genre.friends if lk.audience in ("any", request.audience)] or genre.friends
    if genre.cast == "animal":  # two animals of one kind read as the same character in pictures
        friend_looks = [lk for lk in friend_looks if lk.kind != hero.kind] or friend_looks
    friend_look = rng.choice(friend_looks)
    friend_cast = friend_look.cast or genre.cast
    friend_names = [
        n for n in v.common().names[friend_cast] if n.name != hero.name and friend_look.pronoun in ("any", n.pronoun)
    ]
    friend = cast_member(rng, friend_look, rng.choice(friend_names), friend_cast)
    presence = None
    if plot.presence:
        looks = rng.choice(plot.presence.looks)
        name = rng.choice(plot.presence_names)
        presence = Member(
            name,
            name,
            plot.presence.pronoun if plot.presence.pronoun != "any" else "she",
            plot.presence.kind,
            looks,
            looks,
        )

    spots = rng.sample(place.spots, k=min(3, len(place.spots)))
    while len(spots) < 3:
        spots.append(spots[-1])
    slots = {
        **member_slots("hero", hero),
        **member_slots("friend", friend),
        "place": place.name,
        "place_short": place.short,
        "place_visual": place.visual,
        "spot": spots[0].text,
        "spot_visual": spots[0].visual,
        "spot2": spots[1].text,
        "spot2_visual": spots[1].visual,
        "spot3": spots[2].text,
        "spot3_visual": spots[2].visual,
        "time_open": time.opening,
        "theme": theme,
        "wonder": wonder.name,
        "wonder_short": wonder.short,
        "wonder_title": wonder.title,
        "wonder_upper": wonder.title.upper(),
        "wonder_visual": wonder.visual,
        **place.slots,
        **wonder.slots,
    }
    fixed = {key: rng.choice(options) for key, options in plot.slots.items()}  # one choice per story
    if presence:
        slots.update(member_slots("presence", presence))
    slots.update(fixed)
    teller = Teller(rng, slots, {**v.common().phrases, **genre.phrases})
    # these may use slots of their own ("{hero}'s lamp"): settle them once so they read the same throughout
    for key, template in {**fixed, **place.slots, **wonder.slots}.items():
        slots[key] = teller.fill(template)
    return Plan(genre, plot, wonder, place, time, theme, day, hero, friend, presence, teller)


def places_for(genre: v.Genre, plot: v.Plot, day: Pick) -> list[v.Place]:
    """The places the plot, its wonder and the day's twist and ending are written for (loosest last)."""
    limits = [plot.places, day.wonder.places, day.turn.twist.places, day.turn.ending.places]
    for used in range(len(limits), 0, -1):
        fitting = [p for p in genre.places if all(not keys or p.key in keys for keys in limits[:used])]
        if fitting:
            return fitting
    return genre.places


# --------------------------------------------------------------------------- telling it


def image_prompt(plan: Plan, variant: v.Variant) -> str:
    looks = {
        "hero": plan.hero.looks,
        "friend": plan.friend.looks,
        "wonder": plan.wonder.visual,
        "presence": plan.presence.looks if plan.presence else "",
    }
    subjects = " and ".join(looks[s] for s in variant.shows if looks.get(s)) or plan.place.visual
    where = plan.teller.fill(variant.at) if variant.at else plan.place.visual
    light = plan.time.late if variant.late else plan.time.visual
    head = f"{subjects} {where}, {light}"
    extras = [n for n in dict.fromkeys([*plan.place.scenery, *plan.time.scenery]) if n not in v.words_of(head)]
    return ", ".join([head, *extras])


def draft_scene(plan: Plan, beat: str, variant: v.Variant, required: bool = True) -> Draft:
    sentences = []
    for line in variant.lines:
        optional = line.startswith("?")
        sentences.append((capitalise(plan.teller.fill(line.removeprefix("?"))), optional))
    mood = variant.mood or plan.genre.moods.get(beat, "calm")
    return Draft(beat, sentences, image_prompt(plan, variant), mood, required)


def allowed(variants: list[v.Variant], plan: Plan, kids: bool) -> list[v.Variant]:
    """The variants this story may tell: kids-safe for kids, and written for the story's place."""
    return [x for x in variants if (x.kids or not kids) and (not x.places or plan.place.key in x.places)]


def rising_candidates(plan: Plan, kids: bool) -> list[Draft]:
    """Every rising-action scene the story could use, in story order (interludes placed after the first)."""
    rng = plan.teller.rng
    steps = [s for s in plan.plot.rising_action if allowed(s.variants, plan, kids)]
    drafts = [
        draft_scene(plan, "rising_action", rng.choice(allowed(s.variants, plan, kids)), s.required) for s in steps
    ]
    interludes = plan.genre.interludes if plan.plot.interludes else []
    for step in [s for s in interludes if allowed(s.variants, plan, kids)]:
        scene = draft_scene(plan, "rising_action", rng.choice(allowed(step.variants, plan, kids)), required=False)
        drafts.insert(rng.randint(1, len(drafts)), scene)
    return drafts


def choose_rising(rng: random.Random, candidates: list[Draft], count: int) -> list[Draft]:
    required = [i for i, d in enumerate(candidates) if d.required]
    optional = [i for i, d in enumerate(candidates) if not d.required]
    rng_order = sorted(optional, key=lambda _: rng.random())
    keep = set(required) | set(rng_order[: max(0, count - len(required))])
    return [d for i, d in enumerate(candidates) if i in keep]


def trim_to(drafts: list[Draft], max_words: int) -> list[Draft]:
    """Drop optional sentences, longest scene first, until the story fits ``max_words``."""
    drafts = [Draft(d.beat, list(d.sentences), d.image_prompt, d.mood, d.required) for d in drafts]
    while sum(d.words() for d in drafts) > max_words:
        droppable = [d for d in drafts if any(opt for _, opt in d.sentences)]
        if not droppable:
            break
        longest = max(droppable, key=Draft.words)
        last = max(i for i, (_, opt) in enumerate(longest.sentences) if opt)
        del longest.sentences[last]
    return drafts


def merge_required(rising: list[Draft], room: int) -> list[Draft]:
    """When the plot's required scenes outnumber the room for them, tell neighbouring ones as one scene."""
    drafts = list(rising)
    while room >= 1 and sum(d.required for d in drafts) > room:
        required = [i for i, d in enumerate(drafts) if d.required]
        pairs = list(pairwise(required))
        i, j = min(pairs, key=lambda p: drafts[p[0]].words() + drafts[p[1]].words())
        first, second = drafts[i], drafts[j]
        merged = Draft(first.beat, first.sentences + second.sentences, first.image_prompt, first.mood, True)
        drafts = [merged if k == i else d for k, d in enumerate(drafts) if k != j]
    return drafts


def fit(plan: Plan, request: StoryRequest, head: list[Draft], rising: list[Draft], tail: list[Draft]) -> list[Draft]:
    """Pick how many rising scenes to tell and which sentences to keep so words and scenes fit the request."""
    rng = plan.teller.rng
    rising = merge_required(rising, request.max_scenes - len(head) - len(tail))
    n_required = sum(d.required for d in rising)
    lo = max(1, n_required, request.min_scenes - len(head) - len(tail))
    hi = min(len(rising), request.max_scenes - len(head) - len(tail))
    if hi < lo:
        raise ConfigError(
            "StoryRequest",
            "max_scenes" if request.max_scenes < 5 else "min_scenes",
            f"the local writer tells {len(head) + len(tail) + lo}-{len(head) + len(tail) + len(rising)}"
            f" scenes, the request asks for {request.min_scenes}-{request.max_scenes}",
            "ask for between 5 and 10 scenes",
        )
    start = rng.randint(lo, hi)
    for count in [start, *range(start - 1, lo - 1, -1), *range(start + 1, hi + 1)]:
        drafts = trim_to([*head, *choose_rising(rng, rising, count), *tail], request.max_words)
        total = sum(d.words() for d in drafts)
        if request.min_words <= total <= request.max_words:
            return drafts
    raise ConfigError(
        "StoryRequest",
        "min_words",
        f"the local writer cannot fit a {plan.genre.genre} story into {request.min_words}-{request.max_words} words",
        "ask for a range such as 300-500 words",
    )


def check_kids_safe(story: Story) -> None:
    text = " ".join([story.title, story.logline, *(s.narration + " " + s.image_prompt for s in story.scenes)])
    words = set(v.words_of(text))
    bad = sorted(w for w in v.safety().kids_forbidden if w in words)
    if bad:
        raise ProviderError(
            "local",
            f"kids story for {story.title!r} uses words not told to children: {bad}; "
            "this is a vocabulary bug in storyvid_assets/story/data",
        )


def story_title(plan: Plan) -> str:
    return title_case(plan.teller.fill(plan.pick.title))


def generate_story(request: StoryRequest) -> Story:
    """A complete five-beat story for ``request``; the same request always gives the same story."""
    return tell(plan_story(request), request)


def tell(plan: Plan, request: StoryRequest) -> Story:
    """The story ``plan`` lays out, fitted to the request's word and scene bounds (continues the plan's seed)."""
    kids = request.audience == "kids"
    rng = plan.teller.rng
    setups = plan.plot.setup if plan.plot.setup_only else [*plan.genre.setup, *plan.plot.setup]
    head = [
        draft_scene(plan, "setup", rng.choice(allowed(setups, plan, kids))),
        draft_scene(plan, "inciting_incident", rng.choice(allowed(plan.plot.inciting_incident, plan, kids))),
    ]
    rising = rising_candidates(plan, kids)
    tail = [
        draft_scene(plan, "climax", plan.pick.turn.twist),
        draft_scene(plan, "resolution", plan.pick.turn.ending),
    ]
    drafts = fit(plan, request, head, rising, tail)
    scenes = [
        Scene(index=i, beat=d.beat, narration=d.text(), image_prompt=d.image_prompt, mood=d.mood)
        for i, d in enumerate(drafts)
    ]
    text = " ".join(s.narration for s in scenes)
    characters = [
        Character(name=plan.hero.name, role="hero", description=plan.hero.looks),
        Character(name=plan.friend.name, role=plan.plot.friend_role, description=plan.friend.looks),
    ]
    if plan.presence and plan.presence.name.lower() in text.lower():
        characters.append(Character(name=plan.presence.name, role="presence", description=plan.presence.looks))
    story = Story(
        title=story_title(plan),
        logline=capitalise(plan.teller.fill(rng.choice(plan.plot.loglines))),
        genre=plan.genre.genre,
        setting=f"{plan.place.name}, {plan.time.visual.split(',')[0]}",
        characters=characters,
        scenes=scenes,
        language="en",
        provider="local",
        source="generated",
        attempt=request.attempt,
    )
    if kids:
        check_kids_safe(story)
    return story

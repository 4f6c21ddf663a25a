"""Read a scene prompt into a plan: time of day, weather, landscape, and the things to draw."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from storyvid_assets.imaging.composition import Composition, compose
from storyvid_assets.imaging.palette import TimeOfDay
from storyvid_assets.imaging.shapes import SPRITES

WORD = re.compile(r"[a-z]+")
MAX_SUBJECTS = 4

NOUNS: dict[str, str] = {
    **{w: "owl" for w in ("owl", "owlet")},
    **{w: "fox" for w in ("fox", "vixen")},
    **{w: "bear" for w in ("bear", "grizzly")},
    **{w: "teddy" for w in ("teddy", "toy")},
    **{w: "cat" for w in ("cat", "kitten", "kitty")},
    **{w: "dog" for w in ("dog", "puppy", "pup", "hound")},
    **{w: "wolf" for w in ("wolf", "wolve")},
    **{w: "rabbit" for w in ("rabbit", "bunny", "hare")},
    **{w: "bird" for w in ("bird", "sparrow", "robin", "crow", "raven", "gull", "seagull", "swallow", "dove")},
    **{w: "deer" for w in ("deer", "stag", "fawn", "reindeer", "elk")},
    **{w: "whale" for w in ("whale", "dolphin")},
    **{w: "person" for w in ("person", "man", "woman", "stranger", "traveller", "traveler", "figure", "child", "kid")},
    **{w: "person" for w in ("detective", "hunter", "farmer", "father", "mother", "people")},
    **{w: "girl" for w in ("girl", "daughter", "sister", "lady")},
    **{w: "boy" for w in ("boy", "son", "brother", "lad")},
    **{w: "keeper" for w in ("keeper", "sailor", "fisherman", "captain", "grandfather", "grandmother", "watchman")},
    **{w: "witch" for w in ("witch", "wizard", "sorcerer", "sorceress")},
    **{w: "royal" for w in ("king", "queen", "prince", "princess")},
    **{w: "ghost" for w in ("ghost", "spirit", "phantom", "spectre", "specter", "apparition")},
    **{w: "star" for w in ("star", "starlight")},
    **{w: "cloud" for w in ("cloud",)},
    **{w: "balloon" for w in ("balloon",)},
    **{w: "kite" for w in ("kite",)},
    **{w: "lighthouse" for w in ("lighthouse", "beacon")},
    **{w: "house" for w in ("house", "home", "cottage", "cabin", "hut", "farmhouse")},
    **{w: "castle" for w in ("castle", "palace", "fortress", "fort")},
    **{w: "tower" for w in ("tower", "steeple", "belfry")},
    **{w: "tree" for w in ("tree", "oak", "willow", "maple", "birch")},
    **{w: "pine" for w in ("pine", "fir", "spruce", "christmas")},
    **{w: "train" for w in ("train", "locomotive", "railway", "railroad", "station", "carriage")},
    **{w: "boat" for w in ("boat", "ship", "sailboat", "ferry", "yacht", "canoe")},
    **{w: "bridge" for w in ("bridge",)},
    **{w: "tent" for w in ("tent", "camp", "campsite")},
    **{w: "lamp" for w in ("lamp", "lamppost", "streetlight", "streetlamp")},
    **{w: "window" for w in ("window",)},
    **{w: "snowman" for w in ("snowman",)},
    **{w: "mushroom" for w in ("mushroom", "toadstool")},
    **{w: "flower" for w in ("flower", "rose", "daisy", "tulip", "blossom")},
    **{w: "footprints" for w in ("footprint", "footstep", "pawprint")},
    **{w: "radio" for w in ("radio", "wireless", "broadcast")},
    **{w: "mirror" for w in ("mirror", "reflection", "looking")},
    **{w: "clock" for w in ("clock", "hourglass")},
    **{w: "door" for w in ("door", "doorway", "gate", "gateway")},
    **{w: "candle" for w in ("candle", "candlelight")},
    **{w: "key" for w in ("key",)},
    **{w: "lantern" for w in ("lantern",)},
    **{w: "book" for w in ("book", "logbook", "diary", "journal", "notebook", "letter", "map")},
    **{w: "button" for w in ("button", "coin")},
    **{w: "picture" for w in ("photograph", "photo", "picture", "painting", "portrait")},
    **{w: "umbrella" for w in ("umbrella",)},
    **{w: "crown" for w in ("crown", "tiara")},
}

TIME_WORDS: dict[str, TimeOfDay] = {
    **{w: "night" for w in ("night", "midnight", "nighttime", "moonlight", "moonlit", "starry", "stars", "nocturnal")},
    **{w: "night" for w in ("bedtime", "dark", "darkness", "sleep", "asleep", "dream", "dreams", "moon")},
    **{w: "dawn" for w in ("dawn", "sunrise", "morning", "daybreak")},
    **{w: "sunset" for w in ("sunset", "dusk", "evening", "twilight", "sundown", "golden")},
    **{w: "storm" for w in ("storm", "stormy", "thunder", "lightning", "tempest", "thunderstorm", "hurricane", "gale")},
    **{w: "fog" for w in ("fog", "foggy", "mist", "misty", "haze", "hazy")},
    **{w: "day" for w in ("day", "daytime", "sunny", "noon", "afternoon", "sunshine", "bright", "summer", "picnic")},
}
# Explicit light words beat mood words like "dark" or "dream" when both appear.
TIME_PRIORITY: tuple[TimeOfDay, ...] = ("storm", "fog", "dawn", "sunset", "night", "day")
WEAK_TIME_WORDS = frozenset(("dark", "darkness", "dream", "dreams", "evening", "golden", "bright", "summer", "sleep"))
STRONG_TIME_WORDS = frozenset(w for w in TIME_WORDS if w not in WEAK_TIME_WORDS)

TERRAIN_WORDS: dict[str, str] = {
    **{w: "sea" for w in ("sea", "ocean", "beach", "shore", "coast", "waves", "harbour", "harbor", "bay", "island")},
    **{w: "sea" for w in ("lake", "river", "pond", "water", "seaside", "sail", "cliff", "cliffs")},
    **{w: "mountains" for w in ("mountain", "mountains", "peak", "peaks", "alps", "summit", "volcano", "upward")},
    **{w: "hills" for w in ("hill", "hills", "valley", "countryside", "meadow", "field", "fields", "garden", "farm")},
    **{w: "forest" for w in ("forest", "woods", "wood", "woodland", "jungle", "grove", "trees")},
    **{w: "city" for w in ("city", "town", "street", "streets", "skyline", "rooftop", "rooftops", "buildings")},
    **{w: "city" for w in ("village", "alley", "market", "downtown")},
    **{w: "snow" for w in ("snow", "snowy", "winter", "ice", "icy", "frost", "frozen", "blizzard", "snowflakes")},
}
INDOOR_WORDS = frozenset(
    (
        *("room", "bedroom", "inside", "indoors", "attic", "kitchen", "library", "hall", "hallway", "basement"),
        *("cellar", "study", "shop", "nursery", "parlour", "parlor", "bed", "fireplace", "table", "desk", "shelf"),
        *("corridor", "staircase", "stairs", "classroom", "museum", "office", "workshop"),
    )
)
INDOOR_OBJECTS = frozenset(
    ("radio", "mirror", "clock", "candle", "key", "book", "button", "picture", "window", "teddy")
)
NIGHT_SUBJECTS = frozenset(("owl", "ghost", "star", "lantern", "candle", "lighthouse", "lamp"))
SEA_SUBJECTS = frozenset(("lighthouse", "boat", "whale"))
WEATHER_WORDS: dict[str, str] = {
    **{w: "rain" for w in ("rain", "rainy", "raining", "drizzle", "downpour", "umbrella", "storm", "stormy")},
    **{w: "snow" for w in ("snow", "snowy", "snowing", "snowflakes", "blizzard", "snowfall")},
    **{w: "fog" for w in ("fog", "foggy", "mist", "misty", "haze")},
    **{w: "lightning" for w in ("lightning", "thunder", "thunderstorm")},
}


MOON_WORDS = ("moon", "moonlight", "moonlit", "crescent")
DUSK_WORDS = frozenset(("night", "midnight", "evening", "dusk", "dark", "darkness", "moonlight", "moonlit", "twilight"))


def names_first(words: list[str], celestial_words: tuple[str, ...]) -> bool:
    """Whether the sun/moon is named before any drawable noun (so it is the picture's subject)."""
    first_celestial = next((i for i, w in enumerate(words) if w in celestial_words), None)
    if first_celestial is None:
        return False
    first_noun = next((i for i, w in enumerate(words) if noun_of(w) is not None), len(words))
    return first_celestial < first_noun


@dataclass(frozen=True)
class Subject:
    """A drawable noun and how many of it to draw."""

    name: str
    count: int = 1


@dataclass(frozen=True)
class ScenePlan:
    """Everything the painter needs, decided from the prompt and style; ``seed`` drives all randomness."""

    seed: int
    time_of_day: TimeOfDay
    indoor: bool
    terrain: tuple[str, ...]
    weather: tuple[str, ...]
    celestial: str  # "moon" | "sun" | "none"
    celestial_subject: bool  # the prompt names the moon/sun itself
    crescent: bool  # a crescent rather than a full moon
    dusk: bool  # fog or storm after dark: the palette leans towards night
    subjects: tuple[Subject, ...]
    mood: str
    genre: str
    composition: Composition  # the shot, chosen by the style seed: consecutive seeds get different shots


COMPOSITION_STREAM = 1  # the composition's offsets come from their own stream, so they never shift the plan


def scene_seed(prompt: str, seed: int) -> int:
    """A 63-bit seed from the prompt text and the style seed: same inputs, same picture."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def words_of(prompt: str) -> list[str]:
    return WORD.findall(prompt.lower())


def noun_of(word: str) -> tuple[str, bool] | None:
    """The sprite a word names and whether it was plural, or ``None``."""
    if word in NOUNS:
        return NOUNS[word], False
    for suffix, repl in (("ves", "f"), ("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + repl
            if stem in NOUNS:
                return NOUNS[stem], True
            if suffix == "ves" and word[:-1] in NOUNS:  # "wolves" -> "wolve" alias
                return NOUNS[word[:-1]], True
    return None


def find_subjects(words: list[str]) -> tuple[Subject, ...]:
    """Drawable nouns in prompt order, each once; plurals draw two or three."""
    found: dict[str, Subject] = {}
    for i, word in enumerate(words):
        hit = noun_of(word)
        if hit is None:
            continue
        name, plural = hit
        if name == "tree" and i > 0 and words[i - 1] in ("christmas", "pine", "fir"):
            name = "pine"
        if name == "bear" and i > 0 and words[i - 1] == "teddy":
            continue  # "teddy bear" is the teddy already found
        following = words[i + 1] if i + 1 < len(words) else ""
        if name == "mirror" and word == "looking" and following != "glass":
            continue
        if name == "window" and following in ("light", "lights", "glow"):
            continue  # "warm window light" describes the light, not a window to draw
        if following == "clock" and name != "clock":
            continue  # "grandfather clock", "cuckoo clock"
        if name not in found:
            found[name] = Subject(
                name, 3 if plural and name in ("bird", "star", "cloud", "tree", "pine") else 2 if plural else 1
            )
    return tuple(found.values())[:MAX_SUBJECTS]


def pick_time(
    words: list[str], genre: str, mood: str, subjects: tuple[Subject, ...], rng: np.random.Generator
) -> TimeOfDay:
    named = {TIME_WORDS[w] for w in words if w in STRONG_TIME_WORDS}
    if not named:
        named = {TIME_WORDS[w] for w in words if w in TIME_WORDS}
    for time in TIME_PRIORITY:
        if time in named:
            return time
    names = {s.name for s in subjects}
    if names & NIGHT_SUBJECTS or mood in ("dark", "dreamy") or genre in ("bedtime",):
        choices, weights = ("night", "sunset", "dawn"), (0.7, 0.2, 0.1)
    elif genre in ("horror", "mystery") or mood == "tense":
        choices, weights = ("night", "fog", "storm", "sunset"), (0.5, 0.25, 0.15, 0.1)
    elif mood == "melancholy":
        choices, weights = ("fog", "sunset", "storm", "dawn"), (0.35, 0.35, 0.15, 0.15)
    else:
        choices, weights = ("day", "sunset", "dawn", "night"), (0.5, 0.25, 0.15, 0.1)
    return choices[int(rng.choice(len(choices), p=np.asarray(weights) / sum(weights)))]  # type: ignore[return-value]


def pick_terrain(words: list[str], subjects: tuple[Subject, ...], rng: np.random.Generator) -> tuple[str, ...]:
    named = {TERRAIN_WORDS[w] for w in words if w in TERRAIN_WORDS}
    names = {s.name for s in subjects}
    if names & SEA_SUBJECTS:
        named.add("sea")
    if "snowman" in names or "footprints" in names:
        named.add("snow")
    if not named - {"snow"}:
        named.add(str(rng.choice(["hills", "hills", "forest", "mountains", "hills"])))
    if "sea" in named:
        named -= {"city"} if rng.random() < 0.5 else set()
    order = ("mountains", "hills", "city", "forest", "sea", "snow")
    return tuple(t for t in order if t in named)


def is_indoor(words: list[str], subjects: tuple[Subject, ...]) -> bool:
    if any(w in INDOOR_WORDS for w in words):
        return bool(subjects) and SPRITES[subjects[0].name].indoor
    outdoor_named = any(w in TERRAIN_WORDS for w in words)
    return bool(subjects) and subjects[0].name in INDOOR_OBJECTS and not outdoor_named


def plan_scene(prompt: str, mood: str, genre: str, seed: int) -> ScenePlan:
    """Decide what to paint for ``prompt``; deterministic for ``(prompt, seed)``."""
    s = scene_seed(prompt, seed)
    rng = np.random.default_rng(s)
    words = words_of(prompt)
    subjects = find_subjects(words)
    mood, genre = mood.lower(), genre.lower()
    time = pick_time(words, genre, mood, subjects, rng)
    indoor = is_indoor(words, subjects)
    if indoor:
        subjects = tuple(sub for sub in subjects if SPRITES[sub.name].indoor)
    weather = {WEATHER_WORDS[w] for w in words if w in WEATHER_WORDS}
    if time == "storm":
        weather.add("rain")
        if rng.random() < 0.6:
            weather.add("lightning")
    if time == "fog":
        weather.add("fog")
    terrain = pick_terrain(words, subjects, rng)
    if "snow" in terrain and "snow" not in weather and rng.random() < 0.5:
        weather.add("snow")
    moon_named = any(w in MOON_WORDS for w in words)
    sun_named = any(w in ("sun", "sunshine", "sunny", "sunrise", "sunset") for w in words)
    if time == "night":
        celestial = "moon" if moon_named or rng.random() < 0.75 else "none"
    elif time in ("day", "dawn", "sunset"):
        celestial = "sun" if sun_named or time != "day" or rng.random() < 0.6 else "none"
    else:
        celestial = "none"
    celestial_subject = celestial != "none" and names_first(words, MOON_WORDS if celestial == "moon" else ("sun",))
    dusk = time in ("fog", "storm") and any(w in DUSK_WORDS for w in words)
    return ScenePlan(
        seed=s,
        time_of_day=time,
        indoor=indoor,
        terrain=terrain,
        weather=tuple(sorted(weather)),
        celestial=celestial,
        celestial_subject=celestial_subject,
        crescent="crescent" in words or ("full" not in words and rng.random() < 0.4),
        dusk=dusk,
        subjects=subjects,
        mood=mood,
        genre=genre,
        composition=compose(seed, np.random.default_rng([s, COMPOSITION_STREAM])),
    )

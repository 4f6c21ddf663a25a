"""Read a scene prompt into a plan: time of day, weather, landscape, and the things to draw."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from storyvid_assets.imaging.composition import Composition, compose
from storyvid_assets.imaging.palette import Color, TimeOfDay
from storyvid_assets.imaging.shapes import SPRITES
from storyvid_assets.imaging.vocabulary import Vocabulary, vocabulary

WORD = re.compile(r"[a-z]+")
TOKEN = re.compile(r"[a-z]+|[,;.:]")
CLAUSE_END = frozenset(",;.:")
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
class Trait:
    """A named feature of a character ("scarf") in a colour ("green"), or its body colour (feature ``"body"``)."""

    feature: str
    colour: str
    rgb: Color


@dataclass(frozen=True)
class Subject:
    """A drawable noun, how many of it to draw, and how it looks (traits the prompt gives it)."""

    name: str
    count: int = 1
    traits: tuple[Trait, ...] = ()

    @property
    def body(self) -> Trait | None:
        return next((t for t in self.traits if t.feature == "body"), None)

    @property
    def features(self) -> tuple[Trait, ...]:
        return tuple(t for t in self.traits if t.feature != "body")


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
    room: str | None = None  # indoors: the interior of the vocabulary ("kitchen"), or None for a plain room
    warmth: float = 0.0  # -1 cold .. 1 warm: the light words and mood as colour temperature
    contrast: float = 1.0
    lights: tuple[str, ...] = ()  # the vocabulary lights the prompt names ("lamplight", "moonlight")
    pose: str | None = None  # a pose the prompt names ("sitting"); None: the painter varies it by shot


COMPOSITION_STREAM = 1  # the composition's offsets come from their own stream, so they never shift the plan


def scene_seed(prompt: str, seed: int) -> int:
    """A 63-bit seed from the prompt text and the style seed: same inputs, same picture."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def words_of(prompt: str) -> list[str]:
    return WORD.findall(prompt.lower())


def tokens_of(prompt: str) -> list[str]:
    """The prompt's words with clause punctuation kept as tokens (traits never reach across a comma)."""
    return TOKEN.findall(prompt.lower())


def noun_of(word: str) -> tuple[str, bool] | None:
    """The sprite a word names and whether it was plural, or ``None``."""
    nouns = vocabulary().nouns
    if word in NOUNS or word in nouns:
        return NOUNS.get(word) or nouns[word], False
    for suffix, repl in (("ves", "f"), ("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + repl
            if stem in NOUNS or stem in nouns:
                return NOUNS.get(stem) or nouns[stem], True
            if suffix == "ves" and word[:-1] in NOUNS:  # "wolves" -> "wolve" alias
                return NOUNS[word[:-1]], True
    return None


def find_subjects(words: list[str]) -> tuple[Subject, ...]:
    """Drawable nouns in prompt order with their traits; plurals draw two or three.

    A noun named again with the same traits (or none) is the same subject; the same noun with other traits
    ("a person in a grey coat and a person in a yellow coat") is another one.
    """
    vocab = vocabulary()
    found: list[Subject] = []
    owner: int | None = None  # index in found of the character traits attach to
    pending: tuple[str, str | None] | None = None  # a colour word waiting for its feature or noun
    shade: str | None = None
    feature_words = vocab.feature_words
    phrase: list[str] = []  # the words since the last "and": "and an old silver bell" is a thing of its own
    for i, word in enumerate(words):
        if word in CLAUSE_END:
            owner, pending, shade = None, None, None
            continue
        phrase = ["and"] if word == "and" else [] if word == "with" else [*phrase, word]
        if word in feature_words and phrase[0] == "and" and any(w in vocab.object_adjectives for w in phrase):
            owner, pending = None, None
            continue
        colour = vocab.colour_name(word)
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in vocab.shades and vocab.colour_name(following) is not None and following != word:
            shade = word
            continue
        if colour is not None:
            pending, shade = (colour, shade), None
            continue
        if word in feature_words and owner is not None:
            key = feature_words[word]
            found[owner] = with_trait(found[owner], key, pending, vocab)
            pending = None
            continue
        hit = noun_of(word)
        if hit is None:
            continue
        name, plural = hit
        if name == "tree" and i > 0 and words[i - 1] in ("christmas", "pine", "fir"):
            name = "pine"
        if name == "bear" and i > 0 and words[i - 1] == "teddy":
            continue  # "teddy bear" is the teddy already found
        if name == "mirror" and word == "looking" and following != "glass":
            continue
        if name == "window" and following in ("light", "lights", "glow"):
            continue  # "warm window light" describes the light, not a window to draw
        if following == "clock" and name != "clock":
            continue  # "grandfather clock", "cuckoo clock"
        if following == "s" and i + 2 < len(words) and words[i + 2] in feature_words:
            continue  # "a fisherman's cap" names a cap, not a fisherman
        traits: tuple[Trait, ...] = ()
        if pending is not None:
            traits = (Trait("body", pending[0], vocab.shaded(pending[0], pending[1])),)
            pending = None
        count = 3 if plural and name in ("bird", "star", "cloud", "tree", "pine") else 2 if plural else 1
        found.append(Subject(name, count, traits))
        owner, phrase = len(found) - 1, [name]  # what follows the noun describes it
    return merged(found)[:MAX_SUBJECTS]


def merged(found: list[Subject]) -> tuple[Subject, ...]:
    """Each subject once: a noun named again with no traits, or the same ones, is the subject named before."""
    kept: list[Subject] = []
    for new in found:
        if not any(old.name == new.name and (not new.traits or new.traits == old.traits) for old in kept):
            kept.append(new)
    return tuple(kept)


def with_trait(subject: Subject, key: str, colour: tuple[str, str | None] | None, vocab: Vocabulary) -> Subject:
    """``subject`` with feature ``key`` in ``colour`` (or the feature's own colour); fur on an animal is its body."""
    feature = vocab.features[key]
    name, shade = colour if colour is not None else (feature.colour, None)
    anatomy = vocab.anatomy.get(subject.name)
    as_body = feature.body or (feature.fur and anatomy is not None and not anatomy.clothed)
    if as_body and colour is None:
        return subject  # "soft feathers": nothing to draw
    trait = Trait("body" if as_body else key, name, vocab.shaded(name, shade))
    if any(t.feature == trait.feature for t in subject.traits):
        return subject  # the first mention wins
    return Subject(subject.name, subject.count, (*subject.traits, trait))


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
    rooms = vocabulary().interior_words
    if any(w in INDOOR_WORDS or w in rooms for w in words):
        return bool(subjects) and SPRITES[subjects[0].name].indoor
    outdoor_named = any(w in TERRAIN_WORDS for w in words)
    return bool(subjects) and subjects[0].name in INDOOR_OBJECTS and not outdoor_named


def plan_scene(prompt: str, mood: str, genre: str, seed: int) -> ScenePlan:
    """Decide what to paint for ``prompt``; deterministic for ``(prompt, seed)``."""
    s = scene_seed(prompt, seed)
    rng = np.random.default_rng(s)
    words = words_of(prompt)
    subjects = find_subjects(tokens_of(prompt))
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
    lights = named_lights(words, indoor)
    warmth, contrast = light_of(lights, indoor, time, mood)
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
        room=room_of(words) if indoor else None,
        warmth=warmth,
        contrast=contrast,
        lights=lights,
        pose=next((vocabulary().pose_words[w] for w in words if w in vocabulary().pose_words), None),
    )


MOOD_WARMTH = {"calm": 0.15, "playful": 0.25, "epic": 0.3, "dreamy": 0.0, "tense": -0.25, "dark": -0.35}
MOOD_WARMTH |= {"melancholy": -0.3}
MOOD_CONTRAST = {"tense": 1.08, "dark": 1.1, "epic": 1.1, "dreamy": 0.94, "calm": 0.98, "melancholy": 0.95}
LAMPLIT_TIMES = frozenset(("night", "storm", "fog", "sunset"))  # indoors after dark the lamps are lit


def named_lights(words: list[str], indoor: bool) -> tuple[str, ...]:
    """The vocabulary lights the prompt names that apply where the scene is (inside or out)."""
    vocab = vocabulary()
    table = vocab.light_words
    keys = dict.fromkeys(table[w] for w in words if w in table)
    return tuple(
        k
        for k in keys
        if not ((vocab.lights[k].indoor_only and not indoor) or (vocab.lights[k].outdoor_only and indoor))
    )


def light_of(lights: tuple[str, ...], indoor: bool, time: TimeOfDay, mood: str) -> tuple[float, float]:
    """Colour temperature (-1 cold .. 1 warm) and contrast from the named lights, the place and the mood."""
    vocab = vocabulary()
    if indoor and time in LAMPLIT_TIMES and "lamplight" not in lights and "lamplight" in vocab.lights:
        lights = (*lights, "lamplight")
    if not indoor and time == "night" and not lights and "moonlight" in vocab.lights:
        lights = ("moonlight",)
    warmth = sum(vocab.lights[k].warmth for k in lights) + MOOD_WARMTH.get(mood, 0.0) * 0.5
    contrast = float(np.prod([vocab.lights[k].contrast for k in lights])) * MOOD_CONTRAST.get(mood, 1.0)
    return float(np.clip(warmth, -1.0, 1.0)), float(np.clip(contrast, 0.85, 1.25))


def room_of(words: list[str]) -> str | None:
    """The first interior of the vocabulary the prompt names."""
    rooms = vocabulary().interior_words
    return next((rooms[w] for w in words if w in rooms), None)


FUNCTION_WORDS = frozenset(
    (
        *("a", "an", "the", "and", "or", "of", "in", "on", "at", "by", "with", "to", "from", "into", "onto", "over"),
        *("under", "beside", "behind", "above", "below", "near", "across", "through", "its", "his", "her", "their"),
        *("one", "two", "three", "is", "are", "up", "down", "out", "for", "as", "it", "that", "this", "who", "which"),
    )
)


def understood_words(prompt: str) -> tuple[list[str], list[str]]:
    """The prompt's words the illustrator draws from, and the ones it ignores (function words left out)."""
    vocab = vocabulary()
    tables = (
        TIME_WORDS,
        TERRAIN_WORDS,
        WEATHER_WORDS,
        INDOOR_WORDS,
        vocab.feature_words,
        vocab.light_words,
        vocab.interior_words,
        vocab.shades,
    )
    celestial = {*MOON_WORDS, "sun", "sunshine", "sunny", "sunrise", "sunset", "full"}
    understood: list[str] = []
    ignored: list[str] = []
    for word in dict.fromkeys(words_of(prompt)):
        if word in FUNCTION_WORDS:
            continue
        known = noun_of(word) is not None or vocab.colour_name(word) is not None or word in celestial
        (understood if known or any(word in t for t in tables) else ignored).append(word)
    return understood, ignored

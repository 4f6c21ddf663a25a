"""The illustrator's vocabulary (colours, features, anatomy, lights, rooms), loaded from ``data/vocabulary.yaml``.

This module only loads and validates the file; the plan reads prompt words against it and the painter uses the
anatomy to put features on characters.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyvid_assets.imaging.palette import Color, mix
from storyvid_assets.yamlfile import load_yaml_model

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary.yaml"
FIX = "see the comments at the top of storyvid_assets/imaging/data/vocabulary.yaml for each section's fields"


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Shade(Entry):
    toward: Color
    amount: float = Field(ge=0.0, le=1.0)


class Feature(Entry):
    words: list[str]
    part: str
    colour: str
    body: bool = False  # the word describes the body itself (feathers, fur)
    fur: bool = False  # on an animal the body, on a person a garment (a coat)


class Anatomy(Entry):
    head: tuple[float, float, float, float]
    neck: tuple[float, float]
    eyes: tuple[float, float]
    eye_gap: float = 0.0
    ear: tuple[float, float]
    tail: tuple[float, float]
    chest: tuple[float, float]
    back: tuple[float, float]
    torso: tuple[float, float, float, float]
    feet: list[float]
    natural: Color
    upright: bool = False
    clothed: bool = False


class Light(Entry):
    words: list[str]
    warmth: float = Field(ge=-1.0, le=1.0)
    contrast: float = Field(default=1.0, ge=0.8, le=1.3)
    indoor_only: bool = False
    outdoor_only: bool = False


class Interior(Entry):
    words: list[str]
    props: list[str]
    wall: Color
    floor: Color


class Vocabulary(Entry):
    nouns: dict[str, str] = {}
    colours: dict[str, Color]
    colour_synonyms: dict[str, str] = {}
    shades: dict[str, Shade] = {}
    features: dict[str, Feature]
    anatomy: dict[str, Anatomy]
    lights: dict[str, Light] = {}
    interiors: dict[str, Interior] = {}
    poses: dict[str, list[str]] = {}
    object_adjectives: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _names_resolve(self) -> Vocabulary:
        for word, name in self.colour_synonyms.items():
            if name not in self.colours:
                raise ValueError(f"colour_synonyms.{word}: '{name}' is not one of colours")
        for key, feature in self.features.items():
            if feature.colour not in self.colours:
                raise ValueError(f"features.{key}.colour: '{feature.colour}' is not one of colours")
        return self

    def colour_name(self, word: str) -> str | None:
        """The colour a word names (``"ginger"`` -> ``"orange"``), or ``None``."""
        if word in self.colours:
            return word
        return self.colour_synonyms.get(word)

    def shaded(self, name: str, shade: str | None) -> Color:
        """The RGB of colour ``name``, lightened or darkened by ``shade`` (``"pale"``, ``"dark"``, ...)."""
        rgb = self.colours[name]
        if shade is None or shade not in self.shades:
            return rgb
        return mix(rgb, self.shades[shade].toward, self.shades[shade].amount)

    @property
    def feature_words(self) -> dict[str, str]:
        """Word -> feature key."""
        return {w: key for key, f in self.features.items() for w in f.words}

    @property
    def light_words(self) -> dict[str, str]:
        return {w: key for key, light in self.lights.items() for w in light.words}

    @property
    def pose_words(self) -> dict[str, str]:
        return {w: key for key, words in self.poses.items() for w in words}

    @property
    def interior_words(self) -> dict[str, str]:
        return {w: key for key, room in self.interiors.items() for w in room.words}


@cache
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The illustrator's vocabulary, read once per process."""
    return load_yaml_model(path, Vocabulary, FIX)

"""The moderation data files (``data/*.yaml``), loaded and validated. The files are the policy's vocabulary."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyvid_assets.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent / "data"
TERM_CATEGORIES = ("profanity", "hate", "sexual", "violence", "self_harm", "frightening")
PATTERN_CATEGORY = "personal_data"
NAME_CATEGORY = "real_person"
ALL_CATEGORIES = (*TERM_CATEGORIES, PATTERN_CATEGORY, NAME_CATEGORY)
BlockLevel = Literal["mild", "severe", "off"]
M = TypeVar("M", bound=BaseModel)


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TermGroup(_Data):
    words: list[str] = Field(default_factory=list)  # whole words (with inflections) or phrases
    fragments: list[str] = Field(default_factory=list)  # also matched inside longer words


class RegionTerms(_Data):
    severe: TermGroup = TermGroup()
    mild: TermGroup = TermGroup()


class CategoryList(_Data):
    category: str
    label: str
    severe: TermGroup = TermGroup()
    mild: TermGroup = TermGroup()
    regions: dict[str, RegionTerms] = Field(default_factory=dict)
    allow: list[str] = Field(default_factory=list)


class PatternRule(_Data):
    name: str
    pattern: str
    luhn: bool = False  # digits must pass the Luhn checksum (payment cards)


class PatternList(_Data):
    category: str
    label: str
    global_: list[PatternRule] = Field(alias="global")
    regions: dict[str, list[PatternRule]] = Field(default_factory=dict)


class ProviderThresholds(_Data):
    mild: float = Field(ge=0.0, le=1.0)
    severe: float = Field(ge=0.0, le=1.0)


class Preset(_Data):
    description: str
    block: dict[str, BlockLevel]
    provider_thresholds: ProviderThresholds


class Regions(_Data):
    regions: dict[str, str]
    default: list[str]


def _load(name: str) -> dict:
    path = DATA_DIR / f"{name}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), "(file)", f"cannot be read ({exc})", "restore the file from git") from exc
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "(file)", "is not a mapping", "restore the file from the repository")
    return raw


def _validated(model: type[M], name: str) -> M:
    try:
        return model.model_validate(_load(name))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(file)"
        raise ConfigError(str(DATA_DIR / f"{name}.yaml"), field, err["msg"], "fix the moderation data file") from exc


@cache
def category_list(category: str) -> CategoryList:
    if category not in TERM_CATEGORIES:
        raise KeyError(f"no word list for category {category!r}; known: {TERM_CATEGORIES}")
    data = _validated(CategoryList, category)
    if data.category != category:
        raise ConfigError(
            str(DATA_DIR / f"{category}.yaml"), "category", f"says {data.category!r}", f"set category: {category}"
        )
    return data


@cache
def personal_data_patterns() -> PatternList:
    return _validated(PatternList, PATTERN_CATEGORY)


@cache
def presets() -> dict[str, Preset]:
    raw = _load("presets")
    try:
        loaded = {name: Preset.model_validate(body) for name, body in raw.items()}
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            str(DATA_DIR / "presets.yaml"), ".".join(str(p) for p in err["loc"]), err["msg"], "fix the preset"
        ) from exc
    for name, preset in loaded.items():
        missing = set(ALL_CATEGORIES) - set(preset.block)
        if missing:
            raise ConfigError(
                str(DATA_DIR / "presets.yaml"),
                f"{name}.block",
                f"lacks {sorted(missing)}",
                "give every category a blocking level (mild, severe or off)",
            )
    return loaded


@cache
def known_regions() -> Regions:
    return _validated(Regions, "regions")

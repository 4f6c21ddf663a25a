"""The moderation data files (``data/*.yaml``), loaded and validated. The files are the policy's vocabulary."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

from storyvid_assets.errors import ConfigError
from storyvid_assets.yamlfile import load_yaml_model

DATA_DIR = Path(__file__).resolve().parent / "data"
TERM_CATEGORIES = ("profanity", "hate", "sexual", "violence", "self_harm", "frightening")
PATTERN_CATEGORY = "personal_data"
NAME_CATEGORY = "real_person"
ALL_CATEGORIES = (*TERM_CATEGORIES, PATTERN_CATEGORY, NAME_CATEGORY)
BlockLevel = Literal["mild", "severe", "off"]
M = TypeVar("M", bound=BaseModel)
DATA_FIX = "fix the moderation data file"
RESTORE_FIX = "restore the file from the repository"


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


class Presets(RootModel[dict[str, Preset]]):
    """``presets.yaml``: preset name -> preset."""


class Regions(_Data):
    regions: dict[str, str]
    default: list[str]


def _validated(model: type[M], name: str) -> M:
    return load_yaml_model(DATA_DIR / f"{name}.yaml", model, DATA_FIX, file_fix=RESTORE_FIX)


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
    loaded = _validated(Presets, "presets").root
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

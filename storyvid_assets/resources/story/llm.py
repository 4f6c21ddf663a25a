"""What every LLM story writer shares: prompts, JSON schemas, parsing and validation of the answers.

A model's answer becomes the same pydantic ``Story`` / ``PlatformMetadata`` the local writer returns. An
answer that is not JSON, was cut off, or breaks the request's limits raises ``InvalidOutput``; the writer
asks again (``output_retries``) and then gives up so the fallback chain moves on.
"""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storyvid_assets.distribution.limits import metadata_limits
from storyvid_assets.distribution.text import TITLE_CAP, check_request, fit_item, title_limit
from storyvid_assets.models import (
    Character,
    MetadataRequest,
    PlatformMetadata,
    ProviderTier,
    ProviderUsage,
    Scene,
    Story,
    StoryRequest,
    count_words,
)
from storyvid_assets.resources.cloud import InvalidOutput, Metered, MeteredProviderError, TierModels, usage
from storyvid_assets.resources.scope import current_scope
from storyvid_assets.resources.story import StoryWriter

T = TypeVar("T")

BEATS = ("setup", "inciting_incident", "rising_action", "climax", "resolution")
MOODS = ("calm", "dreamy", "tense", "dark", "epic", "playful", "melancholy")
WORD_TOLERANCE = 0.1  # models count words loosely: accept 10% outside the requested range
DESCRIPTION_RESERVE = 40  # room asked of the model for the hashtags and the marker line
TASK_STORY = "Task: story"
TASK_METADATA = "Task: platform_metadata"


class _DraftCharacter(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    description: str = Field(min_length=1)


class _DraftScene(BaseModel):
    model_config = ConfigDict(extra="ignore")
    beat: str
    narration: str = Field(min_length=1)
    image_prompt: str = Field(min_length=1)
    mood: str = "calm"


class StoryDraft(BaseModel):
    """The story as a model writes it: a ``Story`` without the fields StoryVid fills in."""

    model_config = ConfigDict(extra="ignore")
    title: str = Field(min_length=1, max_length=300)
    logline: str = Field(min_length=1)
    genre: str
    setting: str = Field(min_length=1)
    characters: list[_DraftCharacter] = Field(min_length=1)
    scenes: list[_DraftScene] = Field(min_length=1)


class _DraftMetadataItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    platform: str
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    hashtags: list[str] = Field(default_factory=list)


class MetadataDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[_DraftMetadataItem] = Field(min_length=1)


def story_schema() -> dict[str, Any]:
    """JSON schema of :class:`StoryDraft` for structured-output APIs."""
    text = {"type": "string"}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "logline", "genre", "setting", "characters", "scenes"],
        "properties": {
            "title": text,
            "logline": text,
            "genre": text,
            "setting": text,
            "characters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "role", "description"],
                    "properties": {"name": text, "role": text, "description": text},
                },
            },
            "scenes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["beat", "narration", "image_prompt", "mood"],
                    "properties": {
                        "beat": {"type": "string", "enum": list(BEATS)},
                        "narration": text,
                        "image_prompt": text,
                        "mood": {"type": "string", "enum": list(MOODS)},
                    },
                },
            },
        },
    }


def metadata_schema() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["platform", "title", "description", "hashtags"],
                    "properties": {
                        "platform": text,
                        "title": text,
                        "description": text,
                        "hashtags": {"type": "array", "items": text},
                    },
                },
            }
        },
    }


def story_prompt(request: StoryRequest) -> tuple[str, str]:
    """(system, user) messages asking for one episode as JSON."""
    system = (
        f"{TASK_STORY}\n"
        f"You write narrated story episodes for the channel '{request.channel_display_name}'. "
        "Answer with one JSON object and nothing else, with the keys: title, logline, genre, setting, "
        "characters (list of {name, role, description}; description is a short visual description reused in "
        f"every illustration), scenes (list of {{beat, narration, image_prompt, mood}}; beat is one of "
        f"{', '.join(BEATS)}; mood is one of {', '.join(MOODS)})."
    )
    audience = (
        "children at bedtime: gentle, safe, no violence or fear"
        if request.audience == "kids"
        else ("a general audience")
    )
    user = (
        f"Write the episode for {request.date} (attempt {request.attempt}).\n"
        f"Language: {request.language}. Audience: {audience}.\n"
        f"Genre: one of {json.dumps(request.genres)} (put the one you chose in 'genre').\n"
        f"Theme: pick one of {json.dumps(request.theme_pool)}.\n"
        f"Length: {request.min_words}-{request.max_words} words of narration in total, in "
        f"{request.min_scenes}-{request.max_scenes} scenes that follow the beats from setup to resolution.\n"
        "Each image_prompt describes one illustration of its scene, naming the characters' looks."
    )
    return system, user


def metadata_prompt(request: MetadataRequest) -> tuple[str, str]:
    """(system, user) messages asking for every platform's metadata, within the tightest of their limits."""
    limits = [metadata_limits(p) for p in request.platforms]
    title_max = min(min(title_limit(lim).max for lim in limits), TITLE_CAP)
    text_max = min(lim.text.max for lim in limits) - DESCRIPTION_RESERVE
    hashtags_max = min(lim.max_hashtags for lim in limits)
    system = (
        f"{TASK_METADATA}\n"
        "You write titles, descriptions and hashtags for short story videos. Answer with one JSON object and "
        'nothing else: {"items": [{platform, title, description, hashtags}]}, one item per platform asked for. '
        f"Titles at most {title_max} characters, descriptions at most {text_max} characters, "
        f"at most {hashtags_max} hashtags without '#'."
    )
    story = request.story
    user = (
        f"Channel: {request.channel_display_name}. Audience: {request.audience}.\n"
        f"Platforms: {json.dumps(request.platforms)}.\n"
        f"Channel hashtags: {json.dumps(request.hashtags)}.\n"
        f"Story title: {story.title}\nLogline: {story.logline}\nGenre: {story.genre}\n"
        f"Opening: {story.scenes[0].narration[:600]}"
    )
    return system, user


def extract_json(text: str) -> Any:
    """The JSON object in a model's answer (tolerating a Markdown code fence around it)."""
    stripped = text.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", stripped, re.DOTALL)
    if fence:
        stripped = fence.group(1)
    start, end = stripped.find("{"), stripped.rfind("}")
    if start < 0 or end <= start:
        raise InvalidOutput(f"the answer holds no JSON object (starts {stripped[:60]!r})")
    try:
        return json.loads(stripped[start : end + 1])
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"the answer is not valid JSON ({exc.msg} at {exc.pos})") from None


def _draft(model: type[T], data: Any) -> T:
    try:
        return model.model_validate(data)  # type: ignore[attr-defined,no-any-return]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise InvalidOutput(f"field {where}: {err['msg']}") from None


def parse_story(text: str, request: StoryRequest, provider: str) -> Story:
    """Validate a model's story answer against the request; raises ``InvalidOutput`` naming what is wrong."""
    draft = _draft(StoryDraft, extract_json(text))
    genres = {g.lower(): g for g in request.genres}
    genre = genres.get(draft.genre.strip().lower())
    if genre is None:
        raise InvalidOutput(f"genre {draft.genre!r} is not one of {request.genres}")
    if not request.min_scenes <= len(draft.scenes) <= request.max_scenes:
        raise InvalidOutput(f"{len(draft.scenes)} scenes, asked for {request.min_scenes}-{request.max_scenes}")
    for i, scene in enumerate(draft.scenes):
        if scene.beat not in BEATS:
            raise InvalidOutput(f"scenes.{i}.beat {scene.beat!r} is not one of {list(BEATS)}")
        if scene.mood not in MOODS:
            raise InvalidOutput(f"scenes.{i}.mood {scene.mood!r} is not one of {list(MOODS)}")
    words = sum(count_words(s.narration) for s in draft.scenes)
    low, high = request.min_words * (1 - WORD_TOLERANCE), request.max_words * (1 + WORD_TOLERANCE)
    if not low <= words <= high:
        raise InvalidOutput(f"{words} words of narration, asked for {request.min_words}-{request.max_words}")
    return Story(
        title=draft.title.strip(),
        logline=draft.logline.strip(),
        genre=genre,
        setting=draft.setting.strip(),
        characters=[
            Character(name=c.name.strip(), role=c.role.strip(), description=c.description.strip())
            for c in draft.characters
        ],
        scenes=[
            Scene(
                index=i,
                beat=s.beat,
                narration=" ".join(s.narration.split()),
                image_prompt=s.image_prompt.strip(),
                mood=s.mood,
            )
            for i, s in enumerate(draft.scenes)
        ],
        language=request.language,
        provider=provider,
        source="generated",
        attempt=request.attempt,
    )


def parse_metadata(text: str, request: MetadataRequest) -> PlatformMetadata:
    """Validate a model's metadata answer: one item per platform asked for, fitted to each platform's limits
    (hashtags and the content marker as the local builder writes them)."""
    draft = _draft(MetadataDraft, extract_json(text))
    by_platform = {item.platform.strip().lower(): item for item in draft.items}
    missing = [p for p in request.platforms if p not in by_platform]
    if missing:
        raise InvalidOutput(f"no metadata for platforms {missing}")
    items = [
        fit_item(
            request,
            platform,
            by_platform[platform].title,
            [by_platform[platform].description],
            [*request.hashtags, *by_platform[platform].hashtags],
        )
        for platform in dict.fromkeys(request.platforms)
    ]
    return PlatformMetadata(items=items, content_marker=request.content_marker)


@dataclass
class Completion:
    """One model answer: its text, whether it was cut off, and the usage the response reported."""

    text: str
    truncated: bool
    units: dict[str, float] = field(default_factory=dict)
    refusal: str | None = None


class CloudStoryWriter(StoryWriter):
    """A story writer that calls a billed LLM: one model per tier, usage reported with every answer."""

    provider_name: str
    models: TierModels
    tier: ProviderTier = "premium"  # tier used when called directly (a fallback chain picks it per call)
    output_retries: int = 1  # ask again this many times after an invalid or truncated answer
    max_output_tokens: int = 4000
    temperature: float = 0.9

    @abstractmethod
    def complete(self, system: str, user: str, schema_name: str, schema: dict[str, Any], model: str) -> Completion:
        """One call to the model; raises ``MeteredProviderError`` for an error answer."""

    def _validated(
        self,
        kind: str,
        tier: ProviderTier,
        prompt: tuple[str, str],
        schema_name: str,
        schema: dict[str, Any],
        parse: Callable[[str, str], T],
    ) -> Metered[T]:
        model = self.models.for_tier(tier)
        spent: list[ProviderUsage] = []
        problem = ""
        for _ in range(self.output_retries + 1):
            try:
                answer = self.complete(prompt[0], prompt[1], schema_name, schema, model)
            except MeteredProviderError as exc:
                exc.usage = spent + exc.usage
                raise
            try:
                if answer.refusal:
                    raise InvalidOutput(f"the model refused: {answer.refusal[:200]}")
                if answer.truncated:
                    raise InvalidOutput("truncated: the answer stopped at the output token limit")
                result = parse(answer.text, model)
            except InvalidOutput as exc:
                problem = str(exc)
                spent.append(usage(kind, self.provider_name, model, tier, answer.units, "invalid", problem))
                continue
            spent.append(usage(kind, self.provider_name, model, tier, answer.units))
            return Metered(result, spent)
        raise MeteredProviderError(
            self.provider_name,
            f"no valid {kind} in {self.output_retries + 1} answers from {model}: {problem}",
            retryable=True,
            usage=spent,
            invalid_output=True,
        )

    def write_story_metered(self, request: StoryRequest, tier: ProviderTier) -> Metered[Story]:
        return self._validated(
            "story",
            tier,
            story_prompt(request),
            "story",
            story_schema(),
            lambda text, model: parse_story(text, request, f"{self.provider_name}:{model}"),
        )

    def write_metadata_metered(self, request: MetadataRequest, tier: ProviderTier) -> Metered[PlatformMetadata]:
        check_request(request)  # an unknown platform or a bad marker fails before a billed call
        return self._validated(
            "metadata",
            tier,
            metadata_prompt(request),
            "platform_metadata",
            metadata_schema(),
            lambda text, _model: parse_metadata(text, request),
        )

    def write_story(self, request: StoryRequest) -> Story:
        metered = self.write_story_metered(request, self.tier)
        for spent in metered.usage:
            current_scope().report(spent)
        return metered.result

    def write_metadata(self, request: MetadataRequest) -> PlatformMetadata:
        metered = self.write_metadata_metered(request, self.tier)
        for spent in metered.usage:
            current_scope().report(spent)
        return metered.result

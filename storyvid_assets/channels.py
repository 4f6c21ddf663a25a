"""Channel configuration: one YAML file per channel under ``channels/``, validated with pydantic."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date as Date
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from storyvid_assets.analytics.models import (
    NUMERIC_TUNABLES,
    TUNABLE_SETTINGS,
    ExperimentSpec,
    OptimizationSettings,
    PolicyLimits,
    TunableSettings,
)
from storyvid_assets.errors import ConfigError
from storyvid_assets.models import FORMAT_SIZES, Audience, Platform, VoiceSettings
from storyvid_assets.provider_config import ChannelProviders
from storyvid_assets.settings import CHANNELS_DIR_ENV, REPO_ROOT, settings
from storyvid_assets.yamlfile import FILE_FIELD, load_yaml_model

DEFAULT_CHANNELS_DIR = REPO_ROOT / "channels"
SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")

FIX_HINTS: dict[str, str] = {
    "name": "use lowercase letters, digits, '-' or '_' (it becomes the partition key)",
    "formats": f"use some of {sorted(FORMAT_SIZES)}",
    "platforms": "use some of ['local', 'youtube', 'instagram', 'tiktok', 'facebook']",
    "audience": "use 'general' or 'kids'",
    "schedule": "give hour (0-23) and an IANA timezone such as 'Europe/London'",
    "look": "grade is one of neutral, warm_bedtime, cold_horror, vivid, faded_film; vignette/grain 0..1",
    "moderation": "preset: standard|strict (kids are always strict); regions: see moderation/data/regions.yaml",
    "distribution": "formats/accounts/publish_delay_minutes are keyed by youtube|instagram|tiktok|facebook; "
                    "privacy is public|unlisted|private",
    "providers": "chains list provider names in fallback order (e.g. story: [openai, anthropic, local]); tier is "
                 "premium|standard|budget; budgets_usd maps a provider to a daily USD amount above 0",
    "optimization": "keys: enabled, target (completion_rate|views_per_day), horizon_days, min_sample, confidence, "
                    "auto_apply, max_step ({narrator_rate|posting_hour|target_words: number}), explore (0..0.5), "
                    f"tunables (some of {list(TUNABLE_SETTINGS)}), choices (tunable -> values the channel's policy "
                    "allows), policy (forbidden_genres, forbidden_moods, min_rate, max_rate, allowed_hours); a kids "
                    "channel never chooses the horror genre, tense/dark music or a rate above 170",
    "experiments": "each experiment: name (a unique slug), setting (a tunable), variants (two or more values valid "
                   "for the setting and allowed by the channel's policy), start (YYYY-MM-DD); optional metric "
                   "(completion_rate|views_per_day), min_sample, alpha, max_days, weights (one per variant)",
    "thumbnail_variant": "use 'a' or 'b' (the thumbnail variant that becomes the cover)",
    "target_words": "give a number of words between 150 and 1500, or leave it out for the writer's 300-500",
}

# The loop's built-in policy for kids channels, on top of each channel's ``optimization.policy``. Genres are
# refused unless the story vocabulary marks them ``kids: true`` (storyvid_assets/story/data/<genre>.yaml).
KIDS_FORBIDDEN_MOODS = ("tense", "dark")
KIDS_MAX_RATE = 170  # words per minute


class MusicSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mood: Literal["calm", "dreamy", "tense", "dark", "epic", "playful", "melancholy"] = "calm"
    volume_db: float = Field(default=-20.0, le=0.0, ge=-60.0)


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hour: int = Field(default=6, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value


HEX_COLOUR_CHARS = set("0123456789abcdefABCDEF")


class LookSettings(BaseModel):
    """How the channel's videos look: colour grade, vignette, grain, caption style and title cards."""

    model_config = ConfigDict(extra="forbid")
    grade: Literal["neutral", "warm_bedtime", "cold_horror", "vivid", "faded_film"] = "neutral"
    vignette: float = Field(default=0.0, ge=0.0, le=1.0)  # 0 = off, 1 = strong
    grain: float = Field(default=0.0, ge=0.0, le=1.0)  # 0 = off; animated grain costs encode time
    caption_style: Literal["bold", "clean", "storybook"] = "bold"
    caption_highlight: str = "#FFD23F"  # colour of the word being spoken
    intro_card: bool = True  # the title over the first seconds
    end_card: bool = True  # the channel name over the last seconds

    @field_validator("caption_highlight")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if len(value) != 7 or value[0] != "#" or not set(value[1:]) <= HEX_COLOUR_CHARS:
            raise ValueError(f"{value!r} is not a colour like '#FFD23F'")
        return value.upper()


class ProviderThresholdSettings(BaseModel):
    """Classifier scores at or above ``mild`` count as mild, at or above ``severe`` as severe."""

    model_config = ConfigDict(extra="forbid")
    mild: float = Field(ge=0.0, le=1.0)
    severe: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ProviderThresholdSettings:
        if self.mild > self.severe:
            raise ValueError(f"mild ({self.mild}) must not exceed severe ({self.severe}); e.g. mild: 0.2, severe: 0.6")
        return self


class ModerationSettings(BaseModel):
    """The channel's moderation policy: preset, regional rules, names that must never appear, own terms."""

    model_config = ConfigDict(extra="forbid")
    preset: Literal["standard", "strict"] | None = None  # None: strict for audience kids, else standard
    regions: list[str] = Field(default_factory=lambda: ["us", "uk"])  # regional word lists and data formats
    real_person_names: list[str] = Field(default_factory=list)  # e.g. ["Jane Doe"]; never in a story
    extra_terms: dict[str, list[str]] = Field(default_factory=dict)  # category -> words blocked on this channel
    allow_terms: list[str] = Field(default_factory=list)  # words this channel may use despite the lists
    # scores of a moderation classifier (text and images) -> levels; None: the preset's thresholds
    provider_thresholds: ProviderThresholdSettings | None = None
    # fail the image gate closed when no classifier can look at the pictures (sensible for kids' channels)
    require_image_moderation: bool = False
    # a failed gate first regenerates the asset this many times by itself, then asks a person
    auto_regenerations: int = Field(default=2, ge=0, le=5)

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        from storyvid_assets.moderation.wordlists import known_regions

        unknown = sorted(set(value) - set(known_regions().regions))
        if unknown:
            raise ValueError(f"unknown region(s) {unknown}; known: {sorted(known_regions().regions)}")
        return value

    @field_validator("extra_terms")
    @classmethod
    def _known_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from storyvid_assets.moderation.wordlists import TERM_CATEGORIES

        unknown = sorted(set(value) - set(TERM_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; use some of {list(TERM_CATEGORIES)}")
        return value


SOCIAL_PLATFORMS = ("youtube", "instagram", "tiktok", "facebook")
SocialPlatform = Literal["youtube", "instagram", "tiktok", "facebook"]
DEFAULT_DISTRIBUTION_FORMATS: dict[str, list[str]] = {
    "youtube": ["16:9", "9:16"], "instagram": ["9:16"], "tiktok": ["9:16"], "facebook": ["16:9"]}


class DistributionSettings(BaseModel):
    """Which rendered formats go to which platform, on which account, how visible, and when they go live."""

    model_config = ConfigDict(extra="forbid")
    # platform -> formats; unlisted platforms use DEFAULT_DISTRIBUTION_FORMATS (YouTube 9:16 = Shorts,
    # Instagram 1:1 = feed post, Facebook 9:16 = Reel)
    formats: dict[SocialPlatform, list[Literal["16:9", "9:16", "1:1"]]] = Field(default_factory=dict)
    accounts: dict[SocialPlatform, str] = Field(default_factory=dict)  # platform -> account label
    privacy: Literal["public", "unlisted", "private"] = "public"
    publish_delay_minutes: dict[SocialPlatform, int] = Field(default_factory=dict)  # scheduled go-live (YT, FB)

    @field_validator("publish_delay_minutes")
    @classmethod
    def _delay_range(cls, value: dict[str, int]) -> dict[str, int]:
        for platform, minutes in value.items():
            if not 0 <= minutes <= 30 * 24 * 60 or (platform == "facebook" and 0 < minutes < 10):
                raise ValueError(f"{platform}: {minutes} minutes is outside 0 (now) .. 43200 (30 days)"
                                 + (" and Facebook needs at least 10" if platform == "facebook" else ""))
        return value

    def formats_for(self, platform: str) -> list[str]:
        return list(self.formats.get(platform, DEFAULT_DISTRIBUTION_FORMATS.get(platform, [])))  # type: ignore[call-overload]

    def account_for(self, platform: str) -> str:
        return self.accounts.get(platform, "default")  # type: ignore[call-overload]


def kids_safe_genre(name: str) -> bool:
    """Whether the story vocabulary may tell ``name`` to children (an unknown genre is not known to be safe)."""
    from storyvid_assets.story import vocabulary

    return name in vocabulary.available_genres() and vocabulary.genre(name).kids


def policy_problems(audience: str, limits: PolicyLimits, settings: Mapping[str, Any]) -> list[str]:
    """Why the loop may not choose ``settings`` (tunable -> value; ``None`` values are skipped) for a channel with
    this audience and ``optimization.policy``: one sentence per problem, none when allowed."""
    problems = []
    genre, mood = settings.get("genre"), settings.get("music_mood")
    rate, hour = settings.get("narrator_rate"), settings.get("posting_hour")
    if genre is not None:
        if audience == "kids" and not kids_safe_genre(str(genre)):
            problems.append(f"genre {genre!r} is never told on a kids channel")
        if genre in limits.forbidden_genres:
            problems.append(f"genre {genre!r} is forbidden by the channel's policy (forbidden_genres)")
    if mood is not None:
        if audience == "kids" and mood in KIDS_FORBIDDEN_MOODS:
            problems.append(f"music mood {mood!r} is never used on a kids channel")
        if mood in limits.forbidden_moods:
            problems.append(f"music mood {mood!r} is forbidden by the channel's policy (forbidden_moods)")
    if rate is not None:
        if audience == "kids" and rate > KIDS_MAX_RATE:
            problems.append(f"a narration rate of {rate} words per minute is too fast for a kids channel "
                            f"(at most {KIDS_MAX_RATE})")
        if not limits.min_rate <= rate <= limits.max_rate:
            problems.append(f"a narration rate of {rate} words per minute is outside the channel's policy "
                            f"({limits.min_rate}..{limits.max_rate})")
    if hour is not None and limits.allowed_hours is not None and hour not in limits.allowed_hours:
        problems.append(f"posting hour {hour} is not one of the channel's allowed hours {limits.allowed_hours}")
    return problems


def valid_value(setting: str, value: Any, genres: list[str]) -> Any:
    """``value`` as the tunable ``setting`` holds it (``"150"`` -> 150); ``ValueError`` saying why when it is not
    a valid value of ``setting`` for a channel telling ``genres`` (the policy is :func:`policy_problems`)."""
    if setting not in TUNABLE_SETTINGS:
        raise ValueError(f"{setting!r} is not a tunable setting; use one of {list(TUNABLE_SETTINGS)}")
    try:
        value = getattr(TunableSettings.model_validate({setting: value}), setting)
    except ValidationError as exc:
        raise ValueError(f"{value!r} is not a valid {setting}: {exc.errors()[0]['msg']}") from None
    if setting == "genre" and value not in genres:
        raise ValueError(f"genre {value!r} is not one of the channel's genres {genres}")
    return value


def allowed_value(setting: str, value: Any, audience: str, limits: PolicyLimits, genres: list[str]) -> Any:
    """:func:`valid_value`, and a ``ValueError`` too when the policy does not allow it."""
    value = valid_value(setting, value, genres)
    problems = policy_problems(audience, limits, {setting: value})
    if problems:
        raise ValueError(problems[0])
    return value


class ChannelConfig(BaseModel):
    """One faceless story channel: what it tells, how it sounds, where it publishes."""

    model_config = ConfigDict(extra="forbid")

    name: str
    display_name: str
    language: str = "en"
    audience: Audience = "general"
    genres: list[str] = Field(min_length=1)
    theme_pool: list[str] = Field(min_length=1)
    narrator: VoiceSettings = VoiceSettings()
    music: MusicSettings = MusicSettings()
    formats: list[Literal["16:9", "9:16", "1:1"]] = Field(default_factory=lambda: ["16:9", "9:16", "1:1"], min_length=1)
    platforms: list[Platform] = Field(default_factory=lambda: ["local"], min_length=1)
    schedule: ScheduleSettings = ScheduleSettings()
    captions: bool = True
    look: LookSettings = LookSettings()
    moderation: ModerationSettings = ModerationSettings()
    distribution: DistributionSettings = DistributionSettings()
    providers: ChannelProviders = ChannelProviders()  # cloud AI chains, tier and budgets (STORYVID_ENV=cloud)
    hashtags: list[str] = Field(default_factory=list)
    thumbnail_variant: Literal["a", "b"] = "a"  # which thumbnail variant becomes the cover
    target_words: int | None = Field(default=None, ge=150, le=1500)  # None: the writer's default 300-500
    optimization: OptimizationSettings = OptimizationSettings()  # what the analytics loop may change, how far
    experiments: list[ExperimentSpec] = Field(default_factory=list)
    source_file: str = ""

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not value or not set(value) <= SLUG_CHARS:
            raise ValueError(f"{value!r} is not a lowercase slug")
        return value

    @field_validator("formats", "platforms")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists each entry once at most")
        return value

    @field_validator("optimization")
    @classmethod
    def _choices_allowed(cls, value: OptimizationSettings, info: ValidationInfo) -> OptimizationSettings:
        audience, genres = info.data.get("audience", "general"), info.data.get("genres", [])
        for setting in value.max_step:
            if setting not in NUMERIC_TUNABLES:
                raise ValueError(f"max_step: {setting!r} is not a numeric tunable; use some of "
                                 f"{sorted(NUMERIC_TUNABLES)}")
        choices = {}
        for setting, values in value.choices.items():
            try:
                choices[setting] = [allowed_value(setting, v, audience, value.policy, genres) for v in values]
            except ValueError as exc:
                raise ValueError(f"choices.{setting}: {exc}") from None
        return value.model_copy(update={"choices": choices})

    @field_validator("experiments", mode="before")
    @classmethod
    def _iso_start(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-03-01 as a date; the experiment keeps its ISO text
        if isinstance(value, list):
            return [{**item, "start": item["start"].isoformat()}
                    if isinstance(item, dict) and isinstance(item.get("start"), Date) else item for item in value]
        return value

    @field_validator("experiments")
    @classmethod
    def _experiments_allowed(cls, value: list[ExperimentSpec], info: ValidationInfo) -> list[ExperimentSpec]:
        audience, genres = info.data.get("audience", "general"), info.data.get("genres", [])
        policy = info.data.get("optimization", OptimizationSettings()).policy
        names = [spec.name for spec in value]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"experiment names must be unique on a channel; {twice} appear more than once")
        checked = []
        for spec in value:
            try:
                Date.fromisoformat(spec.start)
            except ValueError:
                raise ValueError(f"experiment {spec.name!r}: start {spec.start!r} is not a YYYY-MM-DD date") from None
            try:
                variants = [allowed_value(spec.setting, v, audience, policy, genres) for v in spec.variants]
            except ValueError as exc:
                raise ValueError(f"experiment {spec.name!r}: {exc}") from None
            checked.append(spec.model_copy(update={"variants": variants}))
        return checked

    @model_validator(mode="after")
    def _kids_are_strict(self) -> ChannelConfig:
        if self.audience == "kids" and self.moderation.preset == "standard":
            raise ValueError("moderation.preset 'standard' is not allowed for audience 'kids'; use 'strict' or omit it")
        return self

    @property
    def is_kids(self) -> bool:
        return self.audience == "kids"


def channels_dir() -> Path:
    """Where channel files live: ``$STORYVID_CHANNELS_DIR`` or the repository's ``channels/``."""
    return settings().channels_dir or DEFAULT_CHANNELS_DIR


def channel_fix(field: str) -> str:
    """How to repair ``field`` of a channel file."""
    if field == FILE_FIELD:
        return "write 'key: value' lines, see channels/bedtime.yaml"
    return FIX_HINTS.get(field.split(".")[0], "see channels/bedtime.yaml for a complete example")


def load_channel_file(path: Path) -> ChannelConfig:
    """Parse and validate one channel file; errors name the file, the field and the fix."""
    channel = load_yaml_model(path, ChannelConfig, channel_fix, defaults={"name": path.stem})
    if channel.name != path.stem:
        raise ConfigError(
            str(path), "name", f"{channel.name!r} differs from the file name {path.stem!r}",
            f"rename the file to {channel.name}.yaml or set name: {path.stem}",
        )
    return channel.model_copy(update={"source_file": str(path)})


def load_channels(directory: Path | None = None) -> dict[str, ChannelConfig]:
    """All channels in ``directory`` (default :func:`channels_dir`), keyed by name; read once per folder."""
    return dict(_read_channels(Path(directory or channels_dir()).resolve()))


@cache
def _read_channels(directory: Path) -> dict[str, ChannelConfig]:
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ConfigError(str(directory), "(directory)", "holds no channel files",
                          f"add a <name>.yaml channel file or point {CHANNELS_DIR_ENV} at a folder that has one")
    channels = {}
    for path in files:
        channel = load_channel_file(path)
        channels[channel.name] = channel
    return channels


def reset_channels() -> None:
    """Forget the channels read so far (the next :func:`load_channels` reads the files again)."""
    _read_channels.cache_clear()


def get_channel(name: str, channels: dict[str, ChannelConfig] | None = None) -> ChannelConfig:
    """The channel called ``name`` (from the cached channel files unless ``channels`` is given)."""
    channels = channels if channels is not None else load_channels()
    if name not in channels:
        raise ConfigError(str(channels_dir()), "channel", f"unknown channel {name!r}",
                          f"use one of {sorted(channels)} or add {name}.yaml")
    return channels[name]

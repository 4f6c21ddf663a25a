"""Channel configuration: one YAML file per channel under ``channels/``, validated with pydantic."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
}


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


class ModerationSettings(BaseModel):
    """The channel's moderation policy: preset, regional rules, names that must never appear, own terms."""

    model_config = ConfigDict(extra="forbid")
    preset: Literal["standard", "strict"] | None = None  # None: strict for audience kids, else standard
    regions: list[str] = Field(default_factory=lambda: ["us", "uk"])  # regional word lists and data formats
    real_person_names: list[str] = Field(default_factory=list)  # e.g. ["Jane Doe"]; never in a story
    extra_terms: dict[str, list[str]] = Field(default_factory=dict)  # category -> words blocked on this channel
    allow_terms: list[str] = Field(default_factory=list)  # words this channel may use despite the lists

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

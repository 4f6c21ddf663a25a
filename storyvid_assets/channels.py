"""Channel configuration: one YAML file per channel under ``channels/``, validated with pydantic."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import FORMAT_SIZES, Audience, Platform, VoiceSettings

CHANNELS_DIR_ENV = "STORYVID_CHANNELS_DIR"
DEFAULT_CHANNELS_DIR = Path(__file__).resolve().parent.parent / "channels"
SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")

FIX_HINTS: dict[str, str] = {
    "name": "use lowercase letters, digits, '-' or '_' (it becomes the partition key)",
    "formats": f"use some of {sorted(FORMAT_SIZES)}",
    "platforms": "use some of ['local', 'youtube', 'instagram', 'tiktok', 'facebook']",
    "audience": "use 'general' or 'kids'",
    "schedule": "give hour (0-23) and an IANA timezone such as 'Europe/London'",
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

    @property
    def is_kids(self) -> bool:
        return self.audience == "kids"


def channels_dir() -> Path:
    """Where channel files live: ``$STORYVID_CHANNELS_DIR`` or the repository's ``channels/``."""
    return Path(os.environ.get(CHANNELS_DIR_ENV) or DEFAULT_CHANNELS_DIR)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(file)"
    return field, err["msg"]


def load_channel_file(path: Path) -> ChannelConfig:
    """Parse and validate one channel file; errors name the file, the field and the fix."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "(file)", f"is not valid YAML ({exc})", "fix the YAML syntax") from exc
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "(file)", "is not a mapping", "write 'key: value' lines, see channels/bedtime.yaml")
    raw.setdefault("name", path.stem)
    try:
        channel = ChannelConfig.model_validate(raw)
    except ValidationError as exc:
        field, msg = _first_error(exc)
        top = field.split(".")[0]
        fix = FIX_HINTS.get(top, "see channels/bedtime.yaml for a complete example")
        if msg.lower().startswith("field required"):
            fix = f"add '{field}' to the file; " + fix
        raise ConfigError(str(path), field, msg, fix) from exc
    if channel.name != path.stem:
        raise ConfigError(
            str(path), "name", f"{channel.name!r} differs from the file name {path.stem!r}",
            f"rename the file to {channel.name}.yaml or set name: {path.stem}",
        )
    return channel.model_copy(update={"source_file": str(path)})


def load_channels(directory: Path | None = None) -> dict[str, ChannelConfig]:
    """All channels in ``directory`` (default :func:`channels_dir`), keyed by name."""
    directory = directory or channels_dir()
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ConfigError(str(directory), "(directory)", "holds no channel files",
                          f"add a <name>.yaml channel file or point {CHANNELS_DIR_ENV} at a folder that has one")
    channels = {}
    for path in files:
        channel = load_channel_file(path)
        channels[channel.name] = channel
    return channels


def get_channel(name: str, channels: dict[str, ChannelConfig] | None = None) -> ChannelConfig:
    channels = channels if channels is not None else load_channels()
    if name not in channels:
        raise ConfigError(str(channels_dir()), "channel", f"unknown channel {name!r}",
                          f"use one of {sorted(channels)} or add {name}.yaml")
    return channels[name]

"""The policy version: one short hash of everything that decides whether an episode passes moderation.

It covers the data files in force (word lists, personal-data patterns, presets, regions), the channel's
preset, regions, names, own and allowed terms, classifier thresholds and image requirement, and the
media rules' limits. Every check result and review item records it, so a change of any of these finds the
episodes judged under the old one (``storyvid moderation judged --stale``).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from pydantic import BaseModel

from storyvid_assets.channels import ChannelConfig, ModerationSettings
from storyvid_assets.moderation import audio, images
from storyvid_assets.moderation.wordlists import DATA_DIR

VERSION_CHARS = 12
# the settings that decide a verdict; auto_regenerations only decides what happens after one
JUDGING_SETTINGS = ("regions", "real_person_names", "extra_terms", "allow_terms", "provider_thresholds",
                    "require_image_moderation")


class PolicyVersion(BaseModel):
    """The version and what it was computed from (shown in check metadata and by the CLI)."""

    version: str
    preset: str
    data_files: dict[str, str]  # file name -> sha256 prefix
    channel_settings: dict[str, Any]
    media_rules: dict[str, Any]


def media_rules() -> dict[str, Any]:
    """The limits of the image and audio checks (code constants, versioned with the lists)."""
    names = {
        images: ("BLANK_STD", "DARK_MEAN", "DARK_P99", "BRIGHT_MEAN", "BRIGHT_P01", "DUPLICATE_MAX_DISTANCE"),
        audio: ("SILENCE_DBFS", "MAX_GAP_S", "MAX_LEADING_S", "MAX_TRAILING_S", "CLIP_LEVEL", "CLIP_RUN",
                "WPM_RATIO_RANGE", "WORD_COVERAGE_RANGE", "DURATION_TOLERANCE_S", "MAX_MUSIC_TAIL_S",
                "PEAK_TOLERANCE_DB"),
    }
    return {f"{module.__name__.rsplit('.', 1)[-1]}.{n}": getattr(module, n) for module, ns in names.items() for n in ns}


@cache
def data_file_digests() -> tuple[tuple[str, str], ...]:
    """(name, sha256 prefix) of every moderation data file, sorted (files are read once per process)."""
    return tuple(
        (path.name, hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_CHARS])
        for path in sorted(DATA_DIR.glob("*.yaml"))
    )


def effective_preset(settings: ModerationSettings, audience: str) -> str:
    """Kids' channels are always strict; otherwise the channel's choice, default standard."""
    if audience == "kids":
        return "strict"
    return settings.preset or "standard"


def policy_version(settings: ModerationSettings, audience: str) -> PolicyVersion:
    """The version of the policy that judges a channel with ``settings`` and ``audience``."""
    chosen = settings.model_dump(mode="json", include=set(JUDGING_SETTINGS))
    parts = {
        "preset": effective_preset(settings, audience),
        "data_files": dict(data_file_digests()),
        "channel_settings": chosen,
        "media_rules": media_rules(),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=list).encode()).hexdigest()[:VERSION_CHARS]
    return PolicyVersion(version=digest, **parts)


def channel_policy_version(channel: ChannelConfig) -> PolicyVersion:
    return policy_version(channel.moderation, channel.audience)

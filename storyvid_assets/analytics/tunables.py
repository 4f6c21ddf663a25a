"""The settings the loop may change, layered over a channel file: read them, stack layers, apply them, explore.

An episode's settings are ``resolve(base_settings(channel), active_version, exploration, experiments)``: the
channel file, then the active configuration version, then (some days) an exploration, then experiment
assignments; later layers win. :func:`apply_settings` turns the result back into a channel for the steps.

Exploration (:func:`explore`) tries another value of one tunable on a share of the days, so the model sees
more than the values the channel already uses. Candidates are ``optimization.choices[setting]`` or, without
choices, a default neighbourhood of the current value (:data:`NEIGHBOURHOOD`): narration rate ±10 words per
minute, posting hour ±2 (kept within the same day), target words ±100 (around 400, the middle of the writer's
300-500, when the channel leaves it unset) and the other thumbnail variant. Voice, music mood, genre and
provider tier are explored only from ``choices``: there is no neighbour of a voice. A candidate the policy
refuses is never tried.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from storyvid_assets.analytics.models import (
    TUNABLE_SETTINGS,
    OptimizationSettings,
    TunableSettings,
)
from storyvid_assets.channels import ChannelConfig, policy_problems
from storyvid_assets.errors import ConfigError
from storyvid_assets.models import Audience
from storyvid_assets.story.writer import stable_seed

NEIGHBOURHOOD: dict[str, int] = {"narrator_rate": 10, "posting_hour": 2, "target_words": 100}
DEFAULT_TARGET_WORDS = 400  # the middle of the writer's default 300-500 words
HASH_SPAN = 2**64  # stable_seed returns 64 bits


def channel_source(channel: ChannelConfig) -> str:
    return channel.source_file or f"channels/{channel.name}.yaml"


def base_settings(channel: ChannelConfig) -> TunableSettings:
    """Every tunable as the channel file sets it (``target_words`` stays ``None`` for the writer's default)."""
    return TunableSettings(
        narrator_voice=channel.narrator.voice,
        narrator_rate=channel.narrator.rate,
        music_mood=channel.music.mood,
        genre=channel.genres[0],
        posting_hour=channel.schedule.hour,
        thumbnail_variant=channel.thumbnail_variant,
        provider_tier=channel.providers.tier,
        target_words=channel.target_words,
    )


def resolve(base: TunableSettings, *layers: dict[str, Any]) -> TunableSettings:
    """``base`` with each layer's values on top, later layers winning; a ``None`` value leaves the setting as the
    layers below have it. An unknown setting or an invalid value is a ``ConfigError`` naming it."""
    merged = base.model_dump()
    for layer in layers:
        for setting, value in layer.items():
            if setting not in TUNABLE_SETTINGS:
                raise ConfigError("configuration layer", setting, "is not a tunable setting",
                                  f"use some of {list(TUNABLE_SETTINGS)}")
            if value is not None:
                merged[setting] = value
    return validated(merged, "configuration layer")


def validated(values: dict[str, Any], source: str) -> TunableSettings:
    try:
        return TunableSettings.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        setting = ".".join(str(part) for part in err["loc"])
        raise ConfigError(source, setting, f"{err.get('input')!r} is not valid ({err['msg']})",
                          f"give {setting} a valid value (see TunableSettings in storyvid_assets/analytics/models.py)"
                          ) from exc


def apply_settings(channel: ChannelConfig, settings: TunableSettings) -> ChannelConfig:
    """A copy of ``channel`` made with ``settings`` (``None`` keeps the file's value). The chosen genre goes first
    and must be one of the channel's genres; a value the channel's policy refuses is a ``ConfigError``
    (values the file itself sets are the operator's and are kept)."""
    source = channel_source(channel)
    file_values = base_settings(channel).model_dump()
    changes = {k: v for k, v in settings.model_dump().items() if v is not None and v != file_values[k]}
    if "genre" in changes and changes["genre"] not in channel.genres:
        raise ConfigError(source, "genre", f"{changes['genre']!r} is not one of the channel's genres {channel.genres}",
                          f"choose one of {channel.genres} or add it to the channel's genres")
    for setting, value in changes.items():
        problems = policy_problems(channel.audience, channel.optimization.policy, {setting: value})
        if problems:
            raise ConfigError(source, setting, problems[0], "choose a value the channel's policy allows")
    if not changes:
        return channel.model_copy()
    value = {**file_values, **changes}
    genres = [value["genre"], *(g for g in channel.genres if g != value["genre"])]
    return channel.model_copy(update={
        "narrator": channel.narrator.model_copy(update={"voice": value["narrator_voice"],
                                                        "rate": value["narrator_rate"]}),
        "music": channel.music.model_copy(update={"mood": value["music_mood"]}),
        "genres": genres,
        "schedule": channel.schedule.model_copy(update={"hour": value["posting_hour"]}),
        "thumbnail_variant": value["thumbnail_variant"],
        "providers": channel.providers.model_copy(update={"tier": value["provider_tier"]}),
        "target_words": value["target_words"],
    })


def policy_violations(channel: ChannelConfig, settings: dict[str, Any]) -> list[str]:
    """Why the loop may not choose ``settings`` for ``channel``: the built-in kids policy (no genre the story
    vocabulary keeps from children, such as horror; no tense or dark music; narration at most 170 words per
    minute) and the channel's ``optimization.policy``. One sentence per problem; empty when allowed."""
    return policy_problems(channel.audience, channel.optimization.policy, settings)


def neighbours(setting: str, current: Any, optimization: OptimizationSettings) -> list[Any]:
    """The values exploration may try for ``setting`` instead of ``current`` (before the policy is asked)."""
    if setting in optimization.choices:
        return [v for v in optimization.choices[setting] if v != current]
    if setting == "thumbnail_variant":
        return [v for v in ("a", "b") if v != current]
    if setting not in NEIGHBOURHOOD:
        return []
    step = NEIGHBOURHOOD[setting]
    centre = DEFAULT_TARGET_WORDS if current is None and setting == "target_words" else current
    if centre is None:
        return []
    bounds = TunableSettings.model_fields[setting].metadata
    low = max([m.ge for m in bounds if hasattr(m, "ge")], default=centre - step)
    high = min([m.le for m in bounds if hasattr(m, "le")], default=centre + step)
    return [v for v in (centre - step, centre + step) if low <= v <= high and v != current]


def hash_share(*parts: object) -> float:
    """A number in [0, 1) that is the same for the same parts on every machine and run."""
    return stable_seed(*parts) / HASH_SPAN


def explore(
    channel_name: str,
    date: str,
    settings: TunableSettings,
    optimization: OptimizationSettings,
    *,
    audience: Audience | None = None,
) -> dict[str, Any]:
    """The exploration layer of one episode: ``{}`` on most days; on a share ``optimization.explore`` of them
    (decided by a hash of channel, date and "explore"), another value of one of ``optimization.tunables``.

    The setting and the value are chosen by hashes too, so a rerun or a backfill explores the same way. Only
    values ``optimization.policy`` allows are tried, and the kids policy too when ``audience`` is ``"kids"``
    or unknown (``None``: pass the channel's audience to explore beyond the kids limits)."""
    if not optimization.enabled or hash_share(channel_name, date, "explore") >= optimization.explore:
        return {}
    kids_rules = audience if audience is not None else "kids"
    current = settings.model_dump()
    candidates = {}
    for setting in optimization.tunables:
        allowed = [v for v in neighbours(setting, current[setting], optimization)
                   if not policy_problems(kids_rules, optimization.policy, {setting: v})]
        if allowed:
            candidates[setting] = allowed
    if not candidates:
        return {}
    setting = list(candidates)[stable_seed(channel_name, date, "explore", "setting") % len(candidates)]
    values = candidates[setting]
    return {setting: values[stable_seed(channel_name, date, "explore", setting) % len(values)]}

"""The simulated audience: a documented generative model of how viewers respond to an episode, so the whole
analytics loop runs offline. Everything it produces is simulated (the catalog labels it ``simulated=True``).

Parameters live in ``data/audience.yaml`` (schema: ``AudienceModel``). For an upload on day-of-life ``d``
(0 = the day it went live; nothing before):

- **views**: ``base_views[platform] × Π(1 + views effect) × decay(d)`` is the expected figure, with
  ``decay(d) = (1 − tail)·2^(−d/half_life) + tail·2^(−d/tail_half_life)``. The day's views are
  ``Poisson(expected × episode factor × day factor)``; both factors are lognormal with mean 1: the episode factor
  is the upload's latent *quality* (one standard-normal draw per upload, stable across its days), the day
  factor a fresh draw per day.
- **completion**: ``p = clip(base_completion[platform] × (1 + Σ completion effects) + quality·sd_episode +
  day noise)``; the day's completions are ``Binomial(views, p)`` and ``completion_rate = completions / views``.
  The same latent quality raises views and completion together.
- **engagement**: likes and shares are ``Binomial(views, rate × p / base_completion)`` (viewers who stay like and
  share more), comments ``Binomial(views, comment_rate)``; so none exceeds the views.
- **watch time**: finishers watch the whole episode, the others ``partial_watch`` of it on average:
  ``watch_time_s = duration × (completions + partial_watch × (views − completions))``, and
  ``avg_view_pct = 100 × watch_time_s / (views × duration)``.
- **revenue**: ``views / 1000 × rpm_usd × lognormal day factor`` where the platform has an ``rpm_usd``; else None.

Effects: categorical features (genre, theme, narrator_voice, music_mood, weekday, thumbnail_variant,
provider_tier, format) map values to relative ``views`` and ``completion`` effects; numeric features
(narrator_rate, posting_hour, duration_s) follow piecewise-linear curves around an optimum (``ResponseCurve``).
A missing feature, or a value the file does not list, is neutral; a missing duration is taken as the duration
curve's optimum. The platform and format come from the ``UploadRef``.

Deterministic: draws come from ``numpy.random.default_rng`` seeded with a sha256 of (seed, upload_id, day), so the
same inputs give the same numbers on any machine with the pinned numpy.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from storyvid_assets.analytics.models import MetricValues, UploadRef
from storyvid_assets.yamlfile import load_yaml_model

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_AUDIENCE_FILE = DATA_DIR / "audience.yaml"
AUDIENCE_FIX = "see the schema in storyvid_assets/analytics/audience.py and the comments in data/audience.yaml"
CATEGORICAL_FEATURES = ("genre", "theme", "narrator_voice", "music_mood", "weekday", "thumbnail_variant",
                        "provider_tier", "format")
NUMERIC_FEATURES = ("narrator_rate", "posting_hour", "duration_s")


class _AudienceData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlatformAudience(_AudienceData):
    """A neutral episode's audience on one platform."""

    base_views: float = Field(gt=0)  # expected views on day 0
    base_completion: float = Field(gt=0, lt=1)
    like_rate: float = Field(ge=0, le=1)  # per view, at the base completion rate
    comment_rate: float = Field(ge=0, le=1)
    share_rate: float = Field(ge=0, le=1)
    rpm_usd: float | None = Field(default=None, ge=0)  # revenue per 1000 views; None: not paid


class AudienceDecay(_AudienceData):
    """Day-of-life decay: a fast exponential plus a small, slow tail."""

    half_life_days: float = Field(gt=0)
    tail: float = Field(default=0.0, ge=0, lt=1)
    tail_half_life_days: float = Field(default=90.0, gt=0)


class AudienceNoise(_AudienceData):
    """Noise scales: an episode-level latent quality and day-level draws."""

    episode_views_sigma: float = Field(default=0.35, ge=0)
    episode_completion_sd: float = Field(default=0.04, ge=0)
    day_views_sigma: float = Field(default=0.25, ge=0)
    day_completion_sd: float = Field(default=0.02, ge=0)
    rpm_sigma: float = Field(default=0.15, ge=0)
    completion_bounds: tuple[float, float] = (0.02, 0.98)

    @field_validator("completion_bounds")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 <= value[0] < value[1] <= 1.0:
            raise ValueError("must be [low, high] with 0 <= low < high <= 1")
        return value


class FeatureEffect(_AudienceData):
    """Relative effects of one feature value: 0.1 = +10 % (views multiply, completion effects add up)."""

    views: float = Field(default=0.0, gt=-1)
    completion: float = Field(default=0.0, gt=-1)


Effects = dict[str, FeatureEffect]


class CategoricalEffects(_AudienceData):
    """Feature -> value -> effect. Values are compared as text (weekday 5 and "5" are the same)."""

    genre: Effects = Field(default_factory=dict)
    theme: Effects = Field(default_factory=dict)
    narrator_voice: Effects = Field(default_factory=dict)
    music_mood: Effects = Field(default_factory=dict)
    weekday: Effects = Field(default_factory=dict)  # 0 = Monday
    thumbnail_variant: Effects = Field(default_factory=dict)
    provider_tier: Effects = Field(default_factory=dict)
    format: Effects = Field(default_factory=dict)

    @field_validator("*", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class ResponseCurve(_AudienceData):
    """A piecewise-linear effect around an optimum: a slope is the relative change per ``unit`` of distance on
    that side (negative: worse away from the optimum), clipped to ±``limit``; ``period`` wraps the distance."""

    optimum: float
    unit: float = Field(default=1.0, gt=0)
    views_above: float = 0.0
    views_below: float = 0.0
    completion_above: float = 0.0
    completion_below: float = 0.0
    period: float | None = Field(default=None, gt=0)
    limit: float = Field(default=0.5, gt=0, lt=1)

    def distance(self, value: float) -> float:
        """Signed distance from the optimum, in units (wrapped by the period when there is one)."""
        diff = value - self.optimum
        if self.period is not None:
            diff = (diff + self.period / 2) % self.period - self.period / 2
        return diff / self.unit

    def effect(self, value: float) -> FeatureEffect:
        dist = self.distance(value)
        views = (self.views_above if dist > 0 else self.views_below) * abs(dist)
        completion = (self.completion_above if dist > 0 else self.completion_below) * abs(dist)
        return FeatureEffect(views=_clip(views, self.limit), completion=_clip(completion, self.limit))


class ResponseCurves(_AudienceData):
    narrator_rate: ResponseCurve | None = None  # words per minute
    posting_hour: ResponseCurve | None = None  # 0-23
    duration_s: ResponseCurve | None = None  # seconds


class AudienceModel(BaseModel):
    """The simulated audience's parameters (``data/audience.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platforms: dict[str, PlatformAudience] = Field(min_length=1)
    default_platform: str = "youtube"  # the platform assumed when features name none
    decay: AudienceDecay
    noise: AudienceNoise = AudienceNoise()
    partial_watch: float = Field(default=0.35, ge=0, le=1)
    effects: CategoricalEffects = CategoricalEffects()
    curves: ResponseCurves = ResponseCurves()

    @field_validator("default_platform")
    @classmethod
    def _default_platform_known(cls, value: str, info: ValidationInfo) -> str:
        platforms = info.data.get("platforms")
        if platforms is not None and value not in platforms:
            raise ValueError(f"{value!r} is not one of the platforms ({', '.join(sorted(platforms))})")
        return value

    def platform(self, name: str) -> PlatformAudience:
        try:
            return self.platforms[name]
        except KeyError:
            raise ValueError(f"the audience model has no platform {name!r}; known: {sorted(self.platforms)}") from None

    def with_effect(self, feature: str, value: str, *, completion: float = 0.0, views: float = 0.0) -> AudienceModel:
        """A copy with one planted effect (replacing any effect of that feature value)."""
        if feature not in CATEGORICAL_FEATURES:
            raise ValueError(f"{feature!r} is not a categorical feature; use one of {CATEGORICAL_FEATURES}"
                             + (" (numeric features follow the curves: section)"
                                if feature in NUMERIC_FEATURES else ""))
        data = self.model_dump()
        data["effects"][feature][str(value)] = {"views": views, "completion": completion}
        return AudienceModel.model_validate(data)


def load_audience_model(path: Path | None = None) -> AudienceModel:
    """The audience model in ``path`` (default: the shipped ``data/audience.yaml``, read once per process)."""
    if path is None:
        return _default_model()
    return load_yaml_model(path, AudienceModel, AUDIENCE_FIX)


@cache
def _default_model() -> AudienceModel:
    return load_yaml_model(DEFAULT_AUDIENCE_FILE, AudienceModel, AUDIENCE_FIX,
                           file_fix="restore the file from the repository")


# --------------------------------------------------------------------------- the noise-free model

def _clip(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _number(features: dict[str, Any], name: str) -> float | None:
    value = features.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"feature {name!r} must be a number, got {value!r}") from None
    return number if math.isfinite(number) else None


def feature_effects(model: AudienceModel, features: dict[str, Any]) -> list[FeatureEffect]:
    """The effects that apply to an episode with these features (neutral ones left out)."""
    found = []
    for name in CATEGORICAL_FEATURES:
        value = features.get(name)
        effect = getattr(model.effects, name).get(str(value)) if value is not None else None
        if effect is not None:
            found.append(effect)
    for name in NUMERIC_FEATURES:
        curve: ResponseCurve | None = getattr(model.curves, name)
        number = _number(features, name)
        if curve is not None and number is not None:
            found.append(curve.effect(number))
    return found


def _platform_of(model: AudienceModel, features: dict[str, Any]) -> PlatformAudience:
    return model.platform(str(features.get("platform") or model.default_platform))


def _bounded(model: AudienceModel, completion: float) -> float:
    low, high = model.noise.completion_bounds
    return min(high, max(low, completion))


def expected_completion(model: AudienceModel, features: dict[str, Any]) -> float:
    """The noise-free completion probability of an episode (``features["platform"]`` or the default platform)."""
    base = _platform_of(model, features).base_completion
    return _bounded(model, base * (1.0 + sum(e.completion for e in feature_effects(model, features))))


def decay(model: AudienceModel, day_of_life: int) -> float:
    """Share of day-0 views an upload gets on ``day_of_life`` (1.0 on day 0; 0 before)."""
    if day_of_life < 0:
        return 0.0
    d = model.decay
    return (1 - d.tail) * 2.0 ** (-day_of_life / d.half_life_days) + d.tail * 2.0 ** (-day_of_life
                                                                                      / d.tail_half_life_days)


def expected_views(model: AudienceModel, features: dict[str, Any], day_of_life: int) -> float:
    """The noise-free mean of the views on ``day_of_life`` (averaged over episode quality and day noise)."""
    factor = math.prod(1.0 + e.views for e in feature_effects(model, features))
    return _platform_of(model, features).base_views * factor * decay(model, day_of_life)


# --------------------------------------------------------------------------- simulation

class _Day(NamedTuple):
    views: int
    completed: int
    likes: int
    comments: int
    shares: int
    revenue_usd: float | None


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def upload_features(upload: UploadRef) -> dict[str, Any]:
    """The features the model sees: the upload's ``features`` with its platform and format, and its duration when
    the features give none."""
    features = {**upload.features, "platform": upload.platform, "format": upload.format}
    if _number(features, "duration_s") is None and upload.duration_s > 0:
        features["duration_s"] = upload.duration_s
    return features


def _duration(model: AudienceModel, features: dict[str, Any]) -> float:
    duration = _number(features, "duration_s")
    if duration is not None and duration > 0:
        return duration
    return model.curves.duration_s.optimum if model.curves.duration_s is not None else 0.0


def _day_of_life(upload: UploadRef, day: str) -> int:
    return (date.fromisoformat(day) - date.fromisoformat(upload.date)).days


class _Episode(NamedTuple):
    """What stays fixed across an upload's days: its platform, noise-free day-0 views and completion, latent
    quality and duration."""

    platform: PlatformAudience
    day0_views: float
    completion: float
    quality: float
    duration: float


def _episode(model: AudienceModel, upload: UploadRef, seed: int) -> _Episode:
    features = upload_features(upload)
    return _Episode(
        platform=_platform_of(model, features),
        day0_views=expected_views(model, features, 0),
        completion=expected_completion(model, features),
        quality=float(_rng(seed, upload.upload_id, "quality").standard_normal()),
        duration=_duration(model, features),
    )


def _simulate(model: AudienceModel, episode: _Episode, upload_id: int, day_of_life: int, day: str,
              seed: int) -> _Day:
    platform, noise, quality = episode.platform, model.noise, episode.quality
    rng = _rng(seed, upload_id, day)
    z_views, z_completion, z_rpm = rng.standard_normal(3)
    lognormal = (noise.episode_views_sigma * quality - noise.episode_views_sigma ** 2 / 2
                 + noise.day_views_sigma * z_views - noise.day_views_sigma ** 2 / 2)
    views = int(rng.poisson(episode.day0_views * decay(model, day_of_life) * math.exp(lognormal)))
    p = _bounded(model, episode.completion + noise.episode_completion_sd * quality
                 + noise.day_completion_sd * z_completion)
    engaged = p / platform.base_completion
    completed = int(rng.binomial(views, p))
    likes = int(rng.binomial(views, min(1.0, platform.like_rate * engaged)))
    comments = int(rng.binomial(views, platform.comment_rate))
    shares = int(rng.binomial(views, min(1.0, platform.share_rate * engaged)))
    revenue = None
    if platform.rpm_usd is not None:
        rpm = platform.rpm_usd * math.exp(noise.rpm_sigma * z_rpm - noise.rpm_sigma ** 2 / 2)
        revenue = views / 1000 * rpm
    return _Day(views, completed, likes, comments, shares, revenue)


def _values(model: AudienceModel, episode: _Episode, days: list[_Day]) -> MetricValues:
    views = sum(d.views for d in days)
    completed = sum(d.completed for d in days)
    duration = episode.duration
    watch = duration * (completed + model.partial_watch * (views - completed))
    revenues = [d.revenue_usd for d in days if d.revenue_usd is not None]
    return MetricValues(
        views=views,
        likes=sum(d.likes for d in days),
        comments=sum(d.comments for d in days),
        shares=sum(d.shares for d in days),
        watch_time_s=round(watch, 3),
        avg_view_pct=round(100 * watch / (views * duration), 4) if views and duration else None,
        completion_rate=completed / views if views else None,
        revenue_usd=round(sum(revenues), 4) if episode.platform.rpm_usd is not None else None,
    )


def _days(upload: UploadRef, start: int, end: int) -> list[tuple[int, str]]:
    """(day of life, ISO day) for days of life ``start..end``, from the upload's date on."""
    first = date.fromisoformat(upload.date).toordinal()
    return [(d, date.fromordinal(first + d).isoformat()) for d in range(max(start, 0), end + 1)]


def simulate_day(model: AudienceModel, upload: UploadRef, day: str, seed: int = 0) -> MetricValues:
    """The upload's simulated figures for one day (daily, not cumulative; zero before its date)."""
    day_of_life = _day_of_life(upload, day)
    if day_of_life < 0:
        return MetricValues()
    episode = _episode(model, upload, seed)
    return _values(model, episode, [_simulate(model, episode, upload.upload_id, day_of_life, day, seed)])


def simulate_series(model: AudienceModel, upload: UploadRef, start: str, end: str,
                    seed: int = 0) -> dict[str, MetricValues]:
    """``simulate_day`` for every day from ``start`` to ``end`` (inclusive) in one pass: day -> figures."""
    episode = _episode(model, upload, seed)
    first = _day_of_life(upload, start)
    series = {}
    for day_of_life in range(first, _day_of_life(upload, end) + 1):
        day = date.fromordinal(date.fromisoformat(upload.date).toordinal() + day_of_life).isoformat()
        series[day] = MetricValues() if day_of_life < 0 else _values(
            model, episode, [_simulate(model, episode, upload.upload_id, day_of_life, day, seed)])
    return series


def simulate_lifetime(model: AudienceModel, upload: UploadRef, day: str, seed: int = 0) -> MetricValues:
    """The sum of the daily figures from the upload's date up to ``day``, as a lifetime counter reports them."""
    if _day_of_life(upload, day) < 0:
        return MetricValues()
    episode = _episode(model, upload, seed)
    days = [_simulate(model, episode, upload.upload_id, d, iso, seed)
            for d, iso in _days(upload, 0, _day_of_life(upload, day))]
    return _values(model, episode, days)

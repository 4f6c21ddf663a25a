"""Payloads of the analytics loop: metric readings, episode features, tunable settings, experiments,
recommendations and configuration proposals.

The loop: platforms (or the simulated audience, or a CSV export) report counters per upload and day →
``daily_metrics`` stores daily figures → a model learns which episode settings go with better results →
``recommendations`` proposes changes → guard rails (and, by default, an operator) turn a proposal into a
new configuration version → the next episodes are made with it. Experiments assign settings to episodes
deterministically and promote a winner through the same guarded path.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storyvid_assets.models import Frozen

MetricsSource = Literal["api", "simulated", "csv"]
ReadingKind = Literal["daily", "lifetime"]  # the day's own figure, or the cumulative counter as of that day
Target = Literal["completion_rate", "views_per_day"]
COUNT_FIELDS = ("views", "likes", "comments", "shares")


class MetricValues(Frozen):
    """Counters of one upload: for one day (``daily``) or since publication (``lifetime``).

    ``None`` means the platform did not report it (not zero)."""

    views: int = Field(default=0, ge=0)
    likes: int = Field(default=0, ge=0)
    comments: int = Field(default=0, ge=0)
    shares: int = Field(default=0, ge=0)
    watch_time_s: float = Field(default=0.0, ge=0.0)
    avg_view_pct: float | None = Field(default=None, ge=0.0)  # 0..100 (may exceed 100 with replays)
    completion_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    revenue_usd: float | None = Field(default=None, ge=0.0)
    extra: dict[str, float] = Field(default_factory=dict)  # platform-specific metrics, by their own names


class UploadRef(Frozen):
    """A live upload whose performance is collected (a ``platform_uploads`` row)."""

    upload_id: int
    channel: str
    date: str  # the episode's date (it went live that day)
    format: str
    platform: str  # local | youtube | instagram | tiktok | facebook
    account: str = "default"
    post_id: str
    duration_s: float = 0.0
    features: dict[str, Any] = Field(default_factory=dict)  # the episode's features (the simulated audience)


class MetricReading(Frozen):
    """What a metrics provider reports for one upload and day."""

    upload_id: int
    day: str
    kind: ReadingKind
    values: MetricValues
    source: MetricsSource
    simulated: bool = False


class MetricsBatch(Frozen):
    """A provider's answer for some uploads and days; ``missing`` lists (upload_id, day) with no data yet
    (platform lag, or an empty answer: not the same as zero)."""

    readings: list[MetricReading] = Field(default_factory=list)
    missing: list[tuple[int, str]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # e.g. "youtube: estimatedRevenue refused (403), skipped"


# --------------------------------------------------------------------------- tunable settings

Tunable = Literal[
    "narrator_voice",
    "narrator_rate",
    "music_mood",
    "genre",
    "posting_hour",
    "thumbnail_variant",
    "provider_tier",
    "target_words",
]
TUNABLE_SETTINGS: tuple[Tunable, ...] = get_args(Tunable)
NUMERIC_TUNABLES = frozenset({"narrator_rate", "posting_hour", "target_words"})


class TunableSettings(Frozen):
    """The settings of a channel the loop may change, layered over the channel file. ``None``: the file's."""

    narrator_voice: str | None = None
    narrator_rate: int | None = Field(default=None, ge=80, le=450)
    music_mood: Literal["calm", "dreamy", "tense", "dark", "epic", "playful", "melancholy"] | None = None
    genre: str | None = None  # the genre the next stories use (one of the channel's genres)
    posting_hour: int | None = Field(default=None, ge=0, le=23)
    thumbnail_variant: Literal["a", "b"] | None = None
    provider_tier: Literal["premium", "standard", "budget"] | None = None
    target_words: int | None = Field(default=None, ge=150, le=1500)

    def changed(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PolicyLimits(Frozen):
    """What the loop may never choose for a channel (on top of the built-in kids policy)."""

    forbidden_genres: list[str] = Field(default_factory=list)
    forbidden_moods: list[str] = Field(default_factory=list)
    min_rate: int = 80
    max_rate: int = 450
    allowed_hours: list[int] | None = None  # None: any hour


class OptimizationSettings(BaseModel):
    """The channel's ``optimization:`` section: what the loop learns and how far it may go on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    target: Target = "completion_rate"
    horizon_days: int = Field(default=7, ge=1, le=90)  # days of life an upload needs before it is a sample
    min_sample: int = Field(default=30, ge=5)  # episodes with a mature target before anything is recommended
    confidence: float = Field(default=0.9, gt=0.5, lt=1.0)  # two-sided interval of the uplift
    auto_apply: bool = False  # True: a change that passes the guard rails is applied without review
    max_step: dict[str, float] = Field(default_factory=lambda: {"narrator_rate": 15, "posting_hour": 3,
                                                                "target_words": 100})
    explore: float = Field(default=0.0, ge=0.0, le=0.5)  # share of episodes that try another value
    tunables: list[Tunable] = Field(default_factory=lambda: ["music_mood", "narrator_rate", "posting_hour",
                                                              "thumbnail_variant"])
    choices: dict[str, list[Any]] = Field(default_factory=dict)  # tunable -> values the loop may try
    policy: PolicyLimits = PolicyLimits()


class ExperimentSpec(BaseModel):
    """An A/B(/n) test of one setting: variants are assigned to episodes by a hash of channel, date and name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    setting: Tunable
    variants: list[Any] = Field(min_length=2)
    metric: Target = "completion_rate"
    start: str  # ISO date of the first episode in the experiment
    min_sample: int = Field(default=20, ge=3)  # mature episodes per variant before the test is made
    # significance of the one test; 0.01 by default: a winner changes the channel's configuration, and at 0.05 one
    # in twenty A/B tests of identical variants would change it for nothing
    alpha: float = Field(default=0.01, gt=0.0, lt=0.5)
    max_days: int = Field(default=60, ge=1)
    weights: list[float] | None = None  # share of episodes per variant (default: equal)

    @field_validator("variants")
    @classmethod
    def _distinct(cls, value: list[Any]) -> list[Any]:
        if len({repr(v) for v in value}) != len(value):
            raise ValueError("variants must differ from each other")
        return value

    @model_validator(mode="after")
    def _weights_match(self) -> ExperimentSpec:
        if self.weights is not None and (len(self.weights) != len(self.variants) or min(self.weights) <= 0):
            raise ValueError("weights: one positive number per variant")
        return self


# --------------------------------------------------------------------------- results

class Uplift(Frozen):
    """A proposed change of one setting with its expected effect on the target (relative, 0.08 = +8 %)."""

    setting: Tunable
    current: Any
    proposed: Any
    uplift: float
    low: float  # interval bounds of the uplift (relative)
    high: float
    confidence: float
    samples: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def sentence(self, target: str) -> str:
        """"music mood calm instead of tense: +8 % completion, 90 % interval +3..+13 %"."""
        label = "completion" if target == "completion_rate" else "views per day"
        return (f"{self.setting.replace('_', ' ')} {self.proposed} instead of {self.current}: "
                f"{self.uplift:+.0%} {label}, {self.confidence:.0%} interval {self.low:+.0%}..{self.high:+.0%}")


class ModelScore(Frozen):
    model: str  # ridge | gradient_boosting
    cv_r2: float  # cross-validated R² (the mean baseline scores 0 by definition)
    cv_mae: float
    baseline_mae: float  # the mean predictor's cross-validated MAE
    beats_baseline: bool


class Recommendation(Frozen):
    """One day's recommendations for a channel; ``reason`` says why nothing is recommended when empty."""

    channel: str
    day: str
    target: Target
    samples: int
    simulated: bool  # trained (partly) on simulated audience data
    scores: list[ModelScore] = Field(default_factory=list)
    chosen_model: str | None = None
    importances: dict[str, float] = Field(default_factory=dict)
    uplifts: list[Uplift] = Field(default_factory=list)  # ranked, best first
    reason: str = ""
    plot_key: str | None = None  # media-store key of the PNG


class GuardDecision(Frozen):
    """The guard rails' verdict on one proposal: allowed (maybe clipped to the step cap) or refused."""

    allowed: bool
    setting: str
    proposed: Any
    applied_value: Any = None  # the value after the step cap
    reasons: list[str] = Field(default_factory=list)


class ExperimentResult(Frozen):
    """Where an experiment stands on a day."""

    name: str
    status: Literal["running", "winner", "no_difference"]
    counts: dict[str, int] = Field(default_factory=dict)  # variant -> mature episodes
    means: dict[str, float] = Field(default_factory=dict)
    p_value: float | None = None
    winner: Any = None
    detail: str = ""


# --------------------------------------------------------------------------- what the loop's assets return

class Revision(Frozen):
    """A stored daily figure that changed when its day was collected again (platforms revise recent days)."""

    upload_id: int
    day: str
    changes: dict[str, tuple[float | None, float | None]]


class DayMetrics(Frozen):
    """What collecting one channel-day stored."""

    channel: str
    day: str
    uploads: int  # live uploads asked about
    stored: int  # daily rows written
    revised: list[Revision] = Field(default_factory=list)
    missing: list[tuple[int, str]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    simulated: bool = False
    sources: list[str] = Field(default_factory=list)


class DayRecommendation(Frozen):
    recommendation: Recommendation
    decisions: list[GuardDecision] = Field(default_factory=list)
    decision_day: bool = False  # a checkpoint where a change may be proposed
    change_id: int | None = None
    change_status: str | None = None
    note: str = ""
    roi: list[dict[str, Any]] = Field(default_factory=list)


class ExperimentsReport(Frozen):
    """The channel's experiments on one day, with the configuration change a winner became."""

    channel: str
    day: str
    results: list[ExperimentResult]
    change_ids: dict[str, int] = Field(default_factory=dict)

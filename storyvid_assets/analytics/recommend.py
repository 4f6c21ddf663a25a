"""Which settings go with better results: a model of the target from the episode features, and the expected
uplift of changing one tunable setting, with a bootstrap interval.

1. **Enough data?** Fewer than ``settings.min_sample`` mature *episodes* (not uploads) → nothing is trained.
2. **Models.** Ridge (one-hot categoricals, standardised numerics, the penalty chosen by ``RidgeCV``; the
   tunable settings' columns carry a hundredth of the penalty, so the effects we report are not shrunk) and
   gradient boosting (``HistGradientBoostingRegressor``, native categoricals) are scored by grouped K-fold
   cross-validation (an episode's uploads stay in one fold) on out-of-fold MAE and R², next to the mean
   predictor on the same folds. A model must beat the mean (R² > 0 and a lower MAE), or nothing is
   recommended. Ridge is kept unless boosting's MAE is lower by more than one standard error of the paired
   per-episode difference (the one-standard-error rule: the simpler model unless the flexible one is clearly
   better). ``views_per_day`` is learnt on a log1p scale (its MAE and R² are on that scale).
3. **Candidates.** For each tunable in ``settings.tunables``: the values of ``choices[setting]`` (else the
   values in the data) seen in at least :data:`MIN_SEEN` episodes; numeric settings also accept choices inside
   the observed range (no extrapolation). The channel's current value must itself be seen that often (or,
   numeric, lie in the range), or the setting is skipped: there is nothing to compare against.
4. **Uplift.** The uploads of the :data:`RECENT_EPISODES` most recent episodes are predicted with the setting at
   its current value and at the candidate, everything else unchanged except what follows from the setting (a
   faster narration or fewer words is a shorter episode: ``duration_s`` scales with words / rate); the uplift is
   ``mean(prediction with candidate) / mean(prediction with current) - 1``.
5. **Uncertainty.** Episodes are resampled with replacement and the chosen model refitted (same encoding and
   hyperparameters) to recompute every uplift. The interval is the bootstrap percentile interval at
   ``settings.confidence`` with a Bonferroni correction: each of the m candidates' intervals has level
   ``1 - (1 - confidence) / m``, so together they hold at ``confidence``. Resampling episodes understates the
   spread when the model has many parameters for few episodes, so the interval is stretched about the
   estimate by the ratio of a grouped jackknife's standard deviation to the bootstrap's when that exceeds 1.
   Ridge gets enough draws for the corrected tails (:func:`draws_needed`); boosting, ~100× slower to refit,
   gets :data:`N_BOOT_BOOSTING` draws and the normal interval from the larger of the two spreads.
   Recommendations are ranked by their lower bound.
6. **Importances.** Permutation importance of each original feature (MAE increase on the training data),
   reported as shares summing to 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from storyvid_assets.analytics.features import FEATURES
from storyvid_assets.analytics.models import (
    ModelScore,
    OptimizationSettings,
    Recommendation,
    Target,
    Uplift,
)

N_BOOT = 200  # bootstrap refits of the ridge model, at least (more when the corrected tails need them)
N_BOOT_BOOSTING = 30  # gradient boosting refits are ~100x slower: a normal interval from their spread
CV_FOLDS = 5
MIN_SEEN = 5  # episodes a value needs before it is compared (as a candidate or as the current value)
MIN_FREQUENCY = 3  # rows a category needs for its own column; rarer ones share one
MAX_CATEGORIES = 250  # per feature (gradient boosting's native categoricals take at most 255)
RECENT_EPISODES = 30  # the uplift is predicted for the uploads of these most recent episodes
ALPHAS = np.logspace(-3, 3, 13)
TUNABLE_SCALE = 10.0  # tunable columns ×10: a hundredth of the penalty
DURATION_SCALES = ("narrator_rate", "target_words")  # settings that change how long an episode is spoken
JACKKNIFE_GROUPS = {"ridge": 30, "gradient_boosting": 20}
MIN_TAIL_DRAWS = 5  # bootstrap draws beyond each bound a percentile interval needs
TARGET_LABELS = {"completion_rate": "completion rate", "views_per_day": "views per day"}
MISSING = "missing"


# --------------------------------------------------------------------------- inputs


def label(value: Any) -> str:
    """A categorical value as the model sees it: ``None``/NaN → "missing", ``5.0`` → "5"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _varies(values: pd.Series) -> bool:
    return values.nunique(dropna=True) >= 2


@dataclass(frozen=True)
class ModelInputs:
    """The design table (categoricals as text labels, numerics as floats), its numeric encoding for the models
    (categoricals as fixed integer codes), the modelled target and the episode of every row."""

    X: pd.DataFrame
    y: np.ndarray
    episodes: np.ndarray  # the episode (date) of each row
    categorical: list[str]
    numeric: list[str]
    codes: dict[str, dict[str, int]]  # categorical -> label -> code; rarer labels share the last code

    @cached_property
    def matrix(self) -> np.ndarray:
        return self.encode(self.X)

    @property
    def columns(self) -> list[str]:
        return [*self.categorical, *self.numeric]

    def encode(self, rows: pd.DataFrame) -> np.ndarray:
        """``rows`` of the design table as the models' float matrix."""
        cats = [rows[c].map(self.codes[c]).fillna(len(self.codes[c])).to_numpy(dtype="float64")
                for c in self.categorical]
        nums = [rows[c].to_numpy(dtype="float64") for c in self.numeric]
        return np.column_stack([*cats, *nums]) if cats or nums else np.empty((len(rows), 0))


def category_codes(labels: pd.Series) -> dict[str, int]:
    """A code per label seen in at least :data:`MIN_FREQUENCY` rows, for the :data:`MAX_CATEGORIES` most frequent;
    the others share the next code."""
    counts = labels.value_counts()
    frequent = counts[counts >= MIN_FREQUENCY].index[:MAX_CATEGORIES]
    return {value: code for code, value in enumerate(sorted(frequent))}


def model_inputs(frame: pd.DataFrame, target: Target) -> ModelInputs:
    """The features that vary in ``frame`` and the target on the scale the model learns (log1p for views)."""
    cats = {c: frame[c].map(label) for c in FEATURES.categorical if c in frame}
    nums = {c: pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in FEATURES.numeric if c in frame}
    cats = {c: v for c, v in cats.items() if _varies(v)}
    nums = {c: v for c, v in nums.items() if _varies(v)}
    y = frame["target"].to_numpy(dtype="float64")
    return ModelInputs(
        X=pd.DataFrame({**cats, **nums}, index=frame.index),
        y=np.log1p(y) if target == "views_per_day" else y,
        episodes=frame["date"].astype(str).to_numpy(),
        categorical=list(cats), numeric=list(nums), codes={c: category_codes(v) for c, v in cats.items()},
    )


def _natural(target: Target, predictions: np.ndarray) -> np.ndarray:
    return np.expm1(predictions) if target == "views_per_day" else predictions


# --------------------------------------------------------------------------- models


class RidgeDesign(TransformerMixin, BaseEstimator):
    """The ridge model's design matrix from the coded features: one 0/1 column per category code seen in fitting
    (an unseen code gets none), numerics standardised with missing values at the median. Columns of the
    tunable settings are multiplied by ``scale``, which divides their penalty by its square: their effects are
    what is reported, so they are not shrunk towards zero; the other features are."""

    def __init__(self, categorical: tuple[int, ...] = (), numeric: tuple[int, ...] = (), tunable: tuple[int, ...] = (),
                 scale: float = 1.0) -> None:
        self.categorical = categorical
        self.numeric = numeric
        self.tunable = tunable
        self.scale = scale

    def _weight(self, column: int) -> float:
        return self.scale if column in self.tunable else 1.0

    def fit(self, X: np.ndarray, y: Any = None) -> RidgeDesign:
        self.levels_ = [np.unique(X[:, j]) for j in self.categorical]
        numbers = X[:, list(self.numeric)]
        seen = ~np.isnan(numbers)
        self.median_ = np.array([np.median(numbers[seen[:, k], k]) if seen[:, k].any() else 0.0
                                 for k in range(numbers.shape[1])])
        filled = np.where(seen, numbers, self.median_)
        self.mean_, spread = filled.mean(axis=0), filled.std(axis=0)
        self.spread_ = np.where(spread > 0, spread, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        onehot = [(X[:, [j]] == levels[None, :]) * self._weight(j) for j, levels in zip(self.categorical, self.levels_,
                                                                                      strict=True)]
        numbers = X[:, list(self.numeric)]
        filled = np.where(np.isnan(numbers), self.median_, numbers)
        weights = np.array([self._weight(j) for j in self.numeric])
        return np.hstack([*onehot, (filled - self.mean_) / self.spread_ * weights]).astype("float64")


def ridge_model(inputs: ModelInputs, tunables: list[str]) -> Pipeline:
    """:class:`RidgeDesign` (tunable columns × :data:`TUNABLE_SCALE`) under a ridge penalty chosen by ``RidgeCV``."""
    columns = inputs.columns
    design = RidgeDesign(
        categorical=tuple(columns.index(c) for c in inputs.categorical),
        numeric=tuple(columns.index(c) for c in inputs.numeric),
        tunable=tuple(columns.index(c) for c in columns if c in tunables), scale=TUNABLE_SCALE,
    )
    return Pipeline([("encode", design), ("model", RidgeCV(alphas=ALPHAS))])


def boosting_model(inputs: ModelInputs, seed: int) -> Pipeline:
    """Gradient boosting on the codes (categoricals handled natively) and the raw numerics (NaN allowed)."""
    model = HistGradientBoostingRegressor(
        max_iter=50, learning_rate=0.2, max_leaf_nodes=15, min_samples_leaf=max(5, min(20, len(inputs.y) // 10)),
        l2_regularization=1.0, early_stopping=False, random_state=seed,
        categorical_features=[c in inputs.categorical for c in inputs.columns] or None,
    )
    return Pipeline([("encode", FunctionTransformer()), ("model", model)])


def candidate_models(inputs: ModelInputs, tunables: list[str], seed: int) -> dict[str, Pipeline]:
    return {"ridge": ridge_model(inputs, tunables), "gradient_boosting": boosting_model(inputs, seed)}


@dataclass(frozen=True)
class CrossValidation:
    scores: list[ModelScore]
    errors: dict[str, np.ndarray]  # out-of-fold absolute error of every row, per model


def cross_validate(models: dict[str, Pipeline], inputs: ModelInputs, seed: int) -> CrossValidation:
    """Out-of-fold MAE and R² of each model and of the mean, on the same folds (an episode's rows in one)."""
    folds = GroupKFold(n_splits=min(CV_FOLDS, len(set(inputs.episodes))), shuffle=True, random_state=seed)
    matrix = inputs.matrix
    splits = list(folds.split(matrix, inputs.y, inputs.episodes))
    baseline = cross_val_predict(DummyRegressor(), matrix, inputs.y, cv=splits)
    baseline_mae = float(mean_absolute_error(inputs.y, baseline))
    scores, errors = [], {}
    for name, model in models.items():
        predicted = cross_val_predict(model, matrix, inputs.y, cv=splits)
        mae, r2 = float(mean_absolute_error(inputs.y, predicted)), float(r2_score(inputs.y, predicted))
        scores.append(ModelScore(model=name, cv_r2=r2, cv_mae=mae, baseline_mae=baseline_mae,
                                 beats_baseline=r2 > 0 and mae < baseline_mae))
        errors[name] = np.abs(inputs.y - predicted)
    return CrossValidation(scores, errors)


def choose_model(cv: CrossValidation, episodes: np.ndarray) -> str | None:
    """The simplest model that beats the mean, unless a more flexible one has a lower MAE by more than one
    standard error of the paired per-episode difference (the one-standard-error rule); None if none beats it."""
    beating = [s.model for s in cv.scores if s.beats_baseline]  # in order of flexibility: ridge first
    if not beating:
        return None
    chosen = beating[0]
    for other in beating[1:]:
        per_episode = pd.Series(cv.errors[other] - cv.errors[chosen]).groupby(episodes).mean()
        if per_episode.mean() < -per_episode.std(ddof=1) / np.sqrt(len(per_episode)):
            chosen = other
    return chosen


class RidgeRefit:
    """``Ridge(alpha)`` with an unpenalised intercept, solved directly from the normal equations: the same solution
    as scikit-learn's, without its per-call checks, since the bootstrap refits it hundreds of times."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray) -> RidgeRefit:
        mean_x, mean_y = X.mean(axis=0), float(y.mean())
        centred = X - mean_x
        gram = centred.T @ centred
        gram[np.diag_indices_from(gram)] += self.alpha
        self.coef_ = np.linalg.solve(gram, centred.T @ (y - mean_y))
        self.intercept_ = mean_y - float(mean_x @ self.coef_)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef_ + self.intercept_


def refit_factory(fitted: Pipeline) -> Callable[[], Any]:
    """Makes unfitted copies of the final estimator with the hyperparameters chosen on the full data."""
    model = fitted.named_steps["model"]
    if isinstance(model, RidgeCV):
        alpha = float(model.alpha_)
        return lambda: RidgeRefit(alpha)
    return lambda: clone(model)


def importances(fitted: Pipeline, inputs: ModelInputs, seed: int) -> dict[str, float]:
    """Permutation importance per original feature, as shares of the total (negative ones count as 0)."""
    result = permutation_importance(fitted, inputs.matrix, inputs.y, scoring="neg_mean_absolute_error",
                                    n_repeats=3, random_state=seed)
    values = np.clip(result.importances_mean, 0.0, None)
    total = float(values.sum())
    shares = values / total if total > 0 else values
    ranked = sorted(zip(inputs.columns, shares, strict=True), key=lambda item: -item[1])
    return {name: round(float(share), 4) for name, share in ranked}


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    setting: str
    current: Any
    proposed: Any


def _as_setting_value(value: Any) -> Any:
    """A number as the settings hold it: ``150.0`` → 150."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value


def candidates(inputs: ModelInputs, current: dict[str, Any], choices: dict[str, list[Any]],
               tunables: list[str]) -> list[Candidate]:
    """The (setting, current, proposed) pairs that the data can compare (see the module docstring, step 3)."""
    found: list[Candidate] = []
    for setting in tunables:
        now = current.get(setting)
        if now is None or setting not in inputs.X:
            continue
        values = inputs.X[setting]
        seen = pd.Series(inputs.episodes).groupby(values.to_numpy()).nunique()
        frequent = set(seen[seen >= MIN_SEEN].index)
        if setting in inputs.categorical:
            if label(now) not in frequent:
                continue
            pool = [label(v) for v in choices[setting]] if setting in choices else sorted(frequent)
            proposed = [v for v in dict.fromkeys(pool) if v in frequent and v not in (label(now), MISSING)]
        else:
            low, high = float(values.min()), float(values.max())
            if not low <= float(now) <= high:
                continue
            pool = [float(v) for v in choices[setting]] if setting in choices else sorted(frequent)
            proposed = [v for v in dict.fromkeys(pool) if low <= v <= high and v != float(now)]
        found += [Candidate(setting, now, v if setting in inputs.categorical else _as_setting_value(v))
                  for v in proposed]
    return found


def with_setting(rows: pd.DataFrame, setting: str, value: Any, categorical: bool) -> pd.DataFrame:
    """``rows`` made with ``setting`` at ``value``, everything else unchanged except what follows from it: the
    spoken part of an episode, hence ``duration_s``, scales with words / rate (a faster narration is shorter)."""
    if categorical:
        return rows.assign(**{setting: label(value)})
    changed = rows.assign(**{setting: float(value)})
    if setting in DURATION_SCALES and "duration_s" in rows and setting in rows:
        before = rows[setting].where(rows[setting] > 0)
        ratio = (before / float(value)) if setting == "narrator_rate" else (float(value) / before)
        changed["duration_s"] = rows["duration_s"] * ratio.fillna(1.0)
    return changed


def counterfactual_rows(inputs: ModelInputs, found: list[Candidate]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The recent rows once per setting at its current value and once per candidate, stacked; with the block of
    each row and, per candidate, the blocks of (its current value, itself)."""
    recent_dates = sorted(set(inputs.episodes))[-RECENT_EPISODES:]
    recent = inputs.X.loc[np.isin(inputs.episodes, recent_dates)]
    blocks: list[pd.DataFrame] = []
    current_block: dict[str, int] = {}
    pairs = []

    def block(setting: str, value: Any) -> int:
        blocks.append(with_setting(recent, setting, value, setting in inputs.categorical))
        return len(blocks) - 1

    for cand in found:
        if cand.setting not in current_block:
            current_block[cand.setting] = block(cand.setting, cand.current)
        pairs.append((current_block[cand.setting], block(cand.setting, cand.proposed)))
    ids = np.repeat(np.arange(len(blocks)), [len(b) for b in blocks])
    return pd.concat(blocks, ignore_index=True), ids, np.array(pairs, dtype=np.int64).reshape(-1, 2)


def uplifts_of(predictions: np.ndarray, ids: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Relative uplift per candidate from predictions (natural scale) of the stacked counterfactual rows."""
    means = np.bincount(ids, weights=predictions) / np.bincount(ids)
    base = means[pairs[:, 0]]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, means[pairs[:, 1]] / base - 1.0, np.nan)


@dataclass(frozen=True)
class Refits:
    """Refits of the chosen estimator (fixed encoding and hyperparameters) on subsets of the episodes, each
    giving every candidate's uplift."""

    make: Callable[[], Any]  # a new unfitted estimator
    X: np.ndarray  # the encoded training rows
    y: np.ndarray
    Z: np.ndarray  # the encoded counterfactual rows
    ids: np.ndarray
    pairs: np.ndarray
    target: Target
    episode_rows: list[np.ndarray]  # the training rows of each episode

    def uplifts(self, episodes: np.ndarray) -> np.ndarray:
        index = np.concatenate([self.episode_rows[k] for k in episodes])
        model = self.make().fit(self.X[index], self.y[index])
        return uplifts_of(_natural(self.target, model.predict(self.Z)), self.ids, self.pairs)


def episode_rows(episodes: np.ndarray) -> list[np.ndarray]:
    codes, uniques = pd.factorize(episodes)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(len(uniques))]


def bootstrap(refits: Refits, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` × candidates uplifts, each from a refit on episodes resampled with replacement."""
    count = len(refits.episode_rows)
    return np.array([refits.uplifts(rng.integers(0, count, count)) for _ in range(n_boot)]).reshape(n_boot, -1)


def jackknife_sd(refits: Refits, groups: int, rng: np.random.Generator) -> np.ndarray:
    """Per candidate: the grouped (delete-a-group) jackknife standard deviation of the uplift, with the episodes
    split at random into ``groups`` groups (one episode per group when there are fewer)."""
    count = len(refits.episode_rows)
    groups = min(groups, count)
    member = rng.permutation(count) % groups
    estimates = np.array([refits.uplifts(np.flatnonzero(member != g)) for g in range(groups)])
    spread = ((estimates - estimates.mean(axis=0)) ** 2).sum(axis=0)
    return np.sqrt((groups - 1) / groups * spread)


def draws_needed(n_boot: int, tail: float) -> int:
    """Enough draws for a percentile interval: at least :data:`MIN_TAIL_DRAWS` beyond each bound."""
    return max(n_boot, int(np.ceil(MIN_TAIL_DRAWS / tail)))


def interval(point: np.ndarray, draws: np.ndarray, jackknife: np.ndarray, tail: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: the bootstrap percentile interval with ``tail`` in each tail, stretched about ``point`` by
    ``max(1, jackknife sd / bootstrap sd)``: resampling episodes understates the spread when the model has many
    parameters for few episodes, the jackknife much less so. With too few draws for the tail
    (:func:`draws_needed`), the normal interval ``point ± z × max(bootstrap sd, jackknife sd)``."""
    boot_sd = np.nanstd(draws, axis=0, ddof=1)
    if len(draws) * tail < MIN_TAIL_DRAWS:
        spread = NormalDist().inv_cdf(1.0 - tail) * np.fmax(boot_sd, jackknife)
        return point - spread, point + spread
    low, high = np.nanquantile(draws, [tail, 1.0 - tail], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stretch = np.where(boot_sd > 0, np.fmax(1.0, jackknife / boot_sd), 1.0)
    return point - stretch * (point - low), point + stretch * (high - point)


# --------------------------------------------------------------------------- recommend


def _empty(channel: str, day: str, settings: OptimizationSettings, samples: int, simulated: bool,
           reason: str, **fields: Any) -> Recommendation:
    return Recommendation(channel=channel, day=day, target=settings.target, samples=samples, simulated=simulated,
                          reason=reason, **fields)


def recommend(
    frame: pd.DataFrame,
    *,
    channel: str,
    day: str,
    current: dict[str, Any],
    choices: dict[str, list[Any]],
    settings: OptimizationSettings,
    seed: int = 0,
    n_boot: int = N_BOOT,
    n_boot_boosting: int = N_BOOT_BOOSTING,
) -> Recommendation:
    """Ranked setting changes for ``channel`` from its training frame (see the module docstring); an empty list
    and a ``reason`` when the data is too thin or the model does not beat the mean."""
    target = settings.target
    samples = int(frame["date"].nunique()) if len(frame) else 0
    simulated = bool(frame["simulated"].astype(bool).any()) if len(frame) else False
    if samples < settings.min_sample:
        return _empty(channel, day, settings, samples, simulated,
                      f"{samples} of {settings.min_sample} episodes needed have a mature {TARGET_LABELS[target]} "
                      f"(at least {settings.horizon_days} days of figures); nothing is recommended until then.")
    with threadpool_limits(limits=1, user_api="openmp"):  # boosting on small data: threads only contend
        return _recommend(frame, channel=channel, day=day, current=current, choices=choices, settings=settings,
                          seed=seed, n_boot=n_boot, n_boot_boosting=n_boot_boosting, samples=samples,
                          simulated=simulated)


def _recommend(frame: pd.DataFrame, *, channel: str, day: str, current: dict[str, Any],
               choices: dict[str, list[Any]], settings: OptimizationSettings, seed: int, n_boot: int,
               n_boot_boosting: int, samples: int, simulated: bool) -> Recommendation:
    target, tunables = settings.target, list(settings.tunables)
    inputs = model_inputs(frame, target)
    if not inputs.columns:
        return _empty(channel, day, settings, samples, simulated, "the model does not beat the mean: no episode "
                      "feature varies in the data, so there is nothing to learn from; nothing is recommended.")
    models = candidate_models(inputs, tunables, seed)
    cv = cross_validate(models, inputs, seed)
    chosen = choose_model(cv, inputs.episodes)
    if chosen is None:
        best = min(cv.scores, key=lambda s: s.cv_mae)
        return _empty(channel, day, settings, samples, simulated,
                      f"the model does not beat the mean: the best cross-validated MAE is {best.cv_mae:.4g} "
                      f"({best.model}, R² {best.cv_r2:.2f}) against the mean's {best.baseline_mae:.4g}; "
                      "nothing is recommended.", scores=cv.scores)
    fitted = models[chosen].fit(inputs.matrix, inputs.y)
    found = candidates(inputs, current, choices, tunables)
    shares = importances(fitted, inputs, seed)
    if not found:
        return _empty(channel, day, settings, samples, simulated,
                      f"no tunable setting ({', '.join(tunables)}) has both its current value and another value in "
                      f"at least {MIN_SEEN} episodes; nothing can be compared.",
                      scores=cv.scores, chosen_model=chosen, importances=shares)
    rows, ids, pairs = counterfactual_rows(inputs, found)
    encode = fitted.named_steps["encode"]
    Z = inputs.encode(rows)
    point = uplifts_of(_natural(target, fitted.predict(Z)), ids, pairs)
    tail = (1.0 - settings.confidence) / (2 * len(found))  # Bonferroni over the candidates
    boots = draws_needed(n_boot, tail) if chosen == "ridge" else n_boot_boosting
    refits = Refits(refit_factory(fitted), encode.transform(inputs.matrix), inputs.y, encode.transform(Z), ids,
                    pairs, target, episode_rows(inputs.episodes))
    rng = np.random.default_rng(seed)
    draws = bootstrap(refits, boots, rng)
    low, high = interval(point, draws, jackknife_sd(refits, JACKKNIFE_GROUPS[chosen], rng), tail)
    uplifts = [
        Uplift(setting=c.setting, current=c.current, proposed=c.proposed, uplift=float(u), low=float(lo),
               high=float(hi), confidence=settings.confidence, samples=samples)
        for c, u, lo, hi in zip(found, point, low, high, strict=True) if np.isfinite([u, lo, hi]).all()
    ]
    uplifts.sort(key=lambda u: (-u.low, -u.uplift))
    return Recommendation(channel=channel, day=day, target=target, samples=samples, simulated=simulated,
                          scores=cv.scores, chosen_model=chosen, importances=shares, uplifts=uplifts,
                          reason="" if uplifts else "no candidate uplift could be estimated")


# --------------------------------------------------------------------------- reporting


def _change(u: Uplift) -> str:
    return f"{u.setting.replace('_', ' ')}: {u.current} → {u.proposed}"


def plot_png(recommendation: Recommendation, frame: pd.DataFrame, *, top: int = 12) -> bytes:
    """A PNG: the ranked uplifts with their intervals, the feature importances, and the target per mature
    episode over time (the data behind them)."""
    rec = recommendation
    fig = Figure(figsize=(13, 4.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    left, middle, right = fig.subplots(1, 3, width_ratios=[1.3, 1.0, 1.0])
    shown = rec.uplifts[:top][::-1]
    if shown:
        y = np.arange(len(shown))
        values = np.array([u.uplift for u in shown]) * 100
        errors = np.array([[u.uplift - u.low, u.high - u.uplift] for u in shown]).T * 100
        colours = ["tab:green" if u.low > 0 else "tab:red" if u.high < 0 else "tab:gray" for u in shown]
        for row, value, error, colour in zip(y, values, errors.T, colours, strict=True):
            left.errorbar([value], [row], xerr=error.reshape(2, 1), fmt="o", color=colour, capsize=3)
        left.set_yticks(y, [_change(u) for u in shown], fontsize=8)
        left.axvline(0, color="black", linewidth=0.8)
        left.set_xlabel(f"uplift of {TARGET_LABELS[rec.target]} (%), {shown[0].confidence:.0%} simultaneous interval")
    else:
        left.text(0.5, 0.5, rec.reason or "no recommendation", ha="center", va="center", wrap=True, fontsize=9)
        left.set_axis_off()
    left.set_title("recommended changes", fontsize=10)
    if rec.importances:
        names = list(rec.importances)[:top][::-1]
        middle.barh(names, [rec.importances[n] * 100 for n in names], color="tab:blue")
        middle.set_xlabel("permutation importance (% of total)")
    else:
        middle.text(0.5, 0.5, "no model chosen", ha="center", va="center")
        middle.set_axis_off()
    middle.set_title(f"feature importance ({rec.chosen_model or 'none'})", fontsize=10)
    if len(frame):
        per_episode = frame.groupby("date")["target"].mean()
        right.plot(pd.to_datetime(per_episode.index), per_episode.to_numpy(), ".", color="tab:purple")
        locator = AutoDateLocator()
        right.xaxis.set_major_locator(locator)
        right.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    right.set_title(f"{TARGET_LABELS[rec.target]} per mature episode", fontsize=10)
    label_text = " · SIMULATED audience" if rec.simulated else ""
    fig.suptitle(f"{rec.channel} {rec.day}: {rec.samples} episodes{label_text}", fontsize=11)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def markdown_table(recommendation: Recommendation, *, top: int = 5) -> str:
    """The top recommendations, the models' cross-validated scores against the mean, and the sample size."""
    rec = recommendation
    lines = [f"**{rec.samples} mature episodes**, target: {TARGET_LABELS[rec.target]}"
             + (" — trained on SIMULATED audience data" if rec.simulated else "")]
    if rec.reason:
        lines += ["", f"Nothing recommended: {rec.reason}"]
    if rec.uplifts:
        lines += ["", "| # | change | uplift | interval | excludes 0 |", "|---|---|---|---|---|"]
        lines += [f"| {i} | {_change(u)} | {u.uplift:+.1%} | {u.low:+.1%} … {u.high:+.1%} ({u.confidence:.0%}) | "
                  f"{'yes' if u.excludes_zero else 'no'} |" for i, u in enumerate(rec.uplifts[:top], 1)]
        if len(rec.uplifts) > 1:
            lines += ["", f"Intervals are simultaneous over the {len(rec.uplifts)} candidates (Bonferroni)."]
    if rec.scores:
        lines += ["", "| model | CV R² | CV MAE | mean's CV MAE | beats the mean |", "|---|---|---|---|---|"]
        lines += [f"| {s.model}{' (chosen)' if s.model == rec.chosen_model else ''} | {s.cv_r2:.3f} | "
                  f"{s.cv_mae:.4g} | {s.baseline_mae:.4g} | {'yes' if s.beats_baseline else 'no'} |"
                  for s in rec.scores]
    return "\n".join(lines)

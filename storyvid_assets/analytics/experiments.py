"""Experiments: a fixed-horizon decision on the outcomes of the variants (assignment: ``assignment.py``).

The decision is made once. A variant needs ``min_sample`` mature episodes before anything is tested; then one
Welch t-test (unequal variances) compares the first ``min_sample`` episodes of each variant, in episode date
order. Testing every day on the growing sample and stopping at the first p < alpha ("peeking") would declare
far more false winners than alpha promises; a fixed sample tested once keeps the false-winner rate at alpha,
and evaluating again on a later day gives the same answer. With more than two variants the best mean is
tested against each other variant and the p-values are multiplied by the number of comparisons
(Bonferroni); it wins only if it beats every other one.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from storyvid_assets.analytics.assignment import days_since_start
from storyvid_assets.analytics.models import ExperimentResult, ExperimentSpec

OUTCOME_COLUMNS = ["date", "variant", "value"]


def variant_outcomes(episodes: pd.DataFrame, spec: ExperimentSpec, value_column: str = "value") -> pd.DataFrame:
    """One row per mature episode of the experiment (``date``, ``variant``, ``value``), in date order.

    ``episodes`` has a ``date``, an ``assignments`` column (the experiment name -> variant recorded on the
    episode) and ``value_column`` (the metric; missing while the episode is not mature)."""
    rows = [
        {"date": row["date"], "variant": row["assignments"][spec.name], "value": float(row[value_column])}
        for _, row in episodes.iterrows()
        if isinstance(row["assignments"], dict) and spec.name in row["assignments"] and pd.notna(row[value_column])
    ]
    return pd.DataFrame.from_records(rows, columns=OUTCOME_COLUMNS).sort_values("date", kind="stable",
                                                                                ignore_index=True)


def welch_p(a: pd.Series, b: pd.Series) -> float:
    """Two-sided p-value of Welch's t-test; 1.0 when it is undefined (both samples constant and equal)."""
    p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if math.isnan(p):
        return 1.0 if a.mean() == b.mean() else 0.0
    return p


def fmt(value: float) -> str:
    return f"{value:.4g}"


def evaluate(spec: ExperimentSpec, outcomes: pd.DataFrame, day: str, *, grace_days: int = 0) -> ExperimentResult:
    """Where ``spec`` stands on ``day`` given ``outcomes`` (one row per mature episode: ``variant``, ``value``,
    and ``date`` if known; otherwise rows are taken in the order given).

    ``running`` while a variant has fewer than ``min_sample`` episodes; ``no_difference`` when that is still so
    ``max_days + grace_days`` days after the start (``grace_days``: time for the last episodes to mature);
    otherwise the one test described in the module docstring decides ``winner`` or ``no_difference``."""
    keys = [str(v) for v in spec.variants]
    frame = outcomes if {"variant", "value"} <= set(outcomes.columns) else pd.DataFrame(columns=["variant", "value"])
    frame = frame.dropna(subset=["value"])
    if "date" in frame.columns:
        frame = frame.sort_values("date", kind="stable")
    values = {key: frame.loc[frame["variant"].map(str) == key, "value"].astype(float) for key in keys}
    counts = {key: len(series) for key, series in values.items()}
    if min(counts.values()) < spec.min_sample:
        means = {key: float(series.mean()) for key, series in values.items() if len(series)}
        elapsed = days_since_start(spec, day)
        short = ", ".join(f"{key} {counts[key]}" for key in keys)
        if elapsed >= spec.max_days + grace_days:
            return ExperimentResult(name=spec.name, status="no_difference", counts=counts, means=means,
                                    detail=f"ended after {elapsed} days without enough episodes "
                                           f"({short}; {spec.min_sample} per variant needed)")
        return ExperimentResult(name=spec.name, status="running", counts=counts, means=means,
                                detail=f"waiting for {spec.min_sample} mature episodes per variant ({short})")
    tested = {key: series.iloc[: spec.min_sample] for key, series in values.items()}
    means = {key: float(series.mean()) for key, series in tested.items()}
    best = max(keys, key=lambda key: means[key])
    others = [key for key in keys if key != best]
    p_value = min(1.0, max(welch_p(tested[best], tested[key]) for key in others) * len(others))
    versus = " vs ".join(f"{key} {fmt(means[key])}" for key in [best, *others])
    method = "Welch t-test" if len(others) == 1 else f"Welch t-tests of the best against {len(others)} others, " \
                                                     "Bonferroni-corrected"
    basis = f"{method} on the first {spec.min_sample} episodes of each variant ({spec.metric}: {versus})"
    if p_value < spec.alpha:
        winner = spec.variants[keys.index(best)]
        return ExperimentResult(name=spec.name, status="winner", counts=counts, means=means, p_value=p_value,
                                winner=winner, detail=f"{basis}: p = {p_value:.3g} < {spec.alpha:g}, {best} wins")
    return ExperimentResult(name=spec.name, status="no_difference", counts=counts, means=means, p_value=p_value,
                            detail=f"{basis}: p = {p_value:.3g} is not below {spec.alpha:g}, no difference")

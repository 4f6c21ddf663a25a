from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from storyvid_assets.analytics.experiments import evaluate, variant_outcomes
from storyvid_assets.analytics.models import ExperimentSpec
from storyvid_assets.channels import ChannelConfig

START = "2026-01-01"
DATES = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(1000)]
COVER = ExperimentSpec(name="cover-ab", setting="thumbnail_variant", variants=["a", "b"], start=START,
                       max_days=1000)
MOOD = ExperimentSpec(name="mood", setting="music_mood", variants=["calm", "dreamy"], start=START, min_sample=20)


def channel(experiments: list[dict[str, Any]]) -> ChannelConfig:
    return ChannelConfig.model_validate({"name": "tales", "display_name": "Tales", "genres": ["fable"],
                                         "theme_pool": ["a fox"], "experiments": experiments})


def arms(rng: np.random.Generator, means: dict[str, float], n: int = 20, sd: float = 0.1) -> pd.DataFrame:
    """``n`` synthetic normal outcomes per variant, in date order, variants interleaved like real days."""
    rows = [{"variant": v, "value": rng.normal(mean, sd)} for _ in range(n) for v, mean in means.items()]
    frame = pd.DataFrame(rows)
    frame.insert(0, "date", DATES[: len(frame)])
    return frame


def test_running_until_every_variant_has_its_sample() -> None:
    frame = arms(np.random.default_rng(1), {"calm": 0.5, "dreamy": 0.5}, n=20).iloc[:-1]  # dreamy has 19
    result = evaluate(MOOD, frame, "2026-02-10")
    assert (result.status, result.counts, result.p_value) == ("running", {"calm": 20, "dreamy": 19}, None)


def test_ends_without_a_winner_when_time_runs_out() -> None:
    frame = arms(np.random.default_rng(2), {"calm": 0.5, "dreamy": 0.9}, n=5)
    result = evaluate(MOOD, frame, "2026-03-02")  # day 60 after the start: max_days passed
    assert result.status == "no_difference" and result.winner is None
    assert result.detail.startswith("ended after 60 days without enough episodes")
    assert evaluate(MOOD, frame, "2026-03-02", grace_days=7).status == "running"  # the last episodes may mature


def test_identical_variants_rarely_produce_a_winner() -> None:
    # The acceptance scenario: 20 seeds, 20 episodes per arm, no real difference, the default alpha (0.01). The
    # count of false winners is Binomial(20, 0.01): a correct test exceeds 1 with probability 1.7 %.
    false_winners = sum(
        evaluate(MOOD, arms(np.random.default_rng(seed), {"calm": 0.5, "dreamy": 0.5}), "2026-03-01").status
        == "winner" for seed in range(20))
    assert false_winners <= 1
    # The rate itself, over 400 seeds: alpha within sampling error, far from what peeking would give.
    rate = np.mean([
        evaluate(MOOD, arms(np.random.default_rng([99, seed]), {"calm": 0.5, "dreamy": 0.5}), "2026-03-01").status
        == "winner" for seed in range(400)])
    assert rate <= 0.025


def test_a_real_difference_is_found() -> None:
    # +15 % (0.5 -> 0.575, sd 0.1) with 100 episodes per variant: the test's power is 99.95 % per seed
    spec = MOOD.model_copy(update={"min_sample": 100})
    for seed in range(5):
        frame = arms(np.random.default_rng(seed), {"calm": 0.5, "dreamy": 0.575}, n=100)
        result = evaluate(spec, frame, "2026-06-01")
        assert (result.status, result.winner) == ("winner", "dreamy"), result.detail
        assert result.p_value is not None and result.p_value < MOOD.alpha
        assert result.means["dreamy"] > result.means["calm"]


def test_the_test_is_made_once_on_a_fixed_sample() -> None:
    rng = np.random.default_rng(3)
    first = arms(rng, {"calm": 0.5, "dreamy": 0.5}, n=20)
    later = pd.concat([first, arms(rng, {"calm": 0.2, "dreamy": 0.9}, n=30).assign(
        date=DATES[40:100])], ignore_index=True)
    decided, again = evaluate(MOOD, first, "2026-02-10"), evaluate(MOOD, later.sample(frac=1, random_state=1),
                                                                   "2026-04-01")
    assert again.counts == {"calm": 50, "dreamy": 50}
    assert (again.status, again.p_value, again.means) == (decided.status, decided.p_value, decided.means)


def test_more_than_two_variants_need_the_best_to_beat_every_other() -> None:
    # 60 per variant, one variant +20 %: power 99.9 % per comparison at the Bonferroni level 0.025
    spec = MOOD.model_copy(update={"variants": ["calm", "dreamy", "playful"], "min_sample": 60})
    means = {"calm": 0.5, "dreamy": 0.6, "playful": 0.5}
    clear = evaluate(spec, arms(np.random.default_rng(4), means, n=60), "2026-06-01")
    assert (clear.status, clear.winner) == ("winner", "dreamy"), clear.detail
    assert "Bonferroni" in clear.detail
    # dreamy and playful are equally good: the best cannot beat the other, so no winner
    tie = evaluate(spec, arms(np.random.default_rng(5), {**means, "playful": 0.6}, n=60), "2026-06-01")
    assert tie.status == "no_difference" and tie.p_value is not None and tie.p_value >= spec.alpha


def test_numeric_variants_match_outcomes_recorded_as_text() -> None:
    spec = ExperimentSpec(name="rate", setting="narrator_rate", variants=[140, 160], start=START, min_sample=20)
    frame = arms(np.random.default_rng(6), {"140": 0.5, "160": 0.6})
    result = evaluate(spec, frame, "2026-03-01")
    assert result.counts == {"140": 20, "160": 20}
    assert result.winner == 160


def test_variant_outcomes_reads_episode_assignments() -> None:
    episodes = pd.DataFrame({
        "date": ["2026-01-03", "2026-01-01", "2026-01-02", "2026-01-04"],
        "assignments": [{"mood": "dreamy"}, {"mood": "calm", "cover-ab": "b"}, {}, {"mood": "calm"}],
        "completion_rate": [0.6, 0.5, 0.7, None],
    })
    out = variant_outcomes(episodes, MOOD, "completion_rate")
    assert out.to_dict("records") == [{"date": "2026-01-01", "variant": "calm", "value": 0.5},
                                      {"date": "2026-01-03", "variant": "dreamy", "value": 0.6}]

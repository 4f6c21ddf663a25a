"""The loop end to end on the simulated audience: a planted effect is found and applied, no effect changes
nothing (in at most 1 of 20 seeds), an A/B test of identical variants promotes nothing (≤ 1 of 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.analytics.audience import AudienceModel, load_audience_model
from storyvid_assets.analytics.models import ExperimentSpec, OptimizationSettings
from storyvid_assets.analytics.pinning import episode_settings
from storyvid_assets.analytics.simulation import simulate_history
from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.channels import ChannelConfig, get_channel
from storyvid_assets.review.queue import decide

SEEDS_TIMEOUT_S = 2400  # 20 simulated histories: ~5 min alone on CI's 2 cores, far longer on a busy machine
START, DAYS = "2026-09-01", 60
PLANTED = 0.10  # calm music: +10 % completion


def music_channel(**optimization: object) -> ChannelConfig:
    """Bedtime (its library and YouTube, every format) exploring dreamy vs calm music on half of its days,
    deciding every 20 mature episodes."""
    values: dict[str, object] = {"explore": 0.5, "tunables": ["music_mood"], "min_sample": 20,
                                 "choices": {"music_mood": ["dreamy", "calm"]}, **optimization}
    return get_channel("bedtime").model_copy(update={"optimization": OptimizationSettings(**values),
                                                     "experiments": []})


def fresh_catalog(tmp_path: Path, name: str) -> str:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    migrate(url)
    return url


def neutral_model() -> AudienceModel:
    """The packaged audience with no difference between the tested values (dreamy = calm, thumbnail a = b)."""
    model = load_audience_model()
    for feature, value in (("music_mood", "dreamy"), ("music_mood", "calm"), ("thumbnail_variant", "a"),
                           ("thumbnail_variant", "b")):
        model = model.with_effect(feature, value)
    return model


def planted_model() -> AudienceModel:
    return neutral_model().with_effect("music_mood", "calm", completion=PLANTED)


def test_a_planted_effect_is_recommended_applied_and_used_by_the_next_episode(tmp_path: Path) -> None:
    channel = music_channel()
    url = fresh_catalog(tmp_path, "planted")
    report = simulate_history(url, channel, START, DAYS, model=planted_model(), seed=1)
    assert report.changes, [r.recommendation.reason for r in report.recommendations]
    with session_scope(url) as session:
        [change] = config_db.changes(session, channel.name)
        assert change.status == "pending" and change.after["music_mood"] == "calm"
        evidence = change.evidence
        assert evidence["simulated"] is True
        assert evidence["uplift"] > 0 and evidence["low"] <= PLANTED <= evidence["high"], evidence
        assert "music mood calm instead of dreamy" in evidence["sentence"]
        decision = decide(session, change.review_item_id, "approve", "the data says calm", "alice", "operator")
    from storyvid_assets.analytics.loop import settle_configuration_decision

    with session_scope(url) as session:
        assert settle_configuration_decision(session, decision, "test") == "config_applied"
    with session_scope(url) as session:
        for offset in range(10):  # the next episode that does not explore uses the new version
            pinned = episode_settings(session, channel, f"2026-11-{offset + 1:02d}")
            if not pinned.explored:
                break
        assert (pinned.version, pinned.settings.music_mood) == (1, "calm")


@pytest.mark.timeout(SEEDS_TIMEOUT_S)
def test_no_effect_changes_nothing_in_at_least_19_of_20_seeds(tmp_path: Path) -> None:
    channel = music_channel(auto_apply=True)
    model = neutral_model()
    changed = []
    for seed in range(20):
        url = fresh_catalog(tmp_path, f"null-{seed}")
        report = simulate_history(url, channel, START, DAYS, model=model, seed=seed)
        if report.changes:
            changed.append(seed)
    assert len(changed) <= 1, f"false changes in seeds {changed}"


@pytest.mark.timeout(SEEDS_TIMEOUT_S)
def test_an_ab_test_of_identical_variants_promotes_nothing_in_at_least_19_of_20_seeds(tmp_path: Path) -> None:
    spec = ExperimentSpec(name="thumbs", setting="thumbnail_variant", variants=["a", "b"], start=START,
                          min_sample=20, max_days=DAYS)
    channel = music_channel(enabled=False).model_copy(update={  # one upload per episode: the test is per episode
        "experiments": [spec], "platforms": ["local"], "formats": ["9:16"]})
    model = neutral_model()  # no effect of the thumbnail variant: the variants are identical
    winners, decided = [], 0
    for seed in range(20):
        url = fresh_catalog(tmp_path, f"ab-{seed}")
        report = simulate_history(url, channel, START, DAYS, model=model, seed=seed, auto_apply=True)
        [result] = report.experiments
        decided += result.status != "running"
        if result.status == "winner":
            winners.append(seed)
    assert decided == 20, "every experiment reached its sample and was decided"
    assert len(winners) <= 1, f"false winners in seeds {winners}"

"""The simulated audience: deterministic, decaying, consistent counts, and planted effects that show up."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from storyvid_assets.analytics.audience import (
    DEFAULT_AUDIENCE_FILE,
    AudienceModel,
    expected_completion,
    expected_views,
    load_audience_model,
    simulate_day,
    simulate_lifetime,
    simulate_series,
    upload_features,
)
from storyvid_assets.analytics.models import MetricValues, UploadRef
from storyvid_assets.errors import ConfigError

START = date(2026, 3, 2)


def upload(upload_id: int, platform: str = "youtube", **features: object) -> UploadRef:
    return UploadRef(upload_id=upload_id, channel="bedtime", date=START.isoformat(), format="16:9",
                     platform=platform, post_id=f"v{upload_id}", duration_s=180.0, features=features)


def day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def model() -> AudienceModel:
    return load_audience_model()


def test_same_inputs_same_numbers_and_seeds_differ(model: AudienceModel) -> None:
    ref = upload(7, music_mood="calm")
    assert simulate_day(model, ref, day(1), seed=3) == simulate_day(model, ref, day(1), seed=3)
    assert simulate_day(model, ref, day(1), seed=3) != simulate_day(model, ref, day(1), seed=4)
    assert simulate_day(model, ref, day(1), seed=3) != simulate_day(model, upload(8, music_mood="calm"), day(1), seed=3)


def test_numbers_do_not_depend_on_python_hash_seed() -> None:
    script = (
        "import json; from storyvid_assets.analytics.audience import load_audience_model, simulate_day;"
        "from storyvid_assets.analytics.models import UploadRef;"
        "u = UploadRef(upload_id=11, channel='c', date='2026-03-02', format='9:16', platform='tiktok', post_id='p',"
        " features={'music_mood': 'calm', 'genre': 'bedtime'});"
        "print(json.dumps(simulate_day(load_audience_model(), u, '2026-03-04', seed=5).model_dump()))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed}).stdout
        for hash_seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["views"] > 0


def test_planted_completion_effect_shows_up_in_the_mean(model: AudienceModel) -> None:
    planted = model.with_effect("music_mood", "calm", completion=0.10)
    n = 400

    def rates(mood: str, offset: int) -> list[float]:
        values = [simulate_day(planted, upload(offset + i, music_mood=mood), day(0), seed=1) for i in range(n)]
        return [v.completion_rate for v in values if v.completion_rate is not None]

    calm, neutral = rates("calm", 0), rates("unlisted", n)
    ratio = statistics.mean(calm) / statistics.mean(neutral)
    # standard error of the ratio of two independent means (delta method), from the simulated spread
    se = ratio * ((statistics.stdev(calm) / statistics.mean(calm)) ** 2 / len(calm)
                  + (statistics.stdev(neutral) / statistics.mean(neutral)) ** 2 / len(neutral)) ** 0.5
    assert abs(ratio - 1.10) < 4 * se, (ratio, se)
    assert se < 0.02  # the test can tell +10 % from no effect
    assert expected_completion(planted, {"music_mood": "calm"}) == pytest.approx(
        1.10 * expected_completion(planted, {"music_mood": "unlisted"}))


def test_views_decay_with_day_of_life(model: AudienceModel) -> None:
    refs = [upload(i) for i in range(200)]
    means = {d: statistics.mean(simulate_day(model, ref, day(d)).views for ref in refs) for d in (0, 7, 30)}
    assert means[0] > means[7] > means[30] > 0
    assert expected_views(model, {}, 0) > expected_views(model, {}, 7) > expected_views(model, {}, 30) > 0
    assert means[0] == pytest.approx(expected_views(model, upload_features(refs[0]), 0), rel=0.15)


def test_counts_are_consistent(model: AudienceModel) -> None:
    for i in range(60):
        for platform in ("youtube", "instagram", "tiktok", "facebook", "local"):
            ref = upload(i, platform, music_mood="tense", narrator_rate=260, posting_hour=3)
            values = simulate_day(model, ref, day(i % 10))
            assert min(values.views, values.likes, values.comments, values.shares) >= 0
            assert values.likes <= values.views and values.shares <= values.views
            assert values.comments <= values.views
            if values.views:
                assert values.completion_rate is not None and 0 <= values.completion_rate <= 1
                assert values.avg_view_pct == pytest.approx(100 * values.watch_time_s / (values.views * 180.0),
                                                            abs=1e-3)
                assert 100 * values.completion_rate <= values.avg_view_pct <= 100
            assert (values.revenue_usd is not None) == (platform == "youtube")


def test_nothing_before_the_upload_date(model: AudienceModel) -> None:
    ref = upload(3)
    assert simulate_day(model, ref, day(-1)) == MetricValues()
    assert simulate_lifetime(model, ref, day(-5)) == MetricValues()


def test_lifetime_is_the_sum_of_the_days(model: AudienceModel) -> None:
    ref = upload(5, platform="youtube")
    days = [simulate_day(model, ref, day(d), seed=2) for d in range(15)]
    lifetime = simulate_lifetime(model, ref, day(14), seed=2)
    for field in ("views", "likes", "comments", "shares"):
        assert getattr(lifetime, field) == sum(getattr(d, field) for d in days)
    assert lifetime.watch_time_s == pytest.approx(sum(d.watch_time_s for d in days))
    assert lifetime.revenue_usd == pytest.approx(sum(d.revenue_usd or 0.0 for d in days), abs=1e-3)
    completed = sum(d.views * (d.completion_rate or 0.0) for d in days)
    assert lifetime.completion_rate == pytest.approx(completed / lifetime.views)


def test_series_is_the_days_in_one_pass(model: AudienceModel) -> None:
    ref = upload(9, platform="instagram", genre="adventure")
    series = simulate_series(model, ref, day(-2), day(6), seed=4)
    assert list(series) == [day(d) for d in range(-2, 7)]
    assert series == {day(d): simulate_day(model, ref, day(d), seed=4) for d in range(-2, 7)}


def test_numeric_curves(model: AudienceModel) -> None:
    curve = model.curves.narrator_rate
    assert curve is not None
    at_optimum = expected_completion(model, {"narrator_rate": curve.optimum})
    fast = expected_completion(model, {"narrator_rate": curve.optimum + 4 * curve.unit})
    assert fast == pytest.approx(at_optimum * (1 + 4 * curve.completion_above))
    hour = model.curves.posting_hour
    assert hour is not None and hour.period == 24
    # the hour wraps around midnight: 23:00 is two hours from 01:00
    shifted = model.model_copy(update={"curves": model.curves.model_copy(
        update={"posting_hour": hour.model_copy(update={"optimum": 1.0})})})
    assert expected_views(shifted, {"posting_hour": 23}, 0) == pytest.approx(
        expected_views(shifted, {"posting_hour": 3}, 0))
    assert expected_views(shifted, {"posting_hour": 1}, 0) > expected_views(shifted, {"posting_hour": 23}, 0)


def test_default_model_is_mild(model: AudienceModel) -> None:
    planted = [e for values in model.effects.model_dump().values() for e in values.values()]
    assert planted and all(abs(e["views"]) <= 0.1 and abs(e["completion"]) <= 0.1 for e in planted)


def test_with_effect_names_the_feature(model: AudienceModel) -> None:
    assert model.with_effect("weekday", 2, views=0.2).effects.weekday["2"].views == 0.2
    with pytest.raises(ValueError, match="music_mod"):
        model.with_effect("music_mod", "calm", completion=0.1)
    with pytest.raises(ValueError, match="no platform 'myspace'"):
        simulate_day(model, upload(1, platform="youtube").model_copy(update={"platform": "myspace"}), day(0))


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("effects:\n  music_mod: {calm: {completion: 0.1}}\n", "effects.music_mod"),
        ("platforms:\n  youtube: {base_views: 10, base_completion: 1.5, like_rate: 0.1, comment_rate: 0, "
         "share_rate: 0}\n", "platforms.youtube.base_completion"),
        ("effects:\n  music_mood: {calm: {completion: 0.1, vews: 0.2}}\n", "effects.music_mood.calm.vews"),
        ("default_platform: myspace\n", "default_platform"),
        ("decay: {tail: 0.1}\n", "decay.half_life_days"),
    ],
)
def test_yaml_errors_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    data = yaml.safe_load(DEFAULT_AUDIENCE_FILE.read_text())
    data.update(yaml.safe_load(text))
    path = tmp_path / "audience.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_audience_model(path)
    assert err.value.field == field
    assert str(path) in str(err.value)

"""Deterministic assignment of episodes to experiment variants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import pandas as pd

from storyvid_assets.analytics.assignment import assign, assignments, experiment_layer
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


def test_assignment_is_stable_in_this_and_another_process() -> None:
    here = [assign("bedtime", day, COVER) for day in DATES[:200]]
    assert here == [assign("bedtime", day, COVER) for day in DATES[:200]]
    code = ("import json, sys; from storyvid_assets.analytics.assignment import assign; "
            "from storyvid_assets.analytics.models import ExperimentSpec; "
            "spec = ExperimentSpec.model_validate_json(sys.argv[1]); "
            "print(json.dumps([assign('bedtime', d, spec) for d in json.loads(sys.argv[2])]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # str hashes differ in that process; the assignment must not
    out = subprocess.run([sys.executable, "-c", code, COVER.model_dump_json(), json.dumps(DATES[:200])],
                         capture_output=True, text=True, check=True, env=env, timeout=120)
    assert json.loads(out.stdout) == here


def test_assignment_is_balanced_and_honours_weights() -> None:
    cover = [assign("bedtime", day, COVER) for day in DATES]
    assert abs(cover.count("a") / len(cover) - 0.5) <= 0.05
    other = [assign("midnight", day, COVER) for day in DATES]
    assert other != cover  # the channel is part of the hash
    weighted = COVER.model_copy(update={"variants": ["a", "b", "c"], "weights": [2.0, 1.0, 1.0]})
    shares = pd.Series([assign("bedtime", day, weighted) for day in DATES]).value_counts(normalize=True)
    assert abs(shares["a"] - 0.5) <= 0.05 and abs(shares["b"] - 0.25) <= 0.05 and abs(shares["c"] - 0.25) <= 0.05


def test_assignment_only_within_the_experiment_days() -> None:
    spec = COVER.model_copy(update={"start": "2026-03-01", "max_days": 10})
    assert assign("bedtime", "2026-02-28", spec) is None
    assert assign("bedtime", "2026-03-01", spec) in {"a", "b"}
    assert assign("bedtime", "2026-03-10", spec) in {"a", "b"}  # the tenth day
    assert assign("bedtime", "2026-03-11", spec) is None


def test_assignments_skip_ended_and_let_the_first_experiment_on_a_setting_win() -> None:
    ch = channel([
        {"name": "cover-ab", "setting": "thumbnail_variant", "variants": ["a", "b"], "start": START},
        {"name": "cover-again", "setting": "thumbnail_variant", "variants": ["b", "a"], "start": START},
        {"name": "mood", "setting": "music_mood", "variants": ["calm", "dreamy"], "start": START},
        {"name": "later", "setting": "narrator_rate", "variants": [150, 160], "start": "2026-06-01"},
    ])
    today = assignments(ch, "2026-01-05", set())
    assert set(today) == {"cover-ab", "mood"}
    assert experiment_layer(ch, today) == {"thumbnail_variant": today["cover-ab"], "music_mood": today["mood"]}
    after_end = assignments(ch, "2026-01-05", {"cover-ab"})
    assert set(after_end) == {"cover-again", "mood"}
    assert set(assignments(ch, "2026-06-02", set())) == {"later"}  # the others ran for max_days (60)

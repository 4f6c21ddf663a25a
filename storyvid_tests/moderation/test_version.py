"""The policy version changes with everything that decides a verdict, and with nothing else."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyvid_assets.channels import ModerationSettings
from storyvid_assets.moderation import policy as policy_module
from storyvid_assets.moderation import version as version_module
from storyvid_assets.moderation import wordlists
from storyvid_assets.moderation.policy import build_policy
from storyvid_assets.moderation.version import policy_version


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The moderation data files copied to a folder the test may edit; caches cleared before and after."""
    folder = tmp_path / "data"
    shutil.copytree(wordlists.DATA_DIR, folder)
    caches = [version_module.data_file_digests, wordlists.category_list, wordlists.presets,
              wordlists.personal_data_patterns, wordlists.known_regions, policy_module._compiled]
    for fn in caches:
        fn.cache_clear()
    monkeypatch.setattr(version_module, "DATA_DIR", folder)
    monkeypatch.setattr(wordlists, "DATA_DIR", folder)
    yield folder
    for fn in caches:
        fn.cache_clear()


def test_changing_a_word_list_changes_the_version(data_copy: Path) -> None:
    before = policy_version(ModerationSettings(), "general").version
    assert before == build_policy(ModerationSettings(), "general").version
    profanity = data_copy / "profanity.yaml"
    profanity.write_text(profanity.read_text() + "\n# one more comment is still a changed list file\n")
    version_module.data_file_digests.cache_clear()
    after = policy_version(ModerationSettings(), "general")
    assert after.version != before
    policy_module._compiled.cache_clear()
    assert build_policy(ModerationSettings(), "general").version == after.version


def test_the_version_follows_the_judging_settings_only() -> None:
    base = policy_version(ModerationSettings(), "general").version
    changed = {
        "preset": policy_version(ModerationSettings(preset="strict"), "general").version,
        "audience kids": policy_version(ModerationSettings(), "kids").version,
        "regions": policy_version(ModerationSettings(regions=["us"]), "general").version,
        "names": policy_version(ModerationSettings(real_person_names=["Jane Doe"]), "general").version,
        "extra terms": policy_version(ModerationSettings(extra_terms={"profanity": ["heck"]}), "general").version,
        "allowed": policy_version(ModerationSettings(allow_terms=["damn"]), "general").version,
        "thresholds": policy_version(
            ModerationSettings(provider_thresholds={"mild": 0.1, "severe": 0.4}), "general").version,
        "image required": policy_version(ModerationSettings(require_image_moderation=True), "general").version,
    }
    assert all(v != base for v in changed.values()), changed
    assert len(set(changed.values())) == len(changed) - 1
    assert changed["preset"] == changed["audience kids"]  # a kids channel is judged by the strict preset
    # how often a failed gate retries decides what happens after a verdict, not the verdict
    assert policy_version(ModerationSettings(auto_regenerations=0), "general").version == base


def test_thresholds_override_the_presets_and_are_validated() -> None:
    strict = build_policy(ModerationSettings(), "kids")
    assert (strict.provider_thresholds.mild, strict.provider_thresholds.severe) == (0.2, 0.6)
    own = build_policy(ModerationSettings(provider_thresholds={"mild": 0.1, "severe": 0.3}), "kids")
    assert (own.provider_thresholds.mild, own.provider_thresholds.severe) == (0.1, 0.3)
    with pytest.raises(ValueError, match=r"mild .* must not exceed severe"):
        ModerationSettings(provider_thresholds={"mild": 0.7, "severe": 0.3})

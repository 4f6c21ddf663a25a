"""Which moderation provider a resource set gets: ``STORYVID_MODERATION``, ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.channels import ModerationSettings
from storyvid_assets.errors import ConfigError
from storyvid_assets.moderation.policy import build_policy
from storyvid_assets.reliability import secret_value
from storyvid_assets.resources.moderation import ImageToModerate, LocalModeration, OpenAIModeration
from storyvid_assets.resources.sets import local_resources, moderation_provider
from storyvid_assets.settings import settings
from storyvid_tests.fakes.moderation_fake import API_KEY, FakeModerationServer
from storyvid_tests.resources.moderation.test_images import picture

VARIABLES = ("STORYVID_MODERATION", "OPENAI_API_KEY", "OPENAI_BASE_URL", "STORYVID_ENV")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_local_sets_stay_offline_cloud_sets_use_the_key(env: pytest.MonkeyPatch) -> None:
    assert settings().moderation is None
    assert type(moderation_provider(cloud=False)) is LocalModeration
    assert type(moderation_provider(cloud=True)) is LocalModeration  # no key: offline
    env.setenv("OPENAI_API_KEY", API_KEY)
    assert type(moderation_provider(cloud=False)) is LocalModeration  # the local set never calls out by itself
    cloud = moderation_provider(cloud=True)
    assert isinstance(cloud, OpenAIModeration) and cloud.base_url == "https://api.openai.com/v1"
    assert secret_value(cloud.api_key) == API_KEY and API_KEY not in repr(cloud)


def test_the_variable_chooses(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", API_KEY)
    env.setenv("STORYVID_MODERATION", "local")
    assert type(moderation_provider(cloud=True)) is LocalModeration
    env.setenv("STORYVID_MODERATION", "openai")
    env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    chosen = moderation_provider(cloud=False)
    assert isinstance(chosen, OpenAIModeration) and chosen.base_url == "http://127.0.0.1:9/v1"


def test_openai_without_a_key_names_the_variable_and_the_fix(env: pytest.MonkeyPatch) -> None:
    env.setenv("STORYVID_MODERATION", "openai")
    with pytest.raises(ConfigError) as error:
        moderation_provider(cloud=False)
    assert error.value.field == "STORYVID_MODERATION" and "OPENAI_API_KEY" in error.value.problem
    assert "set OPENAI_API_KEY" in error.value.fix and "STORYVID_MODERATION=local" in error.value.fix


def test_an_unknown_provider_is_a_config_error(env: pytest.MonkeyPatch) -> None:
    env.setenv("STORYVID_MODERATION", "azure")
    with pytest.raises(ConfigError) as error:
        settings()
    assert error.value.field == "STORYVID_MODERATION" and "'azure'" in error.value.problem
    assert "local or openai" in error.value.fix


def test_the_local_set_uses_the_choice_end_to_end(env: pytest.MonkeyPatch, storyvid_home: Path) -> None:
    assert type(local_resources()["moderation_provider"]) is LocalModeration
    with FakeModerationServer() as fake:
        env.setenv("STORYVID_MODERATION", "openai")
        env.setenv("OPENAI_API_KEY", API_KEY)
        env.setenv("OPENAI_BASE_URL", fake.url)
        chosen = local_resources()["moderation_provider"]
        fake.flag_images = 1
        result = chosen.moderate_images(
            [ImageToModerate(scene_index=0, png=picture(256, 256))], build_policy(ModerationSettings(), "kids")
        )
    assert result.checked and any(f.blocking for f in result.findings)
    assert fake.requests[0]["auth"] == f"Bearer {API_KEY}"

"""The ``cloud`` resource set and the channel files' ``providers:`` section."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from storyvid_assets.channels import load_channel_file
from storyvid_assets.errors import ConfigError
from storyvid_assets.resources.sets import RESOURCE_SETS
from storyvid_assets.resources.speech.chain import FallbackSpeechProvider
from storyvid_assets.resources.story.chain import FallbackStoryWriter
from storyvid_tests.resources.story.test_chain import KEY_VARS


@pytest.fixture
def no_keys(storyvid_home: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*KEY_VARS, "AZURE_SPEECH_REGION", "STORYVID_OLLAMA_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_keys_every_chain_is_the_local_provider(no_keys: pytest.MonkeyPatch) -> None:
    resources = RESOURCE_SETS["cloud"]()
    local = RESOURCE_SETS["local"]()
    for key in ("story_writer", "speech_provider", "image_provider", "music_provider"):
        chain = resources[key]
        assert chain.default_chain == ["local"]
        assert type(chain.providers()["local"]) is type(local[key])


def test_keys_enable_providers_as_env_vars_never_as_values(no_keys: pytest.MonkeyPatch) -> None:
    secret = "sk-test-never-in-config-0099"
    no_keys.setenv("OPENAI_API_KEY", secret)
    no_keys.setenv("ELEVENLABS_API_KEY", "xi-test-never-in-config-0099")
    no_keys.setenv("AZURE_SPEECH_KEY", "az-0099")
    no_keys.setenv("AZURE_SPEECH_REGION", "westeurope")
    resources = RESOURCE_SETS["cloud"]()
    story: FallbackStoryWriter = resources["story_writer"]
    speech: FallbackSpeechProvider = resources["speech_provider"]
    assert story.default_chain == ["openai", "local"]
    assert speech.default_chain == ["elevenlabs", "openai", "azure", "local"]
    assert resources["image_provider"].default_chain == ["openai", "local"]
    assert resources["music_provider"].default_chain == ["elevenlabs-music", "local"]
    assert isinstance(story.openai.api_key, dg.EnvVar) and story.openai.api_key == "OPENAI_API_KEY"
    assert speech.azure.region == "westeurope"
    assert secret not in repr(resources)


def test_overrides_reach_the_ledger_and_replace_a_chain(no_keys: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from storyvid_assets.resources.storage.catalog import CatalogResource
    from storyvid_assets.resources.story import LocalStoryWriter

    url = f"sqlite:///{tmp_path / 'other.db'}"
    writer = LocalStoryWriter()
    resources = RESOURCE_SETS["cloud"](catalog=CatalogResource(url=url), story_writer=writer)
    assert resources["story_writer"] is writer
    assert resources["speech_provider"].ledger.catalog_url == url


def write_channel(tmp_path: Path, providers: str) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text("name: demo\ndisplay_name: Demo\ngenres: [bedtime]\ntheme_pool: [a star]\n" + providers)
    return path


def test_channel_providers_section(tmp_path: Path) -> None:
    channel = load_channel_file(
        write_channel(
            tmp_path,
            (
                "providers:\n  story: [openai, anthropic, local]\n  speech: [elevenlabs, local]\n  tier: standard\n"
                "  budgets_usd: {openai: 2.5}\n  voices: {elevenlabs: 21m00Tcm4TlvDq8EpbTVJ}\n"
            ),
        )
    )
    providers = channel.providers
    assert providers.chain_for("story") == ["openai", "anthropic", "local"]
    assert providers.chain_for("metadata") == ["openai", "anthropic", "local"]  # metadata follows story
    assert providers.chain_for("images") is None and providers.tiers_allowed() == ("standard", "budget")
    assert load_channel_file(write_channel(tmp_path, "")).providers.story is None


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("providers:\n  story: []\n", "providers.story"),
        ("providers:\n  story: [OpenAI]\n", "providers.story"),
        ("providers:\n  tier: gold\n", "providers.tier"),
        ("providers:\n  budgets_usd: {openai: 0}\n", "providers.budgets_usd"),
        ("providers:\n  degrade_at: {standard: 0.9, budget: 0.5}\n", "providers.degrade_at"),
        ("providers:\n  stroy: [openai]\n", "providers.stroy"),
    ],
)
def test_bad_providers_sections_name_the_field(tmp_path: Path, section: str, field: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_channel_file(write_channel(tmp_path, section))
    assert raised.value.field == field
    assert "chains list provider names" in raised.value.fix or "channels/bedtime.yaml" in raised.value.fix

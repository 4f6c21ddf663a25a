"""The ``story`` asset on the cloud resource set: fallback, budgets with the degrade policy, ledger, secrets.

These materialize the real asset with ``dg.materialize`` on ``cloud_resources()`` (``STORYVID_ENV=cloud``),
with the SDKs pointed at the loopback fakes through their own ``*_BASE_URL`` variables and the keys passed
as ``dg.EnvVar``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from sqlalchemy import select

from storyvid_assets.assets.story import story
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.tables.cloud_ai import BudgetStateRow
from storyvid_assets.catalog.tables.core import EpisodeRow
from storyvid_assets.channels import reset_channels
from storyvid_assets.episode import partition_key
from storyvid_assets.resources.budget import DEFAULT_PRICES_FILE, CostLedger
from storyvid_assets.resources.sets import RESOURCE_SETS
from storyvid_tests.fakes.ai_server import AUTH
from storyvid_tests.fakes.anthropic_fake import AnthropicFake
from storyvid_tests.fakes.openai_fake import OpenAIFake
from storyvid_tests.resources.conftest import write_channels

KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "MISTRAL_API_KEY",
    "ELEVENLABS_API_KEY",
    "AZURE_SPEECH_KEY",
    "STORYVID_OLLAMA_URL",
    "STORYVID_SDXL_DIR",
    "STORYVID_REDIS_URL",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
)


@pytest.fixture
def cloud_env(
    storyvid_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    openai_fake: OpenAIFake,
    anthropic_fake: AnthropicFake,
) -> Iterator[dict[str, Any]]:
    """Keys and base URLs of the fakes in the environment, as an operator would set them."""
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", openai_fake.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_fake.origin)
    yield {"tmp": tmp_path, "monkeypatch": monkeypatch}


def use_channels(env: dict[str, Any], providers: dict[str, Any]) -> None:
    directory = write_channels(env["tmp"] / "channels", {"bedtime": providers})
    reset_channels()  # the files changed on disk; channels are otherwise read once per folder and process
    env["monkeypatch"].setenv("STORYVID_CHANNELS_DIR", str(directory))


def materialize_story(resources: dict[str, Any], date: str, instance: dg.DagsterInstance) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [story],
        resources=resources,
        partition_key=partition_key("bedtime", date),
        instance=instance,
        raise_on_error=False,
    )


def test_fallback_story_is_served_recorded_and_no_secret_leaks(
    cloud_env: dict[str, Any],
    openai_fake: OpenAIFake,
    anthropic_fake: AnthropicFake,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_channels(cloud_env, {"story": ["openai", "anthropic", "local"]})
    openai_fake.fail_always(AUTH)  # the primary fails hard: a final (non-retryable) error
    resources = RESOURCE_SETS["cloud"]()
    instance = dg.DagsterInstance.ephemeral()
    caplog.set_level(logging.DEBUG)

    result = materialize_story(resources, "2026-11-20", instance)

    assert result.success
    written = result.output_for_node("story")
    assert written.provider == "anthropic:claude-sonnet-4-6" and written.title == "The Owl Who Learned to Sing"
    event = result.asset_materializations_for_node("story")[0]
    meta = {key: value.value for key, value in event.metadata.items()}
    assert meta["served_by"] == "anthropic" and meta["fallbacks"] == 1 and meta["provider"] == written.provider
    assert "| openai | gpt-4o | premium | failed |" in meta["provider_calls"]
    ledger = CostLedger(catalog_url=resources["catalog"].url)
    rows = ledger.ledger_rows(run_id=result.run_id)
    assert [(r.provider, r.outcome) for r in rows] == [("openai", "failed"), ("anthropic", "served")]
    assert all((r.channel, r.date, r.asset) == ("bedtime", "2026-11-20", "story") for r in rows)
    assert "invalid_api_key" in rows[0].detail
    used = anthropic_fake.reported_usage[-1]
    assert rows[1].units == {"input_tokens": used["input_tokens"], "output_tokens": used["output_tokens"]}
    assert rows[1].cost_usd == pytest.approx(used["input_tokens"] * 3.0 / 1e6 + used["output_tokens"] * 15.0 / 1e6)
    assert meta["cost_usd"] == pytest.approx(rows[1].cost_usd, abs=1e-6)

    anthropic_fake.fail_always(AUTH)  # now every cloud provider fails and the chain has no local fallback
    use_channels(cloud_env, {"story": ["openai", "anthropic"]})
    failed = materialize_story(RESOURCE_SETS["cloud"](), "2026-11-21", instance)
    assert not failed.success
    failure = failed.get_step_failure_events()[0].event_specific_data.error
    assert "no provider served" in failure.to_string()

    keys = (openai_fake.api_key, anthropic_fake.api_key)
    texts = [caplog.text, failure.to_string()]
    for run in (result.run_id, failed.run_id):
        for entry in instance.all_logs(run):
            texts.append(entry.user_message or "")
            texts.append(str(entry.dagster_event.event_specific_data) if entry.dagster_event else "")
    texts.append(str(meta))
    texts.extend(str(r.detail) for r in ledger.ledger_rows())
    for text in texts:
        for key in keys:
            assert key not in text
            assert key[-8:] not in text  # not even the tail of a key echoed back by a server
    assert "invalid_api_key" in caplog.text  # the failure itself is logged, only the key is not


def price_table() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PRICES_FILE.read_text())


def test_budget_degrades_premium_standard_budget_then_pauses(
    cloud_env: dict[str, Any],
    openai_fake: OpenAIFake,
) -> None:
    use_channels(cloud_env, {"story": ["openai", "local"], "budgets_usd": {"openai": 0.01}})
    # What the fake reports per model, chosen so each call moves the day's spend across the next threshold.
    openai_fake.usage_override = {"gpt-4o": (1000, 350), "gpt-4o-mini": (4000, 2500), "gpt-4.1-nano": (5000, 4000)}
    resources = RESOURCE_SETS["cloud"]()
    instance = dg.DagsterInstance.ephemeral()

    served = []
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        result = materialize_story(resources, day, instance)
        assert result.success, day
        served.append(result.output_for_node("story").provider)
    assert served == ["openai:gpt-4o", "openai:gpt-4o-mini", "openai:gpt-4.1-nano"]
    alert_run = instance.get_runs()[1]  # the second run took the spend past 80% of the budget
    assert any("spend alert" in (e.user_message or "") for e in instance.all_logs(alert_run.run_id))

    paused = materialize_story(resources, "2026-11-04", instance)
    assert not paused.success
    message = paused.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "paused" in message and "budgets_usd.openai" in message
    assert len(openai_fake.calls("/chat/completions")) == 3  # nothing was sent once the budget was used
    url = resources["catalog"].url
    with session_scope(url) as session:
        episode = session.scalars(select(EpisodeRow).filter_by(channel="bedtime", date="2026-11-04")).one()
        state = session.scalars(select(BudgetStateRow).filter_by(channel="bedtime", provider="openai")).one()
        assert episode.status == "paused_budget"
        assert (state.tier, state.status) == ("paused", "paused") and state.alerted_at is not None

    prices = price_table()["openai"]

    def cost(entry: dict[str, Any]) -> float:
        model = prices[entry["model"]]
        return sum(entry[unit] * model[unit]["usd"] / model[unit]["per"] for unit in ("input_tokens", "output_tokens"))

    expected = sum(cost(entry) for entry in openai_fake.reported_usage)
    rows = CostLedger(catalog_url=url).ledger_rows(provider="openai")
    assert sum(r.cost_usd for r in rows) == pytest.approx(expected, rel=1e-9)
    assert [r.tier for r in rows if r.outcome == "served"] == ["premium", "standard", "budget"]
    assert state.spent_usd == pytest.approx(expected, rel=1e-9) and state.spent_usd >= 0.01

"""Prices, the cost ledger, daily budgets and the degrade policy, without Dagster runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from storyvid_assets.errors import ConfigError
from storyvid_assets.models import ProviderUsage
from storyvid_assets.provider_config import ChannelProviders
from storyvid_assets.resources.budget import CostLedger, cap_tier, load_price_table, tier_for_fraction
from storyvid_assets.resources.scope import ProviderScope


def test_packaged_price_table_prices_every_default_model() -> None:
    from storyvid_assets.resources.images.openai import OPENAI_IMAGE_MODELS
    from storyvid_assets.resources.music.elevenlabs import MUSIC_MODELS
    from storyvid_assets.resources.speech.elevenlabs import ELEVENLABS_MODELS
    from storyvid_assets.resources.speech.openai import OPENAI_TTS_MODELS
    from storyvid_assets.resources.story.anthropic import ANTHROPIC_MODELS
    from storyvid_assets.resources.story.openai import MISTRAL_MODELS, OPENAI_MODELS

    table = load_price_table()
    units = {"openai": OPENAI_MODELS, "anthropic": ANTHROPIC_MODELS, "mistral": MISTRAL_MODELS}
    for provider, models in units.items():
        for tier in ("premium", "standard", "budget"):
            assert table.cost(provider, models.for_tier(tier), {"input_tokens": 1, "output_tokens": 1}) > 0
    for tier in ("premium", "standard", "budget"):
        assert table.cost("openai", OPENAI_TTS_MODELS.for_tier(tier), {"characters": 1000}) > 0
        assert table.cost("openai", OPENAI_IMAGE_MODELS.for_tier(tier), {"images": 1}) > 0
        assert table.cost("elevenlabs", ELEVENLABS_MODELS.for_tier(tier), {"characters": 1000}) > 0
        assert table.cost("elevenlabs-music", MUSIC_MODELS.for_tier(tier), {"seconds": 60}) > 0
    assert table.cost("openai", "gpt-4o", {"input_tokens": 1_000_000, "output_tokens": 1_000_000}) == 12.5
    assert table.cost("azure", "neural", {"characters": 1_000_000}) == 15.0
    assert table.cost("ollama", "llama3.1:8b", {"input_tokens": 5000}) == 0
    assert table.cost("local", "local", {}) == 0


def test_unknown_prices_are_configuration_errors(tmp_path: Path) -> None:
    table = load_price_table()
    with pytest.raises(ConfigError, match=r"openai\.gpt-9"):
        table.cost("openai", "gpt-9", {"input_tokens": 10})
    with pytest.raises(ConfigError, match=r"openai\.gpt-4o\.images"):
        table.cost("openai", "gpt-4o", {"images": 1})
    with pytest.raises(ConfigError, match="no prices for provider 'acme'"):
        table.cost("acme", "x", {"images": 1})
    broken = tmp_path / "prices.yaml"
    broken.write_text("openai:\n  gpt-4o:\n    input_tokens: {usd: -1, per: 1}\n")
    with pytest.raises(ConfigError) as raised:
        load_price_table(broken)
    assert raised.value.field == "openai.gpt-4o.input_tokens.usd" and str(broken) in str(raised.value)


def test_tiers_follow_the_spent_fraction() -> None:
    assert [tier_for_fraction(f, 0.5, 0.8) for f in (0, 0.49, 0.5, 0.79, 0.8, 0.99, 1.0, 3)] == [
        "premium",
        "premium",
        "standard",
        "standard",
        "budget",
        "budget",
        None,
        None,
    ]
    assert cap_tier("premium", "standard") == "standard" and cap_tier("budget", "standard") == "budget"


def spend(provider: str, tokens: tuple[int, int], model: str = "gpt-4o") -> ProviderUsage:
    return ProviderUsage(
        kind="story",
        provider=provider,
        model=model,
        tier="premium",
        units={"input_tokens": tokens[0], "output_tokens": tokens[1]},
    )


def test_ledger_totals_budget_state_and_a_single_alert(
    sqlite_catalog_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = CostLedger(catalog_url=sqlite_catalog_url)
    settings = ChannelProviders(budgets_usd={"openai": 0.01}, tier="standard")
    scope = ProviderScope(run_id="run-1", channel="bedtime", date="2026-11-25", asset="story", providers=settings)
    assert ledger.choose_tier(scope, "openai") == "standard"  # the channel never goes above its tier
    assert ledger.choose_tier(scope, "anthropic") == "standard"  # no budget: the channel's tier
    caplog.set_level(logging.WARNING)
    priced = ledger.record(scope, [spend("openai", (1000, 600))])  # 0.0025 + 0.006 = 0.0085 = 85%
    assert priced[0].cost_usd == pytest.approx(0.0085)
    assert scope.cost_usd == pytest.approx(0.0085) and scope.served_by() == ["openai"]
    assert ledger.choose_tier(scope, "openai") == "budget"
    assert caplog.text.count("spend alert") == 1 and "85%" in caplog.text
    ledger.record(scope, [spend("openai", (100, 10))])
    assert caplog.text.count("spend alert") == 1  # once a day
    ledger.record(scope, [spend("openai", (1000, 200))])
    assert ledger.choose_tier(scope, "openai") is None
    assert ledger.spent("bedtime", "openai") == pytest.approx(0.0085 + 0.00035 + 0.0045)
    assert ledger.spent("midnight", "openai") == 0  # budgets are per channel
    rows = ledger.ledger_rows(run_id="run-1")
    assert len(rows) == 3 and {r.asset for r in rows} == {"story"}


def test_pause_names_the_fix(sqlite_catalog_url: str) -> None:
    ledger = CostLedger(catalog_url=sqlite_catalog_url)
    scope = ProviderScope(
        run_id="r",
        channel="bedtime",
        date="2026-11-25",
        asset="story",
        providers=ChannelProviders(budgets_usd={"openai": 0.001}),
    )
    ledger.record(scope, [spend("openai", (1000, 0))])
    error = ledger.pause(scope, "openai")
    assert "bedtime|2026-11-25 paused" in str(error) and "providers.budgets_usd.openai" in str(error)

"""The spend page: the cost ledger by channel, provider, asset and day against the channel files' budgets, the
degrade tier the ledger picks today, and the chart of daily spend per channel against its budget."""

from __future__ import annotations

import html as html_lib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.costs import add_cost
from storyvid_assets.channels import DEFAULT_CHANNELS_DIR, get_channel, reset_channels
from storyvid_assets.models import ProviderUsage
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.scope import ProviderScope
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import log_in

BUDGETS = {"openai": 1.0, "anthropic": 0.5}


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The cells' text of each row of the table with ``table_id`` (header row included)."""
    match = re.search(rf'<table id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert match, f"the page has no table #{table_id}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


def svg_texts(svg: bytes) -> list[str]:
    """The labels of a matplotlib SVG (drawn as paths, each with its text in a comment); parsing also proves
    the document is well-formed XML with an <svg> root."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(svg, parser=parser)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return [str(e.text).strip() for e in root.iter() if e.tag is ET.Comment]


def days_ago(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


@pytest.fixture
def channels_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The shipped channel files, bedtime with daily budgets for openai and anthropic."""
    folder = tmp_path / "channels"
    folder.mkdir()
    for path in DEFAULT_CHANNELS_DIR.glob("*.yaml"):
        text = path.read_text()
        if path.stem == "bedtime":
            text += "\n" + yaml.safe_dump({"providers": {"budgets_usd": BUDGETS}})
        (folder / path.name).write_text(text)
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(folder))
    reset_channels()
    yield folder
    reset_channels()


def usage(provider: str, model: str, output_tokens: int) -> ProviderUsage:
    return ProviderUsage(kind="story", provider=provider, model=model, tier="premium",
                         units={"output_tokens": output_tokens})


@pytest.fixture
def ledger(catalog_url: str, channels_dir: Path) -> dict[str, Any]:
    """Today: bedtime spent $0.60 of openai's $1.00 (standard tier) and $0.60 of anthropic's $0.50 (paused),
    through the real ledger; earlier days and midnight's spend as plain ledger rows."""
    cost = CostLedger(catalog_url=catalog_url)
    providers = get_channel("bedtime").providers
    cost.record(ProviderScope(run_id="r1", channel="bedtime", date=days_ago(0), asset="story", providers=providers),
                [usage("openai", "gpt-4o", 60_000)])
    cost.record(ProviderScope(run_id="r1", channel="bedtime", date=days_ago(0), asset="platform_metadata",
                              providers=providers), [usage("anthropic", "claude-sonnet-4-6", 40_000)])
    with session_scope(catalog_url) as session:
        for channel, day, provider, asset, usd in [("bedtime", days_ago(1), "openai", "scene_images", 0.25),
                                                   ("midnight", days_ago(3), "openai", "story", 0.10),
                                                   ("bedtime", days_ago(40), "openai", "story", 9.0)]:
            add_cost(session, run_id="r0", channel=channel, date=day, asset=asset, kind="story", provider=provider,
                     model="gpt-4o", tier="premium", outcome="served", units={}, cost_usd=usd, detail="", day=day)
    return {"today": days_ago(0)}


def test_budgets_tiers_and_the_ledger_by_channel_provider_asset_and_day(
    client_as: Callable[[str], TestClient], ledger: dict[str, Any]
) -> None:
    page = client_as("vera").get("/spend")
    assert page.status_code == 200, page.text
    budgets = {(r[0], r[1]): r for r in table_rows(page.text, "budgets")[1:]}
    assert budgets["Moonlit Bedtime Stories", "openai"][2:] == ["$1.00", "$0.6000", "60%", "standard", "active"]
    assert budgets["Moonlit Bedtime Stories", "anthropic"][2:] == ["$0.50", "$0.6000", "120%", "paused", "paused"]
    assert ("Midnight Tales", "openai") not in budgets, "midnight has no budgets and spent nothing today"
    # the 40-day-old row is outside the default 30 days
    assert re.search(r'id="total">\$1\.5500<', page.text), page.text
    by_channel = {r[0]: r for r in table_rows(page.text, "by-channel")[1:]}
    assert by_channel["bedtime"][1:] == ["3", "$1.4500", "$45.00", "3%"]  # $1.50 a day for 30 days
    assert by_channel["midnight"][1:3] == ["1", "$0.1000"] and by_channel["midnight"][3] == ""
    by_provider = {r[0]: r for r in table_rows(page.text, "by-provider")[1:]}
    assert by_provider["bedtime · anthropic"][1:] == ["1", "$0.6000", "$15.00", "4%"]
    by_asset = {r[0]: r[2] for r in table_rows(page.text, "by-asset")[1:]}
    assert by_asset == {"story": "$0.7000", "platform_metadata": "$0.6000", "scene_images": "$0.2500"}
    days = table_rows(page.text, "by-day")[1:]
    assert [days_ago(1), "bedtime", "openai", "scene_images", "1", "$0.2500"] in days
    assert all(r[0] >= days_ago(29) for r in days)
    assert page.text.count('class="spend-chart chart-wide"') == 2, "one chart per channel"
    assert page.text.count('class="spend-chart chart-narrow"') == 2, "each also drawn for phones"
    assert "/charts/spend.svg?channel=bedtime&amp;days=30" in page.text


def test_filters_narrow_the_ledger_and_bad_filters_name_the_field(
    client_as: Callable[[str], TestClient], ledger: dict[str, Any]
) -> None:
    client = client_as("vera")
    page = client.get("/spend", params={"channel": "midnight", "days": "60"})
    assert page.status_code == 200
    assert {r[0] for r in table_rows(page.text, "by-channel")[1:]} == {"midnight"}
    assert "no-budgets" in page.text and page.text.count('class="spend-chart chart-wide"') == 1
    longer = client.get("/spend", params={"channel": "bedtime", "days": "60"})
    assert re.search(r'id="total">\$10\.4500<', longer.text), "60 days include the 40-day-old row"
    for params, field in [({"channel": "nope"}, "channel"), ({"days": "0"}, "days"), ({"days": "x"}, "days"),
                          ({"days": "9999"}, "days")]:
        refused = client.get("/spend", params=params)
        assert refused.status_code == 400 and f"{field}:" in refused.text, refused.text


def test_the_spend_chart_is_an_svg_of_the_days_providers_and_budget(
    client_as: Callable[[str], TestClient], ledger: dict[str, Any]
) -> None:
    client = client_as("vera")
    chart = client.get("/charts/spend.svg", params={"channel": "bedtime", "days": "7"})
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.headers["cache-control"] == "no-store" and chart.headers["x-content-type-options"] == "nosniff"
    texts = svg_texts(chart.content)
    assert {"openai", "anthropic", "daily budget $1.50", ledger["today"]} <= set(texts), texts
    assert any("Moonlit Bedtime Stories: daily spend" in t for t in texts)
    quiet = svg_texts(client.get("/charts/spend.svg", params={"channel": "midnight", "days": "1"}).content)
    assert "nothing spent in these days" in quiet
    assert client.get("/charts/spend.svg", params={"channel": "../etc"}).status_code == 400


def test_spend_needs_a_session(app: Any, ledger: dict[str, Any]) -> None:
    anonymous = TestClient(app)
    for path in ("/spend", "/charts/spend.svg?channel=bedtime"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


@pytest.mark.browser
def test_spend_page_in_chromium_with_its_charts(browser: Any, server: str, ledger: dict[str, Any]) -> None:
    page = log_in(browser, server, "vera")
    page.goto(f"{server}/spend")
    page.wait_for_function("[...document.querySelectorAll('img.spend-chart')].every(i => i.complete)")
    widths = page.eval_on_selector_all("img.spend-chart", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 4 and all(w > 0 for w in widths), widths  # wide and narrow, two channels
    assert page.inner_text("#budgets").count("paused") >= 1
    assert page.eval_on_selector("img.spend-chart.chart-wide", "i => i.getBoundingClientRect().width") > 600
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.eval_on_selector("img.spend-chart.chart-wide", "i => i.getBoundingClientRect().width") == 0
    rendered = page.eval_on_selector("img.spend-chart.chart-narrow", "i => i.getBoundingClientRect().width")
    assert 300 < rendered <= 390, "phones get the narrow chart at the screen's width"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 400, f"the page scrolls sideways at phone width ({overflow}px)"
    for path in screenshots(page, "spend"):
        assert path.stat().st_size > 0

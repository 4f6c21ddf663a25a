"""The console's SVG charts: well-formed SVG carrying the data's labels, both sizes, an empty state, and figures
drawn on many threads at once without mixing (no pyplot global state)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from storyvid_assets.console import charts
from storyvid_tests.console.test_spend import svg_texts

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]


def test_a_line_chart_has_its_title_series_reference_and_days() -> None:
    svg = charts.line_chart("Bedtime: views per day", DAYS, {"youtube": [10, None, 30], "tiktok": [5, 6, 7]},
                            y_label="views", reference={"target 25": [25, 25, 25]})
    texts = svg_texts(svg)
    assert {"Bedtime: views per day", "youtube", "tiktok", "target 25", "views", *DAYS} <= set(texts), texts
    assert b"<script" not in svg, "nothing executable in an image"
    for colour in (charts.COLOURS[0], charts.COLOURS[1], "#dd3333"):  # two series and the dashed reference
        assert re.search(rb"stroke: " + colour.encode(), svg), colour


def test_a_stacked_bar_chart_stacks_each_provider_per_day() -> None:
    svg = charts.stacked_bar_chart("spend", DAYS, {"openai": [0.1, 0.2, 0.0], "anthropic": [0.3, 0.0, 0.5]},
                                   y_label="USD", reference={"daily budget $1.00": [1.0, 1.0, 1.0]})
    texts = svg_texts(svg)
    assert {"spend", "openai", "anthropic", "daily budget $1.00", "USD", *DAYS} <= set(texts), texts
    for colour in charts.COLOURS[:2]:  # three bar segments per provider, and its legend swatch
        assert len(re.findall(rb"fill: " + colour.encode(), svg)) == 4, colour


def test_long_windows_thin_the_day_labels_but_keep_the_last_day() -> None:
    days = [f"2026-10-{d:02d}" for d in range(1, 32)]
    for size, most in (("wide", 12), ("narrow", 6)):
        shown = [t for t in svg_texts(charts.line_chart("t", days, {"s": list(range(31))}, y_label="v", size=size))
                 if t in days]
        assert days[-1] in shown and 2 <= len(shown) <= most + 1, (size, shown)


def test_sizes_and_the_empty_state() -> None:
    wide, narrow = (charts.line_chart("t", DAYS, {"s": [1, 2, 3]}, y_label="v", size=s) for s in ("wide", "narrow"))
    assert b'width="648pt"' in wide and b'width="331.2pt"' in narrow
    empty = svg_texts(charts.stacked_bar_chart("t", DAYS, {}, y_label="USD", empty="nothing spent"))
    assert "nothing spent" in empty
    assert "no data" in svg_texts(charts.line_chart("t", DAYS, {"s": [None, None, None]}, y_label="v"))
    with pytest.raises(ValueError, match="size: 'huge'"):
        charts.line_chart("t", DAYS, {"s": [1, 2, 3]}, y_label="v", size="huge")


def test_charts_drawn_on_many_threads_keep_their_own_data() -> None:
    def draw(n: int) -> list[str]:
        return svg_texts(charts.line_chart(f"chart {n}", DAYS, {f"series {n}": [n, n + 1, n + 2]}, y_label="v"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(draw, range(24)))
    for n, texts in enumerate(results):
        assert f"chart {n}" in texts and f"series {n}" in texts
        assert not any(t.startswith(("chart ", "series ")) and t not in (f"chart {n}", f"series {n}") for t in texts)


def test_the_response_is_an_uncached_svg() -> None:
    response = charts.svg_response(b"<svg/>")
    assert response.media_type == "image/svg+xml" and response.headers["cache-control"] == "no-store"

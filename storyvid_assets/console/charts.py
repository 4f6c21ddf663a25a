"""Server-side SVG charts for the console, drawn with matplotlib and served from same-origin routes.

Pages show them with ``<img src="/charts/...svg">``: the console's CSP forbids inline styles, and matplotlib's
SVG carries a ``<style>`` block, so the SVG is never inlined. Each chart is its own
:class:`matplotlib.figure.Figure` on matplotlib's SVG canvas (no pyplot, no global figure state), so requests
served on different threads never share a figure. Text is drawn as paths (it looks the same in every browser);
matplotlib writes each label's text next to its path as an XML comment.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi.responses import Response

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SVG_TYPE = "image/svg+xml"
SIZES = {"wide": (9.0, 3.6), "narrow": (4.6, 4.4)}  # inches at 100 dpi: desktop, and phones (legend below)
COLOURS = ["#3b6fd8", "#e07b39", "#3a9a5b", "#c2417a", "#7a5cc7", "#8c6d31", "#2aa3b5", "#666666"]


def _figure(title: str, y_label: str, size: str) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    if size not in SIZES:
        raise ValueError(f"size: {size!r} is not a chart size; use one of {list(SIZES)}")
    figure = Figure(figsize=SIZES[size], dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=11 if size == "wide" else 9, loc="left", wrap=True)
    axes.set_ylabel(y_label, fontsize=9)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _x_ticks(axes: Axes, labels: Sequence[str], size: str) -> None:
    """Day labels, thinned so they stay legible at any length; the last one (today) is always shown."""
    step = max(1, math.ceil(len(labels) / (12 if size == "wide" else 6)))
    positions = sorted(range(len(labels) - 1, -1, -step))
    axes.set_xticks(positions, [labels[i] for i in positions], rotation=35, ha="right")
    if labels:
        axes.set_xlim(-0.6, len(labels) - 0.4)


def _legend(axes: Axes, size: str) -> None:
    if size == "wide":
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        axes.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2)


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="#666666",
              transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def line_chart(title: str, x_labels: Sequence[str], series: dict[str, Sequence[float | None]], *, y_label: str,
               reference: dict[str, Sequence[float | None]] | None = None, empty: str = "no data",
               size: str = "wide") -> bytes:
    """One line per entry of ``series`` over ``x_labels`` (``None`` leaves a gap); ``reference`` lines are
    dashed (budgets, targets). ``size``: ``wide`` or ``narrow`` (phones). SVG bytes."""
    figure, axes = _figure(title, y_label, size)
    if not x_labels or not any(v is not None for values in series.values() for v in values):
        _empty(axes, empty)
        return _svg(figure)
    xs = list(range(len(x_labels)))
    for index, (name, values) in enumerate(series.items()):
        ys = [math.nan if v is None else float(v) for v in values]
        axes.plot(xs, ys, label=name, color=COLOURS[index % len(COLOURS)], linewidth=1.6,
                  marker="o" if len(xs) <= 31 else None, markersize=2.5)
    for name, values in (reference or {}).items():
        ys = [math.nan if v is None else float(v) for v in values]
        axes.plot(xs, ys, label=name, color="#d33", linestyle="--", linewidth=1.2)
    _x_ticks(axes, x_labels, size)
    axes.set_ylim(bottom=0)
    _legend(axes, size)
    return _svg(figure)


def stacked_bar_chart(title: str, x_labels: Sequence[str], stacks: dict[str, Sequence[float]], *, y_label: str,
                      reference: dict[str, Sequence[float | None]] | None = None, empty: str = "no data",
                      size: str = "wide") -> bytes:
    """Bars over ``x_labels`` stacked from ``stacks`` (one segment per entry), with dashed ``reference``
    lines (e.g. the daily budget). ``size``: ``wide`` or ``narrow`` (phones). SVG bytes."""
    figure, axes = _figure(title, y_label, size)
    if not x_labels or not stacks:
        _empty(axes, empty)
        return _svg(figure)
    xs = list(range(len(x_labels)))
    bottom = [0.0] * len(xs)
    for index, (name, values) in enumerate(stacks.items()):
        heights = [float(v) for v in values]
        axes.bar(xs, heights, bottom=bottom, label=name, color=COLOURS[index % len(COLOURS)],
                 width=0.75)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for name, values in (reference or {}).items():
        ys = [math.nan if v is None else float(v) for v in values]
        axes.plot(xs, ys, label=name, color="#d33", linestyle="--", linewidth=1.2)
    _x_ticks(axes, x_labels, size)
    _legend(axes, size)
    return _svg(figure)


def svg_response(svg: bytes) -> Response:
    """An SVG chart for an ``<img>``: never cached (it shows private figures), never sniffed as HTML."""
    return Response(svg, media_type=SVG_TYPE, headers={"Cache-Control": "no-store"})

"""The platform fault matrix in pytest's terminal summary: ``test_fault_matrix`` and ``test_sigkill`` record their
cells as user properties, which travel from xdist workers to the controller; the hooks are re-exported by the
top-level ``storyvid_tests/conftest.py`` because the xdist controller loads no sub-directory conftest."""

from __future__ import annotations

import json
from typing import Any

import pytest

_MATRIX_ROWS: dict[str, dict[str, str]] = {}  # target -> fault -> cell (from test_fault_matrix's rows)
_MATRIX_ORDER: dict[str, int] = {}  # target -> its column (xdist reports rows in any order)
_MATRIX_EXTRA: dict[str, dict[str, str]] = {}  # target -> fault -> cell reported by other tests


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        for name, value in report.user_properties:
            if name == "fault_matrix_row":
                row = json.loads(str(value))
                _MATRIX_ROWS[row["target"]] = dict(row["cells"])
                _MATRIX_ORDER[row["target"]] = int(row.get("order", len(_MATRIX_ORDER)))
            if name == "fault_matrix_cell":  # one more cell (e.g. test_sigkill's), shown after the faults
                cell = json.loads(str(value))
                _MATRIX_EXTRA.setdefault(cell["target"], {})[cell["fault"]] = cell["cell"]
                _MATRIX_ORDER.setdefault(cell["target"], int(cell.get("order", 99)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    matrix = {t: {**_MATRIX_ROWS.get(t, {}), **_MATRIX_EXTRA.get(t, {})} for t in {*_MATRIX_ROWS, *_MATRIX_EXTRA}}
    if not matrix:
        return
    terminalreporter.section("platform fault matrix")
    faults = list(dict.fromkeys(f for cells in [*_MATRIX_ROWS.values(), *_MATRIX_EXTRA.values()] for f in cells))
    targets = sorted(matrix, key=lambda t: (_MATRIX_ORDER.get(t, 99), t))
    header = ["fault", *targets]
    rows = [[fault, *(matrix[t].get(fault, "-") for t in targets)] for fault in faults]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "status of each run (→ rerun by an operator or the sensor), r = our step retries; every cell ends with",
        "exactly one post, or (new faults only) an explicit deferred/uncertain/failed state; FAIL = invariant broken.",
        " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    for line in lines:
        terminalreporter.write_line(line)

"""Per-point output: which input line each row came from, and the --residuals file.

Rows are named by their line in the input file (comment and blank lines counted), or,
for standard input, by their 1-based position among the data rows (header excluded).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.diagnostics import fitted_residuals
from ..io.atomic import save
from ..io.csv_out import format_csv


def input_lines(table) -> Any:
    """1-based line numbers of the table's data rows in its file (data.Table knows them),
    or None for standard input."""
    return None if table.source == "<stdin>" else table.line_numbers()


class Rows:
    """Which input rows the report names: file line numbers, or 1-based data rows (stdin)."""

    def __init__(self, table):
        self._table, self._lines = table, False

    @property
    def kind(self) -> str:
        """"line" or "row", known without computing the numbers."""
        if self._lines is not False:
            return "row" if self._lines is None else "line"
        known = self._table.source != "<stdin>" and self._table.knows_lines
        return "line" if known else "row"

    @property
    def numbers(self):
        if self._lines is False:
            self._lines = input_lines(self._table)
        return self._lines

    def of(self, mask) -> list[int]:
        """The numbers of the rows where mask (n,) is True."""
        index = np.flatnonzero(mask)
        if not len(index):
            return []  # no numbers to look up
        return (index + 1 if self.numbers is None else self.numbers[index]).tolist()


def write_residuals(path: str, report, data) -> None:
    """CSV: line (or row), the model's point columns (Model.point_table), standardized
    (residual / sigma, or point error / sigma with two targets), inlier (1 or 0; 1 for
    every point when no threshold was given).  A loss that is a likelihood (linear-tanh's
    cross-entropy) has no noise scale: no standardized column.  `report`: the fit's
    report.Report."""
    model, columns, inlier = report.model, report.columns, report.inlier
    sigma, rows = report.diagnostics.figures["sigma"], report.rows
    r = fitted_residuals(model, report.result.params, data)
    n, standardized = len(r), None
    if sigma is not None:
        with np.errstate(divide="ignore", invalid="ignore"):  # sigma 0: exact data
            standardized = (r[:, 0] if r.shape[1] == 1 else np.sqrt(np.sum(r**2, axis=1))) / sigma
    numbers = np.arange(1, n + 1) if rows.numbers is None else rows.numbers
    table = {rows.kind: numbers}
    for name, values in columns.items():
        table[name] = values
        if name in ("error", "residual") and standardized is not None and "standardized" not in table:
            table["standardized"] = standardized
    table["inlier"] = np.ones(n) if inlier is None else inlier.astype(float)
    values = np.column_stack([np.asarray(v, float) for v in table.values()])
    save(path, format_csv(list(table), values), "`residuals`")

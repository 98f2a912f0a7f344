"""Per-point output: which input line each row came from, and the --residuals file.

Rows are named by their line in the input file (comment and blank lines counted), or,
for standard input, by their 1-based position among the data rows (header excluded).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.diagnostics import fitted_residuals
from ..io.atomic import save
from ..io.atomic import Binary
from ..io.csv_out import format_blocks
from ..io.parquet_out import arrow_table, is_parquet_name, table_content


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
    rows = report.rows
    r = fitted_residuals(report.model, report.result.params, data)
    numbers = np.arange(1, len(r) + 1) if rows.numbers is None else rows.numbers
    names, values = point_rows(report, report.columns, r, numbers, report.inlier)
    save(path, table_content(path, names, values, whole=(rows.kind, "inlier")), "`residuals`")


def point_rows(report, columns: dict, r: np.ndarray, numbers, inlier):
    """(names, values: j columns (m,)) of the residuals file's rows for m points: their
    line or row numbers, the model's point columns, standardized, inlier."""
    sigma, n, standardized = report.diagnostics.figures["sigma"], len(r), None
    if sigma is not None:
        with np.errstate(divide="ignore", invalid="ignore"):  # sigma 0: exact data
            standardized = (r[:, 0] if r.shape[1] == 1 else np.sqrt(np.sum(r**2, axis=1))) / sigma
    table = {report.rows.kind: numbers}
    for name, values in columns.items():
        table[name] = values
        if name in ("error", "residual") and standardized is not None and "standardized" not in table:
            table["standardized"] = standardized
    table["inlier"] = np.ones(n) if inlier is None else inlier.astype(float)
    return list(table), [np.asarray(v, dtype=float) for v in table.values()]


def write_engine_residuals(path: str, report, points, req, offsets) -> None:
    """The residuals file of an engine fit, written partition by partition as the
    file is read again (memory flat in the number of points).  `req`: the report
    pass's engines.report.Request; `offsets`: each partition's first row index."""
    from ..core.engines.report import chunk_residuals

    model, result = report.model, report.result
    shift, scale = req.raw_map

    def blocks():
        """(names, columns) of each partition's rows, as the file is read again."""
        for part, first in zip(points.partitions, offsets):
            values = part.load().values
            if not values.shape[1]:
                continue
            data = model.chunk_data((values - shift[:, None]) * scale[:, None])
            with np.errstate(all="ignore"):
                columns = model.point_table(result.params, data, **result.extra)
                r = chunk_residuals(model, req.q0, req.frame0_map, req.cost_scale, values)
            numbers = part.lines() if points.kind == "line" else first + 1 + np.arange(len(r))
            inlier = None
            if req.threshold2 is not None:
                inlier = np.einsum("ij,ij->i", r, r) <= req.threshold2
            yield point_rows(report, columns, r, numbers, inlier)

    def csv_pieces(fh):
        header = True
        for names, rows in blocks():
            text = format_blocks(names, rows)
            head = next(text)
            if header:
                fh.write(head)
                header = False
            for piece in text:
                fh.write(piece)

    def parquet_pieces(fh):  # a row group a partition; the schema of the first
        import pyarrow.parquet as pq

        writer = None
        for names, rows in blocks():
            table = arrow_table(names, rows, whole=(points.kind, "inlier"))
            writer = writer or pq.ParquetWriter(fh, table.schema, compression="none")
            writer.write_table(table)
        if writer is not None:
            writer.close()

    save(path, Binary(parquet_pieces if is_parquet_name(path) else csv_pieces), "`residuals`")

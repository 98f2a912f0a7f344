"""Parquet out: columns in row groups, written atomically; and the choice of CSV or
Parquet for a table an output option names (by the file's suffix)."""

from __future__ import annotations

import numpy as np

from . import arrow
from .atomic import Binary, save
from .parquet_in import SUFFIXES

ROW_GROUP = 1_000_000  # rows per row group: a partition of the stream and dask engines


def is_parquet_name(path: str | None) -> bool:
    """Whether an output path asks for Parquet (by its suffix; "-" is standard output)."""
    return path is not None and path != "-" and path.lower().endswith(SUFFIXES)


def _columns(values) -> list[np.ndarray]:
    if isinstance(values, np.ndarray):
        return [values[:, j] for j in range(values.shape[1])]
    return list(values)


def arrow_table(names, values, whole=()):
    """A pyarrow Table of the columns (values: (n, k), or k arrays (n,)); the columns
    named in `whole` (a line number, a 0/1 flag) as int64, the others float64."""
    import pyarrow as pa

    out = {}
    for name, column in zip(names, _columns(values)):
        column = np.ascontiguousarray(column, dtype=float)
        out[name] = arrow.numbers(column.astype(np.int64) if name in whole else column)
    return pa.table(out)


def parquet_content(names, values, row_group: int = ROW_GROUP, whole=()) -> Binary:
    """The Parquet file of columns `names` of values ((n, k), each column read in place
    when the array is column-major; or k arrays (n,)), uncompressed: coordinates do not
    compress, and the engines read it faster so.  `whole`: see arrow_table."""

    def write(fh):
        import pyarrow.parquet as pq

        pq.write_table(arrow_table(names, values, whole), fh, row_group_size=row_group,
                       compression="none")

    return Binary(write)


def table_content(path: str | None, names, values, whole=()) -> Binary:
    """The content of a table output (residuals, predictions, samples) at `path`:
    Parquet for a .parquet name, else CSV (where whole numbers are written as such)."""
    if is_parquet_name(path):
        return parquet_content(names, values, whole=whole)
    from .csv_out import csv_content

    return csv_content(names, values)


def write_parquet(path: str, names, values: np.ndarray, option: str,
                  row_group: int = ROW_GROUP) -> None:
    save(path, parquet_content(names, values, row_group), option)


__all__ = ["ROW_GROUP", "arrow_table", "is_parquet_name", "parquet_content", "table_content",
           "write_parquet"]

"""Parquet in: a file, a directory of them or a glob, as one table of points.

Columns are found by name as in a CSV header (case-insensitive, --columns renames);
numbers of any numeric type are read as float64, and every value is checked as the CSV
reader checks it (finite, below 1e75 in size), the message naming the file, the row
(1-based, in that file) and the column.  The memory engine reads the row groups
straight into the column-major array the kernels read; the stream and dask engines
read one row group per partition.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from . import csv_in
from .arrow import float_values
from .text_columns import encode_tokens

SUFFIXES = (".parquet", ".pq", ".parq")
MAGIC = b"PAR1"


def is_parquet(source: str) -> bool:
    """A Parquet file (by name or by its first bytes), a directory, or a glob."""
    if source == "-":
        return False
    if os.path.isdir(source) or any(c in source for c in "*?["):
        return True
    if source.lower().endswith(SUFFIXES):
        return True
    try:
        with open(source, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def parquet_files(source: str) -> list[str]:
    """The files of `source`, in sorted order.

    Raises:
        DataError: nothing there.
    """
    if os.path.isdir(source):
        files = sorted(os.path.join(source, f) for f in os.listdir(source)
                       if f.lower().endswith(SUFFIXES))
        if not files:  # as the CSV reader says it
            raise DataError(f"{source}: is a directory, not a CSV file")
        return files
    if any(c in source for c in "*?["):
        files = sorted(f for f in glob.glob(source) if os.path.isfile(f))
        if not files:
            raise DataError(f"{source}: no file matches")
        return files
    if not os.path.exists(source):
        raise DataError(f"{source}: no such file")
    return [source]


def _open(path: str, memory_map: bool = True):
    """The file (memory-mapped: a partition's pages are dropped when it is closed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path, memory_map=memory_map)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None


def _select(path: str, schema_names, columns, model, rename, optional):
    layout = csv_in._Layout(None, tuple(schema_names), len(schema_names), 0, 0)
    used, present = csv_in._select(path, layout, list(columns), model, rename, list(optional))
    return [schema_names[j] for j, _ in used], [label for _, label in used], present


@dataclass(frozen=True)
class ParquetPartition:
    """Row group `group` of a Parquet file; `row` is the 1-based row of its first."""

    path: str
    group: int
    names: tuple[str, ...]  # the file's columns to read, in the model's order
    labels: tuple[str, ...]  # as messages name them
    row: int

    def load(self, check: bool = True, into=None):
        """The row group's values (k, m), in the buffer `into` (engines.base.Scratch) if
        given; `check`: every value checked (a stream engine's later passes read what
        the first one checked)."""
        from ..core.engines.base import Chunk

        table = _open(self.path).read_row_group(self.group, columns=list(self.names))
        shape = (len(self.names), table.num_rows)
        out = np.empty(shape) if into is None else into(*shape)
        for j, label in enumerate(self.labels):
            _column_into(out[j], table.column(j), self.path, self.row, label, check)
        return Chunk(out, 0)


def _column_into(out: np.ndarray, column, path: str, row: int, label: str,
                 check: bool = True) -> None:
    """Fill out (m,) from a pyarrow column, checking every value.

    Raises:
        DataError: a null, text, a value that is not finite or too large, by row.
    """
    import pyarrow as pa

    where = f"{path}, column '{label}'"
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)
            or pa.types.is_boolean(column.type) or pa.types.is_decimal(column.type)):
        raise DataError(f"{where}: expected numbers, the column holds {column.type}")
    if column.null_count:
        bad = int(np.argmax(np.concatenate([float_values(c.is_null()) for c in column.chunks])))
        raise DataError(f"{path}, row {row + bad}, column '{label}': empty field, expected a number")
    pos = 0
    for chunk in column.chunks:
        out[pos : pos + len(chunk)] = float_values(chunk)
        pos += len(chunk)
    if not len(out) or not check:
        return
    top, bottom = float(out.max()), float(out.min())  # NaN propagates: two passes, no copy
    if not (np.isfinite(top) and np.isfinite(bottom)):
        bad = int(np.argmin(np.isfinite(out)))
        raise DataError(f"{path}, row {row + bad}, column '{label}': '{float(out[bad])!r}' is not a "
                        "finite number")
    if max(top, -bottom) >= csv_in.MAX_MAGNITUDE:
        bad = int(np.argmax(np.abs(out) >= csv_in.MAX_MAGNITUDE))
        raise DataError(
            f"{path}, row {row + bad}, column '{label}': {out[bad]:.6g} is too large to fit "
            f"(powers of values beyond {csv_in.MAX_MAGNITUDE:.0e} overflow double precision); "
            "rescale the column")


def parquet_partitions(source: str, columns, *, model: str, rename=None, optional=()):
    """(partitions: one per row group of every file, display names of the columns,
    the model's columns present).

    Raises:
        DataError: no files, unreadable files, missing columns.
    """
    parts, labels, present = [], None, None
    for path in parquet_files(source):
        pf = _open(path)
        names, shown, found = _select(path, pf.schema_arrow.names, columns, model, rename,
                                      optional)
        if present is not None and found != present:
            raise DataError(f"{path}: has columns {', '.join(found)}; the first file has "
                            f"{', '.join(present)}")
        labels, present, row = shown, found, 1
        for g in range(pf.metadata.num_row_groups):
            parts.append(ParquetPartition(path, g, tuple(names), tuple(shown), row))
            row += pf.metadata.row_group(g).num_rows
    return parts, tuple(labels), present


def read_parquet(source: str, columns, *, model: str, rename=None, optional=(),
                 text_columns=(), categories=()) -> "csv_in.Table":
    """The memory engine's read: every row group straight into one (k, n) array.

    Raises:
        DataError: as parquet_partitions; no rows.
    """
    import pyarrow as pa

    parts, labels, present = parquet_partitions(source, columns, model=model, rename=rename,
                                                optional=optional)
    files = {p.path: _open(p.path, memory_map=False) for p in parts}  # mapped pages would stay
    sizes = [files[p.path].metadata.row_group(p.group).num_rows for p in parts]
    out, at, tokens = np.empty((len(labels), sum(sizes))), 0, {}
    for part, size in zip(parts, sizes):
        table = files[part.path].read_row_group(part.group, columns=list(part.names))
        for j, label in enumerate(labels):
            column = table.column(j)
            if present[j] in text_columns and pa.types.is_string(column.type):
                tokens.setdefault(j, []).extend(_tokens(column, part, label))
                continue
            _column_into(out[j, at : at + size], column, part.path, part.row, label)
        at += size
    if not at:
        raise DataError(f"{source}: no data rows")
    levels = {}
    for j, found in tokens.items():
        out[j], level = encode_tokens(found)
        levels.update({present[j]: level} if level else {})
    table = csv_in.Table(source, tuple(present), out.T, True, None, levels)
    csv_in._check_magnitude(table, (*text_columns, *categories))
    return table


def _tokens(column, part: ParquetPartition, label: str) -> list[str]:
    values = column.to_pylist()
    for i, v in enumerate(values):
        if v is None or not v.strip():
            raise DataError(f"{part.path}, row {part.row + i}, column '{label}': empty field, "
                            "expected a value")
    return [v.strip() for v in values]


def row_count(source: str) -> int:
    return sum(_open(p).metadata.num_rows for p in parquet_files(source))


__all__ = ["ParquetPartition", "is_parquet", "parquet_files", "parquet_partitions",
           "read_parquet", "row_count"]

"""The points a command reads, whatever the file: CSV or Parquet (a file, a directory
of them or a glob), whole (the memory engine) or as partitions (the stream and dask
engines)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import DataError


BLOCKED_MIN_BYTES = 1 << 27  # a numbers-only CSV file from this size is read in partitions


def read_points(source: str, columns: Sequence[str], **options):
    """csv_in.read_table for a CSV file or standard input, parquet_in.read_parquet for
    Parquet: a csv_in.Table either way.  A large CSV file of numbers only is read
    partition by partition straight into the columns (csv_chunks.read_whole: no map of
    the whole file, no second copy); the same table, lines and messages."""
    from .parquet_in import is_parquet

    if is_parquet(source):
        from .parquet_in import read_parquet

        return read_parquet(source, columns, **options)
    if not options.get("text_columns") and _size(source) >= BLOCKED_MIN_BYTES:
        from .csv_chunks import read_whole

        return read_whole(source, columns, **options)
    from .csv_in import read_table

    return read_table(source, columns, **options)


def _size(source: str) -> int:
    """The size of a regular file (0 for standard input and anything unreadable)."""
    try:
        return os.path.getsize(source) if source != "-" and os.path.isfile(source) else 0
    except OSError:
        return 0


@dataclass(frozen=True)
class PointSource:
    """A file as the engines read it: its partitions (each with load()), the display
    names of the model's columns, and how rows are named ("line" of a CSV file, or
    1-based "row" across the Parquet files)."""

    source: str
    names: tuple[str, ...]
    partitions: list
    kind: str

    def numbers(self, index: np.ndarray, offsets: np.ndarray) -> list[int]:
        """The 1-based line (CSV) or row (Parquet) of each global 0-based row index,
        given the engine's partition offsets."""
        index = np.asarray(index, dtype=np.int64)
        if self.kind == "row" or not len(index):
            return (index + 1).tolist()
        out = np.empty(len(index), dtype=np.int64)
        part = np.searchsorted(offsets, index, side="right") - 1
        for p in np.unique(part):
            pick = part == p
            out[pick] = self.partitions[p].lines()[index[pick] - offsets[p]]
        return out.tolist()


def open_points(source: str, columns: Sequence[str], *, model: str, rename=None,
                size: int | None = None) -> PointSource:
    """The partitions of a CSV or Parquet input (`size`: bytes of CSV per partition).

    Raises:
        DataError: standard input (it cannot be read again), or as the readers.
    """
    from .parquet_in import is_parquet

    if source == "-":
        raise DataError("standard input cannot be read more than once: the stream and dask "
                        "engines read a file (or `fitcli convert - points.parquet` first)")
    if is_parquet(source):
        from .parquet_in import parquet_partitions

        parts, names, _ = parquet_partitions(source, columns, model=model, rename=rename)
        return PointSource(source, names, parts, "row")
    from .csv_chunks import PART_BYTES, csv_partitions

    parts, names, _ = csv_partitions(source, columns, model=model, rename=rename,
                                     size=size or PART_BYTES)
    return PointSource(source, names, parts, "line")


__all__ = ["PointSource", "open_points", "read_points"]

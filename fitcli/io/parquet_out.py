"""Parquet out: columns of float64 in row groups, written atomically."""

from __future__ import annotations

import numpy as np

from .atomic import Binary, save

ROW_GROUP = 1_000_000  # rows per row group: a partition of the stream and dask engines


def parquet_content(names, values: np.ndarray, row_group: int = ROW_GROUP) -> Binary:
    """The Parquet file of columns `names` of values (n, k) (each column read in place
    when the array is column-major), uncompressed: coordinates do not compress, and
    the engines read it faster so."""

    def write(fh):
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({name: pa.array(np.ascontiguousarray(values[:, j]))
                          for j, name in enumerate(names)})
        pq.write_table(table, fh, row_group_size=row_group, compression="none")

    return Binary(write)


def write_parquet(path: str, names, values: np.ndarray, option: str,
                  row_group: int = ROW_GROUP) -> None:
    save(path, parquet_content(names, values, row_group), option)


__all__ = ["ROW_GROUP", "parquet_content", "write_parquet"]

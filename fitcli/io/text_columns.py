"""Columns that may hold text (class labels such as yes/no), and the input line of each row.

A text column whose values are all finite numbers is read as numbers ("1" and "1.0" are
the same label).  Otherwise its distinct values, sorted, are its levels and the column
holds each row's level index (0, 1, ...) as a float.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .arrow import float_values


def _finite(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def decode_levels(distinct: Sequence[str],
                  index: np.ndarray) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Values (n,) of a column given its distinct tokens and each row's index into them.

    Returns:
        (numbers, None) if every distinct token is a finite number, else
        (level index of each row as float, sorted distinct tokens).
    """
    numbers = [_finite(t) for t in distinct]
    if all(v is not None for v in numbers):
        return np.asarray(numbers, dtype=float)[index], None
    levels = tuple(sorted(distinct))
    rank = np.array([levels.index(t) for t in distinct], dtype=float)
    return rank[index], levels


def encode_tokens(tokens: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """decode_levels() of a list of tokens (n,)."""
    distinct, index = np.unique(np.asarray(tokens, dtype=object).astype(str), return_inverse=True)
    return decode_levels(distinct.tolist(), index.ravel())


def unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1].strip()
    return token


def arrow_text(column) -> tuple[np.ndarray, tuple[str, ...] | None] | None:
    """decode_levels() of a pyarrow string column; None if a field is empty or quoted
    oddly (the careful pass then names the line)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pc.utf8_trim_whitespace(column.combine_chunks() if column.num_chunks else column)
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    distinct = [unquote(t) for t in encoded.dictionary.to_pylist()]
    if encoded.null_count or not all(distinct) or len(set(distinct)) < len(distinct):
        return None
    codes = float_values(encoded.indices).astype(np.int64)  # to_numpy() would load pandas
    return decode_levels(distinct, codes)


SPACE = np.zeros(256, bool)
SPACE[list(b" \t\r\f\v")] = True


def _line_count(buf: np.ndarray) -> int:
    """The lines of buf: its newlines, and one more for a last line without one;
    counted a megabyte at a time (no temporary the size of the file)."""
    step, count = 1 << 20, 0
    for s in range(0, len(buf), step):
        count += int(np.count_nonzero(buf[s : s + step] == 10))
    return count + int(len(buf) > 0 and buf[-1] != 10)


def row_lines(raw: bytes, start: int, first_line: int, n_rows: int) -> np.ndarray | None:
    """1-based line number (n_rows,) of each data row of raw[start:], skipping lines that
    are blank (the fast engines skip only those: a '#' sends a file to the careful pass).

    Returns None if the count disagrees with n_rows (then rows are named by index).
    """
    buf = np.frombuffer(raw, dtype=np.uint8)[start:]
    if _line_count(buf) == n_rows:  # every line a data row (the common file): no search
        return np.arange(first_line, first_line + n_rows)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], ends + 1])
    ends = np.concatenate([ends, [len(buf)]])
    filled = ends > starts
    solid = filled.copy()
    solid[filled] = ~SPACE[buf[starts[filled]]]  # most lines start with their first field
    for i in np.flatnonzero(filled & ~solid):  # the rest: blank unless something follows
        solid[i] = bool(raw[start + starts[i] : start + ends[i]].strip())
    lines = np.flatnonzero(solid) + first_line
    return lines if len(lines) == n_rows else None

"""CSV out: a header and rows of numbers, each in its shortest exact form (Python's
repr of the float: the fewest digits that read back to the same value)."""

from __future__ import annotations

import os

import numpy as np

from . import arrow

BLOCK = 65536  # rows formatted at a time
ARROW_ROWS = 4096  # from this many rows on, pyarrow (if installed) writes the digits


def _integral(col: np.ndarray) -> bool:
    return bool(np.all(col == np.round(col))) and bool(np.all(np.abs(col) < 2**53))


def _columns(table) -> list[np.ndarray]:
    """The columns of a table (n, k) array, or a sequence of k arrays (n,) as given."""
    if isinstance(table, np.ndarray):
        return [table[:, j] for j in range(table.shape[1])]
    return [np.asarray(c, dtype=float) for c in table]


def _python_rows(cols: list[np.ndarray], integral) -> str:
    """The rows by repr() of a list of tuples: one call in C, then the separators (a
    float's repr holds neither ", " nor parentheses)."""
    cols = [c.astype(np.int64).tolist() if whole else c.tolist()
            for c, whole in zip(cols, integral)]
    if len(cols) == 1:
        return "\n".join(map(repr, cols[0])) + "\n"
    return repr(list(zip(*cols)))[2:-2].replace("), (", "\n").replace(", ", ",") + "\n"


def _arrow_column(col: np.ndarray, integral: bool):
    """A column as pyarrow strings, each Python's repr of the float: Arrow's shortest
    digits are the same, and so is its notation for non-integral values of size in
    [1e-4, 1e9) (checked on 11 million values); every other value is written by repr."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if integral:
        return pc.cast(arrow.numbers(col.astype(np.int64)), pa.string())
    text = pc.cast(arrow.numbers(col), pa.string())
    size = np.abs(col)
    odd = ~((size >= 1e-4) & (size < 1e9) & (col != np.round(col)))  # NaN, inf: odd
    if odd.any():
        text = pc.replace_with_mask(text, arrow.flags(odd),
                                    arrow.strings(map(repr, col[odd].tolist())))
    return text


def _arrow_rows(cols: list[np.ndarray], integral) -> memoryview:
    """The rows as one string: the columns joined by "," with a newline after the last
    (joined to an empty string by "\n"): a view of the result's data buffer, written as
    it is (a copy into bytes would be one more block of fresh memory to fault in)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = [_arrow_column(np.ascontiguousarray(c), whole) for c, whole in zip(cols, integral)]
    cols[-1] = pc.binary_join_element_wise(cols[-1], arrow.string_scalar(""),
                                           arrow.string_scalar("\n"))
    rows = cols[0] if len(cols) == 1 else \
        pc.binary_join_element_wise(*cols, arrow.string_scalar(","))
    offsets = np.int64 if pa.types.is_large_string(rows.type) else np.int32
    ends = np.frombuffer(rows.buffers()[1], offsets)[rows.offset : rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[ends[0] : ends[-1]]


def _has_arrow() -> bool:
    try:
        import pyarrow.compute  # noqa: F401
    except ImportError:
        return False
    return True


def _rows(cols: list[np.ndarray], integral) -> bytes | memoryview:
    """The rows of the columns' values as UTF-8 (ASCII) text."""
    if not len(cols) or not len(cols[0]):
        return b""
    if len(cols[0]) >= ARROW_ROWS and _has_arrow():
        return _arrow_rows(cols, integral)
    return _python_rows(cols, integral).encode()


def format_blocks(columns, table, integral=None):
    """The CSV text as pieces of bytes (or views of bytes): the header, then blocks of
    BLOCK rows; each float in its shortest exact form, integer columns (`integral`,
    default: judged over the table) as ints.  `table`: an (n, k) array, or k arrays (n,)
    (the columns as they are, no table of them built)."""
    cols = _columns(table)
    if integral is None:
        integral = [_integral(c) for c in cols]
    yield (",".join(columns) + "\n").encode()
    n = len(cols[0]) if cols else 0
    starts = range(0, n, BLOCK)
    if n < 2 * BLOCK or not _has_arrow():
        for s in starts:
            yield _rows([c[s : s + BLOCK] for c in cols], integral)
        return
    from concurrent.futures import ThreadPoolExecutor

    workers = os.cpu_count() or 2
    with ThreadPoolExecutor(workers) as pool:  # pyarrow's casts run without the GIL
        pending = []
        for s in starts:  # a few blocks in flight: the text is never held whole
            pending.append(pool.submit(_rows, [c[s : s + BLOCK] for c in cols], integral))
            if len(pending) > workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def format_csv(columns, table) -> str:
    """Header and rows (see format_blocks), as one string."""
    return b"".join(format_blocks(columns, table)).decode()


def csv_content(columns, table, integral=None):
    """format_blocks() as content for io.atomic.save and the console: written as the
    pieces come, in binary (no text held whole, none decoded and encoded again)."""
    from .atomic import Binary

    def write(fh):
        for piece in format_blocks(columns, table, integral):
            fh.write(piece)

    return Binary(write)

"""CSV out: pyarrow's digits (large tables) and Python's repr (small ones) write the same
text, every value its shortest exact form (read back to the same float)."""

import numpy as np
import pytest

from fitcli.io import csv_out

pytest.importorskip("pyarrow")


def repr_csv(columns, table):
    """The definition: repr of every float, int for an integral column."""
    lines = [",".join(columns)]
    integral = [bool(np.all(c == np.round(c)) and np.all(np.abs(c) < 2**53)) for c in table.T]
    for row in table.tolist():
        lines.append(",".join(str(int(v)) if i else repr(v) for v, i in zip(row, integral)))
    return "\n".join(lines) + "\n"


def awkward(rng, n, k):
    """Values across every notation: tiny, huge, integral, negative zero, NaN, inf."""
    t = rng.normal(0, 1, (n, k)) * 10.0 ** rng.integers(-12, 22, (n, k))
    t[::7, 0] = np.round(t[::7, 0])
    t[1, -1], t[2, -1], t[3, -1], t[4, 0] = np.nan, np.inf, -np.inf, -0.0
    t[:, 1] = np.arange(n)  # an integral column
    t[5:40, 2] = [1e-4, 9.99999e-5, 1e9, 999999999.5, 1e16, 1e-5, 0.1, 0.5] * 4 + [2.5, 3.0, 1e22]
    return t


@pytest.mark.parametrize("n", [1, 50, csv_out.ARROW_ROWS, 3 * csv_out.BLOCK + 17])
def test_arrow_and_repr_write_the_same_text(n):
    table = awkward(np.random.default_rng(n), max(n, 41), 4)[:n] if n >= 41 else \
        np.random.default_rng(n).normal(size=(n, 4))
    columns = ["a", "b", "c", "d"]
    assert csv_out.format_csv(columns, table) == repr_csv(columns, table)


def test_every_value_reads_back_exactly():
    table = awkward(np.random.default_rng(0), 20000, 3)
    text = csv_out.format_csv(["a", "b", "c"], table)
    back = np.loadtxt(text.splitlines()[1:], delimiter=",")
    assert np.array_equal(back, table, equal_nan=True)

"""Columns that may hold text (class labels), and the input line of every row, on the
careful and on the fast reading paths."""

import numpy as np
import pytest

import fitcli.io.csv_in as data_module
from fitcli.io.csv_in import read_table
from fitcli.errors import DataError

COLS = ("x", "y", "label")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def read(text, **kw):
    with open("points.csv", "w", newline="") as fh:
        fh.write(text)
    return read_table("points.csv", COLS, model="linear-tanh", text_columns=("label",), **kw)


def test_text_labels_become_sorted_levels_with_their_lines():
    table = read('# pets\nx,y,label\n1,2,dog\n\n3,4,"cat"\n# note\n5,6, dog \n')
    assert table.levels == {"label": ("cat", "dog")}
    np.testing.assert_array_equal(table.values, [[1, 2, 1], [3, 4, 0], [5, 6, 1]])
    np.testing.assert_array_equal(table.line_numbers(), [3, 5, 7])


def test_numeric_labels_in_a_text_column_stay_numbers():
    table = read("x,y,label\n1,2,1\n3,4,-1.0\n5,6,1.0\n")
    assert table.levels == {}
    np.testing.assert_array_equal(table.column("label"), [1, -1, 1])


def test_a_label_that_is_not_a_number_makes_the_column_text():
    table = read("x,y,label\n1,2,1\n3,4,yes\n")
    assert table.levels == {"label": ("1", "yes")}


def test_an_empty_label_names_line_and_column():
    with pytest.raises(DataError, match=r"points.csv, line 3, column 'label': empty field, expected a value"):
        read("x,y,label\n1,2,a\n3,4,\n")


def test_numbers_are_still_checked_next_to_a_text_column():
    with pytest.raises(DataError, match=r"line 2, column 'x': expected a number, got 'a'"):
        read("x,y,label\na,2,b\n")


def _big(rng, n=6000):
    xy = rng.normal(0, 1, (n, 2))
    names = np.where(xy[:, 0] > 0, "yes", "no")
    lines = ["x,y,label"] + [f"{a!r},{b!r},{c}" for (a, b), c in zip(xy.tolist(), names)]
    lines.insert(100, "")  # a blank line: rows and lines part ways
    return "\r\n".join(lines) + "\r\n", xy, names


@pytest.mark.parametrize("engine", ["arrow", "careful"])
def test_fast_and_careful_paths_agree_on_values_levels_and_lines(rng, engine, monkeypatch):
    text, xy, names = _big(rng)
    if engine == "arrow":
        pytest.importorskip("pyarrow")

        def refuse(*args):
            raise AssertionError("the fast path should have read this file")

        monkeypatch.setattr(data_module, "_careful_parse", refuse)
    else:
        monkeypatch.setattr(data_module, "FAST_MIN_BYTES", 1 << 40)
    table = read(text)
    assert table.levels == {"label": ("no", "yes")}
    np.testing.assert_array_equal(table.values[:, :2], xy)
    np.testing.assert_array_equal(table.values[:, 2], names == "yes")
    lines = table.line_numbers()
    assert lines[98] == 100 and lines[99] == 102 and lines[-1] == len(xy) + 2


def test_without_pyarrow_text_labels_take_the_careful_path(rng, monkeypatch):
    text, xy, names = _big(rng)
    monkeypatch.setattr(data_module, "_arrow", data_module._loadtxt)
    table = read(text)
    np.testing.assert_array_equal(table.values[:, 2], names == "yes")


def test_fast_path_line_numbers_of_numeric_files(rng):
    pytest.importorskip("pyarrow")
    xy = rng.normal(0, 1, (6000, 3))
    body = [",".join(repr(v) for v in row) for row in xy.tolist()]
    text = "x,y,label\n\n" + "\n\n".join(body[:2]) + "\n" + "\n".join(body[2:]) + "\n"
    table = read(text)
    np.testing.assert_array_equal(table.line_numbers()[:4], [3, 5, 6, 7])
    assert len(table.line_numbers()) == 6000


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
@pytest.mark.parametrize("blank", [None, 1, 5999, "tail"])
def test_line_numbers_with_and_without_blank_lines(rng, ending, blank):
    """A file whose every line is a data row is numbered by counting (the shortcut);
    one blank line anywhere (or a blank last line without its newline) by the search.
    Both give each row its line."""
    pytest.importorskip("pyarrow")
    body = [",".join(repr(v) for v in row) for row in rng.normal(0, 1, (6000, 3)).tolist()]
    lines, expected = ["x,y,label"], []
    for i, row in enumerate(body):
        if blank == i:
            lines.append("  ")
        lines.append(row)
        expected.append(len(lines))
    text = "\n".join(lines).replace("\n", ending or "\n") + (ending or "")
    if blank == "tail":
        text += (ending or "\n") + "   "
    table = read(text)
    np.testing.assert_array_equal(table.line_numbers(), expected)

"""CSV reading: layouts that must load, and errors that name file, line and column."""

import io

import numpy as np
import pytest

import fitcli.io.csv_in as data_module
from fitcli.io.csv_in import read_table
from fitcli.errors import DataError

COLS = ("X", "Y", "Z", "u", "v")
ROWS = [[1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.5, -8.0, 9e-3, 1e3]]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name the file as the user typed it


def read(tmp_path, text, columns=COLS, **kw):
    path = tmp_path / "points.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, newline="")
    return read_table("points.csv", columns, model="project3d", **kw)


@pytest.mark.parametrize(
    "text",
    [
        "X,Y,Z,u,v\n1,2,3,4,5\n6,7.5,-8,0.009,1000\n",
        "x,y,z,U,V\n1,2,3,4,5\n6,7.5,-8,9e-3,1e3\n",  # names are case-insensitive
        "id,v,u,Z,Y,X,extra\na,5,4,3,2,1,q\nb,1000,0.009,-8,7.5,6,r\n",  # by name, extras ignored
        "1,2,3,4,5\n6,7.5,-8,0.009,1000\n",  # no header: by position
        "X;Y;Z;u;v\n1;2;3;4;5\n6;7.5;-8;0.009;1000\n",
        "X Y Z u v\n1  2 3 4 5\n 6 7.5 -8 0.009 1000\n",
        "X\tY\tZ\tu\tv\n1\t2\t3\t4\t5\n6\t7.5\t-8\t0.009\t1000\n",
        "\ufeffX,Y,Z,u,v\r\n1,2,3,4,5\r\n6,7.5,-8,0.009,1000\r\n",  # BOM and CRLF
        "# survey 2026\n\nX,Y,Z,u,v\n# first point\n1,2,3,4,5\n\n6,7.5,-8,0.009,1000\n\n\n",
        "X, Y, Z, u, v\n1, 2, 3, 4, 5\n6, 7.5, -8, 0.009, 1000\n",
    ],
)
def test_layouts_that_load(tmp_path, text):
    table = read(tmp_path, text)
    np.testing.assert_array_equal(table.values, ROWS)


def test_columns_option_renames(tmp_path):
    table = read(tmp_path, "a,b,c,d,e\n1,2,3,4,5\n6,7.5,-8,0.009,1000\n", rename=["a", "b", "c", "d", "e"])
    np.testing.assert_array_equal(table.values, ROWS)


def test_columns_option_positions_without_header(tmp_path):
    text = "9,1,2,3,4,5\n9,6,7.5,-8,0.009,1000\n"
    table = read(tmp_path, text, rename=["2", "3", "4", "5", "6"])
    np.testing.assert_array_equal(table.values, ROWS)


def test_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"X,Y,Z,u,v\n1,2,3,4,5\n")))
    table = read_table("-", COLS, model="project3d")
    assert table.source == "<stdin>" and table.values.tolist() == [[1, 2, 3, 4, 5]]


def test_optional_target_columns_may_be_absent(tmp_path):
    table = read(tmp_path, "X,Y,Z\n1,2,3\n", optional=("u", "v"))
    assert table.names == ("X", "Y", "Z")


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "points.csv: the file is empty"),
        ("# only a comment\n", "points.csv: the file is empty (only comments)"),
        ("X,Y,Z,u,v\n", "points.csv: has a header row but no data rows"),
        ("X,Y,Z,u,v\n1,2,3,4,5\n1,2,3,4\n", "points.csv, line 3: expected 5 fields, got 4"),
        ("X,Y,Z,u,v\n1,2,3,4,5,6\n", "points.csv, line 2: expected 5 fields, got 6"),
        ("X,Y,Z,u,v\n1,2,3,abc,5\n", "points.csv, line 2, column 'u': expected a number, got 'abc'"),
        ("X,Y,Z,u,v\n1,2,,4,5\n", "points.csv, line 2, column 'Z': empty field, expected a number"),
        ("X,Y,Z,u,v\n1,2,3,4,nan\n", "points.csv, line 2, column 'v': 'nan' is not a finite number"),
        ("X,Y,Z,u,v\n1,2,3,-inf,5\n", "points.csv, line 2, column 'u': '-inf' is not a finite number"),
        ("X,Y,Z,u,v\n1,2,3,4,1e999\n", "points.csv, line 2, column 'v': '1e999' overflows double precision"),
        ("X,Y,u,v\n1,2,3,4\n", "points.csv: project3d needs columns X, Y, Z, u, v; missing: Z"),
        ("X,Y,Z,x,u,v\n1,2,3,4,5,6\n", "points.csv: column name 'x' appears twice (columns 1 and 4)"),
        ("1,2,3,4,5,6\n", "points.csv, line 1: expected 5 fields (X, Y, Z, u, v) and found 6, with no header row"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, message):
    with pytest.raises(DataError) as err:
        read(tmp_path, text)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_binary_garbage_is_not_text(tmp_path):
    with pytest.raises(DataError, match="not a text file"):
        read(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_invalid_utf8_names_its_line(tmp_path):
    with pytest.raises(DataError, match=r"line 2: not UTF-8"):
        read(tmp_path, b"X,Y,Z,u,v\n1,2,3,\xff,5\n")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(str(tmp_path / "nope.csv"), COLS, model="project3d")
    with pytest.raises(DataError, match="is a directory"):
        read_table(str(tmp_path), COLS, model="project3d")


def test_columns_option_naming_an_absent_column(tmp_path):
    with pytest.raises(DataError, match="--columns names q, not in the header"):
        read(tmp_path, "a,b,c,d,e\n1,2,3,4,5\n", rename=["a", "b", "c", "d", "q"])


def _big(rng, n=20000):
    values = rng.normal(0, 1e3, (n, 5)) * rng.choice([1e-8, 1.0, 1e8], (n, 5))
    lines = ["X,Y,Z,u,v"] + [",".join(repr(v) for v in row) for row in values.tolist()]
    return "\n".join(lines) + "\n", values


@pytest.mark.parametrize("engine", ["arrow", "loadtxt"])
def test_fast_engines_read_every_digit_like_python(tmp_path, rng, engine, monkeypatch):
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    else:
        monkeypatch.setattr(data_module, "_arrow", data_module._loadtxt)
    text, values = _big(rng)
    table = read(tmp_path, text)
    assert np.array_equal(table.values, values)  # bit for bit: shortest repr round-trips


@pytest.mark.parametrize("engine", ["arrow", "loadtxt"])
def test_fast_engines_fall_back_to_the_careful_message(tmp_path, rng, engine, monkeypatch):
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    else:
        monkeypatch.setattr(data_module, "_arrow", data_module._loadtxt)
    text, _ = _big(rng)
    lines = text.split("\n")
    lines[15000] = "1,2,3,4,inf"
    with pytest.raises(DataError, match=r"line 15001, column 'v': 'inf' is not a finite number"):
        read(tmp_path, "\n".join(lines))

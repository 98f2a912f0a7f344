"""Large CSV files take the memory-mapped fast path; it must agree with the careful
pass on every layout it accepts, and leave every error to it."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fitcli.io.csv_in as data_module
from fitcli.io.csv_in import read_table
from fitcli.errors import DataError

COLS = ("X", "Y", "Z", "u", "v")


def big_text(rng, n=5000, sep=",", newline="\n"):
    values = rng.normal(0, 1e3, (n, 5))
    lines = [sep.join(COLS)] + [sep.join(repr(v) for v in row) for row in values.tolist()]
    return newline.join(lines) + newline, values


def careful(path):
    """The same file through the careful pass alone."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(data_module, "FAST_MIN_BYTES", 1 << 62)
        return read_table(str(path), COLS, model="project3d").values


@pytest.mark.parametrize("sep,newline,bom", [(",", "\n", ""), (";", "\r\n", "\ufeff"),
                                             ("\t", "\n", "\ufeff")])
def test_mapped_fast_path_equals_the_careful_pass(tmp_path, rng, sep, newline, bom):
    text, values = big_text(rng, sep=sep, newline=newline)
    path = tmp_path / "big.csv"
    path.write_text(bom + text, newline="")
    assert path.stat().st_size > data_module.FAST_MIN_BYTES
    assert data_module.load(str(path), data_module.FAST_MIN_BYTES).mapped
    table = read_table(str(path), COLS, model="project3d")
    assert np.array_equal(table.values, values)
    assert np.array_equal(table.values, careful(path))


def test_comment_lines_in_a_large_file_go_to_the_careful_pass(tmp_path, rng):
    """A file of numbers only is not searched for '#': the fast engine refuses it."""
    text, values = big_text(rng)
    lines = text.split("\n")
    lines.insert(2000, "# 1,2,3,4,5")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines))
    assert np.array_equal(read_table(str(path), COLS, model="project3d").values, values)


@pytest.fixture(params=["pyarrow", "loadtxt"])
def engine(request, monkeypatch):
    if request.param == "loadtxt":
        monkeypatch.setitem(sys.modules, "pyarrow", None)  # as without the `fast` extra
    else:
        pytest.importorskip("pyarrow")
    return request.param


def _with_row(tmp_path, rng, sep, edit):
    text, values = big_text(rng, sep=sep)
    lines = text.split("\n")
    lines[2000] = edit(lines[2000])
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines))
    return path, values


def _outcome(read):
    try:
        return read()
    except DataError as exc:
        return str(exc)


# Neither fast engine may read a '#' as the end of a row, nor skip a field beyond the
# header's: pyarrow's files are not searched for '#' when every field is a number, so it
# must refuse one itself and leave the row to the careful pass, which names it (a '#'
# starts a comment only at the start of a line), as in a small file.
@pytest.mark.parametrize("sep", [",", " "])
@pytest.mark.parametrize("edit", [lambda sep, row: row + "  # surveyed twice",
                                  lambda sep, row: sep.join(["1", "2", "3", "4", "12#34"]),
                                  lambda sep, row: row + sep + "7"],
                         ids=["comment after a row", "hash inside a number", "a sixth field"])
def test_a_stray_field_in_a_large_file_is_read_as_in_a_small_one(
        tmp_path, rng, engine, sep, edit):
    path, _ = _with_row(tmp_path, rng, sep, lambda row: edit(sep, row))
    got = _outcome(lambda: read_table(str(path), COLS, model="project3d").values)
    expected = _outcome(lambda: careful(path))
    if isinstance(expected, str):
        assert got == expected
    else:
        assert np.array_equal(got, expected)
    if edit(sep, "0").endswith("12#34"):
        assert "column 'v': expected a number, got '12#34'" in got
    if edit(sep, "0").endswith(sep + "7"):
        assert "line 2001: expected 5 fields, got 6" in got


def test_an_error_deep_in_a_large_file_names_its_line(tmp_path, rng):
    text, _ = big_text(rng)
    lines = text.split("\n")
    lines[4321] = "1,2,x,4,5"
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"line 4322, column 'Z': expected a number, got 'x'"):
        read_table(str(path), COLS, model="project3d")


def test_fast_path_returns_column_major_values(tmp_path, rng):
    pytest.importorskip("pyarrow")
    text, _ = big_text(rng)
    path = tmp_path / "big.csv"
    path.write_text(text)
    values = read_table(str(path), COLS, model="project3d").values
    assert values.flags.f_contiguous  # each column contiguous: the fit takes views of it


def test_reading_a_large_file_does_not_import_pandas(tmp_path, rng):
    pytest.importorskip("pandas")  # only meaningful where pandas could be imported
    pytest.importorskip("pyarrow")
    path = tmp_path / "big.csv"
    path.write_text(big_text(rng)[0])
    code = ("import sys; from fitcli.io.csv_in import read_table; "
            f"read_table({str(path)!r}, {COLS!r}, model='project3d'); "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("sep", [",", ";", " "])
@pytest.mark.parametrize("edit,problem", [
    (lambda row: row, None),  # every number quoted
    (lambda row: "1_000" + row[row.index(SEP_MARK):], "expected a number, got '1_000'"),
    (lambda row: "\uff11" + row[row.index(SEP_MARK):], "expected a number, got '\uff11'"),
    (lambda row: "1e-400" + row[row.index(SEP_MARK):], "'1e-400' underflows double precision"),
    (lambda row: "0." + "0" * 330 + "1" + row[row.index(SEP_MARK):], "underflows double precision"),
    (lambda row: "0e-999" + row[row.index(SEP_MARK):], None),  # a zero written oddly: a zero
], ids=["quoted", "digit separator", "full-width digit", "underflow", "underflow by zeros",
        "zero"])
def test_numbers_read_alike_in_a_large_and_a_small_file(tmp_path, rng, engine, sep, edit,
                                                          problem):
    """Quoted numbers are read, numbers that are not ASCII decimals or that underflow to 0
    refused, by line and column, whichever engine reads the file (pyarrow read quoted
    numbers and underflowed to 0; the careful pass read 1_000 and other scripts' digits)."""
    text, values = big_text(rng, n=3000, sep=sep)
    lines = text.split("\n")
    quote = problem is None and edit(SEP_MARK + "x") == SEP_MARK + "x"
    if quote:
        lines = [lines[0]] + [sep.join(f'"{v}"' for v in r.split(sep)) for r in lines[1:-1]] + [""]
    else:
        lines[1500] = edit(lines[1500].replace(sep, SEP_MARK, 1)).replace(SEP_MARK, sep)
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines))
    got = _outcome(lambda: read_table(str(path), COLS, model="project3d").values)
    expected = _outcome(lambda: careful(path))
    if problem is not None:
        assert isinstance(got, str) and got == expected and problem in got, got
        assert "line 1501, column 'X'" in got
    else:
        assert np.array_equal(got, expected)
        if quote:
            assert np.array_equal(got, values)


SEP_MARK = "\x00sep\x00"


def test_a_first_line_over_64_kib_is_read_whole(tmp_path, rng):
    """The sniffer read the first 64 KiB: a longer header or comment line was cut, and
    the file read as empty or with the wrong columns."""
    text, values = big_text(rng, n=200)
    header, body = text.split("\n", 1)
    wide = header + "," + ",".join(f"extra{j}" for j in range(9000))  # > 64 KiB
    rows = [r + "," + ",".join(["0"] * 9000) for r in body.rstrip("\n").split("\n")]
    for lines in (["# " + "notes " * 12000, text], [wide + "\n" + "\n".join(rows) + "\n"]):
        path = tmp_path / "wide.csv"
        path.write_text("\n".join(lines))
        assert np.array_equal(read_table(str(path), COLS, model="project3d").values, values)


@pytest.mark.parametrize("how", ["cut", "rewritten"])
def test_a_large_file_changed_while_read_in_partitions_is_refused(tmp_path, rng, monkeypatch, how):
    """A file read partition by partition (no map, so no lease) that is cut short or
    rewritten meanwhile: one line naming it, not the fit of a mixture of two files."""
    import fitcli.io.csv_chunks as chunks
    import fitcli.io.points as points
    from fitcli.errors import DataError

    path = tmp_path / "big.csv"
    rows = rng.normal(0, 1, (20000, 5))
    path.write_text("X,Y,Z,u,v\n" + "\n".join(",".join(repr(v) for v in r) for r in rows.tolist()) + "\n")
    monkeypatch.setattr(points, "BLOCKED_MIN_BYTES", 1)
    monkeypatch.setattr(chunks, "WHOLE_PART_BYTES", 100_000)
    original, calls = chunks.CsvPartition.load, []

    def load(self, check=True):
        calls.append(1)
        if len(calls) == 2:  # between two partitions
            if how == "cut":
                os.truncate(path, path.stat().st_size // 2)
            else:
                text = path.read_text()
                path.write_text(text.replace("1", "2"))
        return original(self, check)

    monkeypatch.setattr(chunks.CsvPartition, "load", load)
    with pytest.raises(DataError, match=r"big.csv.*: the file changed while it was read"):
        points.read_points(str(path), ("X", "Y", "Z", "u", "v"), model="project3d")
    assert len(calls) >= 2

"""docs/errors.md, row by row: every command in its table is run here, on the input files
below, through the console script's entry point; its exit code and the line it prints
must be the ones the table shows, and nothing may print a traceback."""

import json
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from fitcli import cli

from .conftest import DATA, ROOT

TABLE = ROOT / "docs" / "errors.md"


def _head(name: str, n: int) -> list[str]:
    """The header and the first n rows of a sample file in data/."""
    return (DATA / name).read_text().splitlines()[: n + 1]


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _points(n: int = 40) -> list[str]:
    return _head("project3d.csv", n)


def _with_row(lines: list[str], at: int, row: str) -> str:
    """`lines` with `row` as file line `at` (1-based)."""
    return _text(lines[: at - 1] + [row] + lines[at - 1:])


def _csv(header: str, rows) -> str:
    return header + "\n" + "".join(",".join(f"{v:.17g}" for v in r) + "\n" for r in rows)


def _degenerate_world(shape: str) -> str:
    """project3d points that span a plane, a line or one point, seen by a real camera."""
    rng = np.random.default_rng(7)
    s, t = rng.uniform(-1, 1, (2, 30))
    X = {"plane": np.column_stack([s, t, np.full(30, 0.5)]),
         "line": np.column_stack([s, 2 * s, 3 * s]),
         "point": np.tile([0.1, 0.2, 0.3], (30, 1))}[shape]
    uv = 500 * X[:, :2] / (X[:, 2:] + 5) + [320, 240] + rng.normal(0, 0.5, (30, 2))
    return _csv("X,Y,Z,u,v", np.column_stack([X, uv]))


def _behind_camera() -> str:
    """A camera at the origin looking along +Z, and five points at Z = -3 behind it."""
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (60, 3)) + [0, 0, 4]
    X[:5, 2] = -3
    uv = 800 * X[:, :2] / X[:, 2:] + [320, 240] + rng.normal(0, 0.5, (60, 2))
    return _csv("X,Y,Z,u,v", np.column_stack([X, uv]))


def _ratio_crossing() -> str:
    """A ratio whose denominator x - y + 0.1 changes sign among the points."""
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1, 1, (2, 200))
    ratio = (2 * x + y + 1) / (x - y + 0.1) + rng.normal(0, 0.01, 200)
    return _csv("x,y,ratio", np.column_stack([x, y, ratio]))


def _ratio_degenerate(shape: str) -> str:
    x = np.linspace(0, 1, 20)
    y = 2 * x + 1 if shape == "line" else np.zeros(20)
    x = x if shape == "line" else np.zeros(20)
    return _csv("x,y,ratio", np.column_stack([x, y, np.linspace(1, 3, 20)]))


def _scaled(name: str, n: int, scale: float, columns: int) -> str:
    """The first n rows of a sample with its first `columns` columns times `scale`."""
    lines = _head(name, n)
    rows = [[float(v) for v in r.split(",")] for r in lines[1:]]
    rows = [[v * scale if j < columns else v for j, v in enumerate(r)] for r in rows]
    return _csv(lines[0], rows)


def _labels(values) -> str:
    rows = _head("linear_tanh.csv", len(values))
    return _text(["x,y,label"] + [",".join(r.split(",")[:2] + [str(v)]) for r, v in zip(rows[1:], values)])


P = _points()
FILES = {
    "points.csv": _text(P),
    "empty.csv": "",
    "header_only.csv": "X,Y,Z,u,v\n",
    "image.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80",
    "latin1.csv": _text(P[:12] + ["# Messstelle S\xfcd"]).encode("latin-1"),
    "bom.csv": b"\xef\xbb\xbf" + _text(P).encode(),
    "crlf.csv": _text(P).replace("\n", "\r\n"),
    "blank_lines.csv": _text(P) + "\n\n\n",
    "comments.csv": _text(["# survey 2026-11-02: metres and pixels", P[0], "# first row"] + P[1:]),
    "semicolons.csv": _text([r.replace(",", ";") for r in P]),
    "spaces.csv": _text([r.replace(",", "  ") for r in P]),
    "short_row.csv": _with_row(P, 10, "1.5,2.5,3.5"),
    "long_row.csv": _with_row(P, 10, "1.5,2.5,3.5,700,400,1"),
    "ragged.csv": _with_row([r.replace(",", " ") for r in P], 21, "1.5 2.5 3.5 700"),
    "text_field.csv": _with_row(P, 10, "1.5,2.5,n/a,700,400"),
    "empty_field.csv": _with_row(P, 10, "1.5,2.5,,700,400"),
    "nan.csv": _with_row(P, 10, "1.5,2.5,NaN,700,400"),
    "inf.csv": _with_row(P, 10, "1.5,2.5,3.5,-inf,400"),
    "huge.csv": _with_row(P, 10, "1.5,2.5,3.5,700,1e400"),
    "no_Z.csv": _text(["X,Y,Height,u,v"] + P[1:]),
    "twice.csv": _text(["X,Y,Z,u,u"] + P[1:]),
    "three_labels.csv": _labels([1, -1, 0] * 10),
    "one_class.csv": _labels([1] * 30),
    "one_point.csv": _labels([1]),
    "four_points.csv": _text(_head("ratio2d.csv", 4)),
    "five_points.csv": _text(_points(5)),
    "plane.csv": _degenerate_world("plane"),
    "line.csv": _degenerate_world("line"),
    "same_point.csv": _degenerate_world("point"),
    "same_image_point.csv": _csv("X,Y,Z,u,v", np.column_stack(
        [np.random.default_rng(3).uniform(-1, 1, (30, 3)), np.tile([320.5, 240.25], (30, 1))])),
    "same_xy.csv": "x,y,label\n1,2,1\n1,2,-1\n1,2,1\n1,2,-1\n",
    "ratio_line.csv": _ratio_degenerate("line"),
    "ratio_same.csv": _ratio_degenerate("point"),
    "behind.csv": _behind_camera(),
    "crossing.csv": _ratio_crossing(),
    "settings.json": '{"theme": "dark"}\n',
    "astronomical.csv": _scaled("project3d.csv", 40, 1e80, 5),
    "subatomic.csv": _scaled("project3d.csv", 40, 1e-80, 5),
    "far_labels.csv": _scaled("linear_tanh.csv", 100, 1e60, 2),
}


def _model_files(folder: Path) -> None:
    """model.json from a real fit, and broken copies of it."""
    assert cli.run(["project3d", "points.csv", "-o", "model.json", "--quiet"]) == 0
    text = (folder / "model.json").read_text()
    doc = json.loads(text)
    (folder / "truncated.json").write_text(text[: text.index('"params"') + 40])  # stops in "a"
    (folder / "nan_model.json").write_text(text.replace(f'"t1": {doc["params"]["t1"]!r}', '"t1": NaN'))
    (folder / "kind.json").write_text(text.replace('"model": "project3d"', '"model": "project4d"'))
    (folder / "version.json").write_text(text.replace('"version": 1', '"version": 7'))


@pytest.fixture
def folder(tmp_path, monkeypatch, capsys):
    """A folder holding every input file, as the current directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    for name, content in FILES.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    (tmp_path / "folder.csv").mkdir()
    _model_files(tmp_path)
    capsys.readouterr()
    return tmp_path


def table_rows() -> list[tuple[str, str, str, int]]:
    """(case, command, line printed, exit code) of each row of docs/errors.md's tables."""
    rows = []
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`fitcli "):
            case, command, printed, code = cells
            rows.append((case, command.strip("`"), printed.strip("`"), int(code)))
    return rows


ROWS = table_rows()


def test_the_table_covers_the_issue():
    """Each class of bad input the tool promises to handle has a row."""
    cases = " ".join(case for case, *_ in ROWS).lower()
    for words in ["missing file", "directory", "unreadable", "empty file", "header only",
                  "binary", "byte-order mark", "crlf", "blank lines", "comment", "too few fields",
                  "too many fields", "ragged", "not a number", "empty field", "nan", "inf",
                  "overflows", "column missing", "duplicate", "--columns", "labels", "one class",
                  "too few points", "one plane", "one line", "identical", "too large", "behind the camera",
                  "crosses zero", "--lr", "--max-iter", "--tol", "unknown model", "truncated",
                  "another kind", "non-finite", "version"]:
        assert words in cases, words


@pytest.mark.parametrize("case,command,printed,code", ROWS, ids=[r[0] for r in ROWS])
def test_each_row(case, command, printed, code, folder, capsys):
    args = shlex.split(command)[1:]
    if case.startswith("unreadable") and os.geteuid() == 0:
        pytest.skip("root reads any file: see test_an_unreadable_file")
    assert cli.run(args) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    lines = err.splitlines()
    assert printed == "-" or printed in lines, err
    if code in (2, 3):  # an error is one line, the last; at most notes come before it
        assert lines[-1] == printed and all(not t.startswith("error:") for t in lines[:-1])
        assert out == ""


def test_an_unreadable_file(folder, capsys, monkeypatch):
    """As root, chmod cannot make a file unreadable: the operating system's refusal is
    stood in for by the error it raises."""
    import builtins

    from fitcli.io import snapshot as data

    path = folder / "secret.csv"
    path.write_text(FILES["points.csv"])
    path.chmod(0)
    if os.geteuid() == 0:
        def refuse(file, *args, **kwargs):
            if str(file) == "secret.csv":
                raise PermissionError(13, "Permission denied", file)
            return builtins.open(file, *args, **kwargs)

        monkeypatch.setattr(data, "open", refuse, raising=False)
    assert cli.run(["project3d", "secret.csv"]) == 2
    assert capsys.readouterr().err == "error: secret.csv: permission denied\n"


def test_a_crash_is_one_line_and_exit_1(folder, capsys, monkeypatch):
    """A bug (here a fake one) still prints one line, never a traceback, and exits 1."""
    from fitcli.io import csv_in as data

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(data, "read_table", broken)
    monkeypatch.delenv("FITCLI_DEBUG", raising=False)
    assert cli.run(["ratio2d", str(DATA / "ratio2d.csv"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert re.match(r"error: internal error \(ZeroDivisionError: float division by zero\); "
                    r"this is a bug in fitcli", err)


def test_files_that_load_give_the_same_fit(folder, capsys):
    """BOM, CRLF, blank lines, comments and other separators change nothing."""
    params = []
    for name in ["points.csv", "bom.csv", "crlf.csv", "blank_lines.csv", "comments.csv",
                 "semicolons.csv", "spaces.csv"]:
        assert cli.run(["project3d", name, "--json", "--quiet"]) == 0, name
        params.append(json.loads(capsys.readouterr().out)["params"])
    assert all(p == params[0] for p in params)

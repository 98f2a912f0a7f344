"""docs/errors.md, row by row: every command in its table is run here, on the input files
below, through the console script's entry point; its exit code and the line it prints
must be the ones the table shows, and nothing may print a traceback."""

import io
import json
import os
import re
import shlex
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from fitcli import cli

from .conftest import DATA, ROOT, target

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


def _outliers() -> str:
    """A camera sample with a fifth of its image points replaced at random."""
    from fitcli.core.synth import synthesize

    sample = synthesize("project3d", seed=4, n=150, noise=0.5, outliers=0.2)
    return _csv("X,Y,Z,u,v", sample.table)


def _image_line() -> str:
    """World points spanning 3D space whose image points lie on one line."""
    rng = np.random.default_rng(3)
    X, u = rng.uniform(-1, 1, (30, 3)) + [0, 0, 4], rng.uniform(0, 600, 30)
    return _csv("X,Y,Z,u,v", np.column_stack([X, u, 0.5 * u + 3]))


def _nearly_plane() -> str:
    """A real camera's view of points within 0.5% of a plane."""
    from fitcli.core.synth import synthesize

    sample = synthesize("project3d", seed=1, n=200, noise=0.0)
    X = sample.table[:, :3].copy()
    X[:, 2] = X[:, 2].mean() + 0.005 * (X[:, 2] - X[:, 2].mean())
    N = np.column_stack([X, np.ones(len(X))]) @ sample.params.reshape(3, 4).T
    uv = N[:, :2] / N[:, 2:] + np.random.default_rng(0).normal(0, 0.5, (len(X), 2))
    return _csv("X,Y,Z,u,v", np.column_stack([X, uv]))


def _pole() -> str:
    """Ratios of a map whose denominator crosses zero among the points, read at (x, y)
    with a little error: the points next to the pole decide the loss."""
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1, 1, (2, 200))
    ratio = (2 * x + y + 1) / (x - y + 0.1)
    return _csv("x,y,ratio", np.column_stack([x + rng.normal(0, 0.01, 200),
                                              y + rng.normal(0, 0.01, 200), ratio]))


def _raw_units() -> str:
    """Labelled points in the thousands, more than the start's scan of pairs covers."""
    from fitcli.core.synth import synthesize

    sample = synthesize("linear-tanh", seed=0, n=400, noise=2.0, scale=1000.0)
    return _text(["x,y,label"] + [f"{x!r},{y!r},{int(l)}" for x, y, l in sample.table.tolist()])


def _quoted(lines: list[str], repeat: int = 1) -> str:
    """The rows with every number in double quotes, as CSV writers that quote all do."""
    rows = [",".join(f'"{v}"' for v in r.split(",")) for r in lines[1:]] * repeat
    return _text([lines[0]] + rows)


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
    "ratio.csv": _text(_head("ratio2d.csv", 20)),
    "decimal_commas.csv": _text([P[0].replace(",", ";"), "0,5;1,5;2,5;700,25;400,75"]
                                + [r.replace(",", ";").replace(".", ",") for r in P[1:]]),
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
    "hom_line.csv": _csv("x,y,u,v", [(a, 2 * a + 1, 100 * a, 50 * a + 3) for a in np.linspace(0, 1, 10)]),
    "outliers.csv": _outliers(),
    "image_line.csv": _image_line(),
    "nearly_plane.csv": _nearly_plane(),
    "pole.csv": _pole(),
    "raw_units.csv": _raw_units(),
    "minimal_ratio.csv": _text(_head("ratio2d.csv", 5)),
    "quoted.csv": _quoted(P),
    "quoted_large.csv": _quoted(_head("project3d.csv", 300), repeat=2),
    "long_comment.csv": _text(["# " + "survey notes " * 6000] + P),
    "huge_token.csv": _with_row(P, 10, "1.5,2.5,3.5,700," + "9" * 400),
    "separators.csv": _with_row(P, 10, "1_000,2.5,3.5,700,400"),
    "arabic.csv": _with_row(P, 10, "1.5,\u0663,3.5,700,400"),
    "fullwidth.csv": _with_row(P, 10, "1.5,2.5,\uff13,700,400"),
    "tiny.csv": _with_row(P, 10, "1.5,2.5,3.5,1e-400,400"),
    "xy.csv": "x,y\n1,2\n3,4\n",
    "zero_model.json": '{"format": "fitcli-model", "version": 1, "model": "ratio2d", '
                       '"params": {"a": 0, "b": 0, "t1": 0, "c": 0, "d": 0, "t2": 0}}\n',
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
    (folder / "bom_model.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (folder / "readonly.json").write_text(text)
    (folder / "readonly.json").chmod(0o444)
    (folder / "link.csv").symlink_to("points.csv")
    os.link(folder / "points.csv", folder / "hard.csv")


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
    for line in TABLE.read_text().splitlines():  # a cell's `\|` is a pipe, not a border
        cells = [c.strip().replace("\\|", "|")
                 for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
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
                  "another kind", "non-finite", "version",
                  # nothing lost: aliased outputs, permissions, interrupts at every stage
                  "is the input", "symlink", "hard link", "standard input", "one file",
                  "owner may not write", "empty output name", "ctrl-c during a fit",
                  "ransac refit", "huber fit", "report is built", "--residuals is written",
                  "truncated while it is read",
                  # ordinary situations: streams, option domains, synth, short messages
                  "broken pipe", "closed standard output", "full disk", "closed standard input",
                  "--gtol", "negative --seed", "synth --noise nan", "gradcheck --tol",
                  "focal length no point fits", "gap wider", "huge token", "byte-order mark",
                  # results that can be trusted
                  "quoted numbers", "over 64 kib", "digit separator", "arabic-indic",
                  "full-width", "underflows", "--columns naming a column twice",
                  "image points on one line", "nearly on one plane", "pole", "all nan",
                  "plateau", "minimal fit", "huber pulled", "--robust alone",
                  "--threshold alone", "--save-unconverged"]:
        assert words in cases, words


@contextmanager
def _streams(args: list[str], monkeypatch):
    """The command's trailing shell redirection, made real: `< FILE` (the file on
    descriptor 0 too), `<&-` and `>&-` (closed), `> FILE` (e.g. /dev/full), and
    `| head -c 1` (a pipe whose reader has left).  Yields the arguments without it."""
    if "|" in args:
        read, write = os.pipe()
        os.close(read)
        monkeypatch.setattr(sys, "stdout", os.fdopen(write, "w"))
        yield args[: args.index("|")]
        return
    if args[-1] in ("<&-", ">&-"):
        monkeypatch.setattr(sys, "stdin" if args[-1] == "<&-" else "stdout", None)
        yield args[:-1]
        return
    if len(args) > 2 and args[-2] in ("<", ">"):
        fd, mode = (0, "rb") if args[-2] == "<" else (1, "wb")
        saved = os.dup(fd)
        with open(args[-1], mode) as fh:
            os.dup2(fh.fileno(), fd)
            stream = io.TextIOWrapper(io.FileIO(fd, mode[0], closefd=False))
            monkeypatch.setattr(sys, "stdin" if fd == 0 else "stdout", stream)
            try:
                yield args[:-2]
            finally:
                if fd == 1:
                    try:
                        stream.flush()
                    except OSError:  # /dev/full
                        pass
                os.dup2(saved, fd)
                os.close(saved)
        return
    yield args


# Interrupts, by the case that names them: (what arms the trap and after how many calls,
# or None; what it fires on, and at which call after being armed; the signal it sends).
INTERRUPTS = {
    "Ctrl-C during a fit": (None, ("fitcli.core.objective:Kernel.normal", 2), signal.SIGINT),
    "Ctrl-C during a RANSAC refit": (("fitcli.core.robust_fit:_least_squares_on", 2),
                                     ("fitcli.core.objective:Kernel.normal", 2), signal.SIGINT),
    "SIGTERM during a Huber fit": (("fitcli.core.fit:robust_kernel", 1),
                                   ("fitcli.core.objective:Kernel.normal", 2), signal.SIGTERM),
    "SIGTERM while the report is built": (None, ("fitcli.report.record:_statistics", 1),
                                          signal.SIGTERM),
    "SIGTERM while --residuals is written": (None, ("os:fsync", 1), signal.SIGTERM),
    "Ctrl-C while the files are put in place": (None, ("os:replace", 1), signal.SIGINT),
    "a file truncated while it is read": (None, ("fitcli.io.snapshot:_read_unchanged", 1), None),
}


def _trap(case: str):
    """The trap of the case (INTERRUPTS' key is how the case begins), or None."""
    return next((t for key, t in INTERRUPTS.items() if case.startswith(key)), None)


@contextmanager
def _interrupted(case: str, folder: Path, monkeypatch):
    """The trap of INTERRUPTS[case], if any: it sends the signal to this process (whose
    handlers cli.run installed) just before the call it fires on.  The truncation trap
    cuts the file being read instead, with the file held open for writing (so that
    fitcli cannot take a lease on it and reads a copy)."""
    trap = _trap(case)
    if trap is None:
        yield
        return
    arm, (name, nth), sig = trap
    state = {"armed": arm is None, "calls": 0, "armings": 0}

    def wrap(original, firing: bool):
        def wrapped(*args, **kwargs):
            if not firing:
                state["armings"] += 1
                state["armed"] = state["armed"] or state["armings"] >= arm[1]
            elif state["armed"]:
                state["calls"] += 1
                if state["calls"] == nth:
                    if sig is None:  # the truncation: args are (source, fh, before)
                        os.truncate(args[0], 10)
                    else:
                        os.kill(os.getpid(), sig)
            return original(*args, **kwargs)

        return wrapped

    for spec, firing in ((arm and arm[0], False), (name, True)):
        if spec:
            owner, attr = target(spec)
            monkeypatch.setattr(owner, attr, wrap(getattr(owner, attr), firing))
    if sig is not None:
        yield
        return
    with open(folder / "points.csv", "ab"):  # open for writing: no lease, a checked copy
        yield


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("case,command,printed,code", ROWS, ids=[r[0] for r in ROWS])
def test_each_row(case, command, printed, code, folder, capsys, monkeypatch):
    args = shlex.split(command)[1:]
    if case.startswith("unreadable") and os.geteuid() == 0:
        pytest.skip("root reads any file: see test_an_unreadable_file")
    before = _contents(folder)
    with _streams(args, monkeypatch) as args, _interrupted(case, folder, monkeypatch):
        assert cli.run(args) == code
    if code in (130, 141, 143) or (_trap(case) and code):  # nothing saved, nothing left
        after = _contents(folder)
        assert set(after) == set(before)
        cut = os.stat(folder / "points.csv").st_ino  # the truncated input, and its hard link
        assert all(after[k] == before[k] for k in after if os.stat(folder / k).st_ino != cut)
    assert not [p for p in os.listdir(folder) if p.startswith(".fitcli-")]
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    lines = err.splitlines()
    assert printed == "-" or printed in lines, err
    if code == 141:  # a broken pipe is quiet
        assert err == ""
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

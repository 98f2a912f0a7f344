"""Property-based tests: malformed and adversarial CSV text and model files through the
real entry point (the console script's function, in-process; a few through the installed
script too).

The invariant, for every input (exit codes in fitcli/errors.py):

- 0: stdout is the result (one JSON object with --json) whose loss and parameters are
  finite numbers; stderr has no "error: " line;
- 2 or 3: stdout is empty and the last line of stderr is the only "error: " line (a fit
  may print notes, warnings and progress lines before it); linear-tanh's exit 3 for a
  line the data cannot determine prints the result all the same, without an error line;
- 4: the result is printed (finite parameters), its status says why (max_iter or
  non_finite), and stderr has the warning with that message;
- anything else (1, a traceback, a hang) is a failure.

On stderr every line is a note, a warning, an error or a progress line, and shows as one
line on a terminal (no control characters: a Python warning, a traceback or a message
that prints a field as it is breaks this).

The number of examples is the hypothesis profile's (tests/conftest.py): "ci" by default,
FITCLI_HYPOTHESIS=deep for a long local run.  The module's closing line counts the
generated inputs and the runs of the CLI.
"""

from __future__ import annotations

import collections
import importlib.metadata
import io
import json
import math
import os
import signal
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}
SCRIPT = Path(sys.executable).parent / "fitcli"
HANG_SECONDS = 60  # one run of the CLI on a few dozen points takes well under a second

COLUMNS = {"linear-tanh": ("x", "y", "label"), "ratio2d": ("x", "y", "ratio"),
           "project3d": ("X", "Y", "Z", "u", "v")}
MODELS = tuple(COLUMNS)
PREDICTED = {"linear-tanh": ("label", "z"), "ratio2d": ("ratio",), "project3d": ("u", "v", "depth")}

COUNTS: collections.Counter = collections.Counter()  # generated inputs and CLI runs, per test


def _examples_of(base: int) -> int:
    """A test's share of the profile's examples: `base` of the ci profile's 60."""
    return max(1, settings.default.max_examples * base // 60)


# --- running the CLI ----------------------------------------------------------------------


def _entry_point():
    """The function the installed console script `fitcli` calls."""
    for ep in importlib.metadata.entry_points(group="console_scripts", name="fitcli"):
        return ep.load()
    from fitcli.cli import main

    return main


ENTRY = _entry_point()


@dataclass
class Run:
    args: list[str]
    code: int | None
    stdout: str
    stderr: str
    crash: str | None = None  # the traceback of an exception that escaped the entry point

    def __str__(self) -> str:
        return (f"fitcli {' '.join(self.args)} -> exit {self.code}\n--- stdout\n{self.stdout}"
                f"--- stderr\n{self.stderr}" + (f"--- escaped\n{self.crash}" if self.crash else ""))


class Hang(BaseException):
    """Raised by SIGALRM in a run that takes longer than HANG_SECONDS."""


def _alarm(signum, frame):
    raise Hang(f"no exit after {HANG_SECONDS} s")


def run_cli(args, stdin_bytes: bytes = b"") -> Run:
    """Call the console script's entry point as `fitcli ARGS` with `stdin_bytes` on standard
    input; capture the exit code, stdout and stderr.  An exception that escapes it is what
    the script would print as a traceback (exit 1).  Python warnings are written to stderr
    as the interpreter's default filters would (numpy's RuntimeWarnings are shown)."""
    args = [str(a) for a in args]
    COUNTS["runs"] += 1
    crash = None
    with CliRunner().isolation(input=stdin_bytes, env=ENV) as (out, err, _):
        argv, sys.argv = sys.argv, ["fitcli", *args]
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(HANG_SECONDS)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                               ResourceWarning):
                    warnings.simplefilter("ignore", hidden)
                try:
                    ENTRY()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
                    if isinstance(exc.code, str):
                        sys.stderr.write(exc.code + "\n")
                except Hang:
                    code, crash = None, traceback.format_exc()
                except Exception:  # what the script would die of
                    code, crash = 1, traceback.format_exc()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            sys.argv = argv
        for w in caught:
            sys.stderr.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
        sys.stdout.flush()
        sys.stderr.flush()
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return Run(args, code, stdout, stderr, crash)


def run_script(args, stdin_bytes: bytes = b"") -> Run:
    """The same through the installed script in a subprocess."""
    args = [str(a) for a in args]
    COUNTS["runs"] += 1
    out = subprocess.run([str(SCRIPT), *args], input=stdin_bytes, capture_output=True,
                         env={**os.environ, **ENV}, timeout=HANG_SECONDS + 60)
    return Run(args, out.returncode, out.stdout.decode("utf-8", "replace"),
               out.stderr.decode("utf-8", "replace"))


# --- the invariant ------------------------------------------------------------------------

# What a terminal shows as more than one line, or garbles: C0/C1 controls but tab, DEL, and
# the Unicode line and paragraph separators.
_BREAKS = {c for c in map(chr, [*range(32), *range(127, 160), 0x2028, 0x2029]) if c != "\t"}


def _stderr_lines(run: Run, *allowed: str) -> list[str]:
    """The lines of stderr, each a note, a warning, an error or one of `allowed` (what
    the line starts with)."""
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run
    lines = run.stderr.split("\n")
    assert lines[-1] == "", f"stderr does not end with a newline\n{run}"
    lines = lines[:-1]
    for line in lines:
        assert line.startswith(("error: ", "warning: ", "note: ", *allowed)), \
            f"unexpected stderr line {line!r}\n{run}"
        assert not _BREAKS & set(line), f"control character in {line!r}\n{run}"
    return lines


def _one_error(run: Run, lines: list[str]) -> None:
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], f"expected one error line, last\n{run}"
    assert run.stdout == "", f"output on stdout with an error\n{run}"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _result(run: Run) -> dict:
    try:
        doc = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"stdout is not one JSON document ({exc})\n{run}") from None
    assert isinstance(doc, dict), run
    params = doc.get("params")
    assert isinstance(params, dict) and params and all(_finite(v) for v in params.values()), \
        f"parameters not all finite\n{run}"
    if doc.get("model") in ("ratio2d", "project3d"):  # homogeneous: scaled to a unit norm
        assert any(params.values()), f"a zero matrix\n{run}"
    return doc


def check_fit(run: Run, command: str, json_output: bool = True) -> None:
    """The invariant for a fit command (see the module docstring)."""
    assert run.crash is None, f"exception escaped the entry point\n{run}"
    lines = _stderr_lines(run, f"{command}: iter ")  # and progress lines
    errors = [line for line in lines if line.startswith("error: ")]
    if run.code == 0:
        assert not errors, run
        if json_output:
            doc = _result(run)
            assert _finite(doc.get("loss")) and doc["converged"] is True, run
            assert doc["model"] == command and doc["n_points"] >= 1, run
    elif run.code == 3 and run.stdout:  # linear-tanh: a line the data cannot determine
        assert command == "linear-tanh" and not errors, run
        if json_output:
            assert _result(run)["classification"]["degenerate"], run
    elif run.code in (2, 3):
        _one_error(run, lines)
    elif run.code == 4:
        assert not errors, run
        if json_output:
            doc = _result(run)
            assert doc["converged"] is False and doc["status"] in ("max_iter", "non_finite"), run
            assert f"warning: {doc['message']}" in lines, run
    else:
        raise AssertionError(f"undocumented exit code {run.code}\n{run}")


BOX = tuple(map(chr, range(0x2500, 0x2580)))  # the lines of a rich table


def check_predict(run: Run, model: str | None = None) -> None:
    """0: CSV of the predictions on stdout (non-finite ones only with the warning that says
    so), and with targets the table of errors on stderr; 2: one error line and nothing on
    stdout."""
    assert run.crash is None, f"exception escaped the entry point\n{run}"
    lines = _stderr_lines(run, *((f"{model} model ", *BOX) if run.code == 0 and model else ()))
    if run.code == 0:
        assert not any(line.startswith("error: ") for line in lines), run
        rows = run.stdout.splitlines()
        assert rows, run
        if model is not None:
            assert rows[0].split(",") == list(PREDICTED[model]), run
        values = np.array([[float(v) for v in row.split(",")] for row in rows[1:]]).ravel()
        if not np.all(np.isfinite(values)):
            assert any("no finite prediction" in line for line in lines), run
    elif run.code == 2:
        _one_error(run, lines)
    else:
        raise AssertionError(f"undocumented exit code {run.code}\n{run}")


# --- regressions: inputs the properties below found, as plain tests ---------------------------


@pytest.mark.parametrize("field,shown", [("3\r4", "3\\r4"), ("\x1b[31mred", "\\x1b[31mred"),
                                         ("a\x85b", "a\\x85b")])
def test_a_field_with_control_characters_is_quoted_as_written(field, shown):
    """A carriage return or ESC in a field went to the terminal as it was: it moved the
    cursor or began an escape sequence, and '3\\r4' read as '34'."""
    run = run_cli(["ratio2d", "-", "--json"], f"x,y,ratio\n1,2,{field}\n".encode())
    check_fit(run, "ratio2d")
    assert run.stderr == f"error: <stdin>, line 2, column 'ratio': expected a number, got '{shown}'\n"


def _model_file(path: Path) -> Path:
    path.write_text(json.dumps({"format": "fitcli-model", "version": 1, "model": "linear-tanh",
                                "params": {"k": 0.5, "b": -0.25}, "options": {"z_scale": 1.5}}))
    return path


def test_predict_checks_the_targets_before_it_writes_predictions(tmp_path):
    """Labels other than +1/-1 or 0/1 were refused after the predictions were on stdout:
    exit 2 with output that looked complete."""
    run = run_cli(["predict", _model_file(tmp_path / "m.json"), "-"], b"x,y,label\n0,0,1e-320\n")
    check_predict(run, "linear-tanh")
    assert run.code == 2 and "labels must be +1/-1 or 0/1" in run.stderr


def test_predict_metrics_without_targets_writes_no_predictions(tmp_path):
    out = tmp_path / "predictions.csv"
    run = run_cli(["predict", _model_file(tmp_path / "m.json"), "-", "-o", out,
                   "--metrics", tmp_path / "metrics.json"], b"x,y\n0,0\n")
    check_predict(run)
    assert run.code == 2 and "has no targets" in run.stderr and not out.exists()


def _scaled_points(command: str, scale: float) -> bytes:
    """Eight points in general position, the inputs multiplied by `scale`; the targets
    (pixels, ratios) as at scale 1."""
    rng = np.random.default_rng(1)
    P, M = rng.normal(size=(8, 3)), rng.normal(size=(3, 4))
    if command == "project3d":
        h = np.column_stack([P, np.ones(8)]) @ M.T
        h[:, 2] = np.abs(h[:, 2]) + 1.0
        table = np.column_stack([P * scale, h[:, :2] / h[:, 2:]])
    else:
        ratio = (P[:, :2] @ [1.0, 2.0] + 3.0) / (P[:, :2] @ [0.5, -1.0] + 4.0)
        table = np.column_stack([P[:, :2] * scale, ratio])
    rows = "".join(",".join(map(repr, row.tolist())) + "\n" for row in table)
    return (",".join(COLUMNS[command]) + "\n" + rows).encode()


@pytest.mark.parametrize("command", ["ratio2d", "project3d"])
@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_huge_and_tiny_coordinates_fit_as_unit_ones(command, scale):
    """Squares of coordinates of 1e300 overflow and of 1e-300 underflow: the rank test's
    eigensolver failed (a traceback), normalisation called the points identical, and the
    matrix scaled to |(i, j, k)| = 1 (or unit norm) came out null or zero, with numpy's
    RuntimeWarnings on stderr."""
    unit = run_cli([command, "-", "--json", "--quiet"], _scaled_points(command, 1.0))
    run = run_cli([command, "-", "--json", "--quiet"], _scaled_points(command, scale))
    check_fit(run, command)
    assert run.code == 0
    assert json.loads(run.stdout)["loss"] == pytest.approx(json.loads(unit.stdout)["loss"],
                                                           rel=1e-6, abs=1e-20)


@pytest.mark.parametrize("command", ["ratio2d", "project3d"])
@pytest.mark.parametrize("scale", [1e300, 1e-300])
@pytest.mark.parametrize("init", ["dlt", "identity"])
def test_huge_and_tiny_coordinates_without_normalisation(command, scale, init):
    """--no-normalize: the linear estimate's moments overflowed into the eigensolver (a
    traceback), and the report's normalisation failed after the fit (a traceback)."""
    run = run_cli([command, "-", "--json", "--quiet", "--no-normalize", "--init", init],
                  _scaled_points(command, scale))
    check_fit(run, command)
    if scale > 1 and init == "dlt":
        assert run.code == 3 and "overflows double precision" in run.stderr


def test_rank_and_normalisation_do_not_depend_on_the_scale():
    from fitcli.core.normalize import DegenerateDataError, affine_1d, moment_rank, similarity

    rng = np.random.default_rng(3)
    P = rng.normal(size=(7, 3))
    plane = rng.normal(size=(7, 2)) @ rng.normal(size=(2, 3))
    for scale in (2.0**1000, 2.0**-1000):  # exact: the same digits
        assert moment_rank(P * scale) == 3
        assert moment_rank(plane * scale) == moment_rank(plane)
        T, N = similarity(P * scale, "points")
        np.testing.assert_allclose(N, similarity(P, "points")[1], atol=1e-12)
        np.testing.assert_allclose(T[:3, :3] @ (P[0] * scale) + T[:3, 3], N[0], atol=1e-12)
        np.testing.assert_allclose(affine_1d(P[:, 0] * scale, "x")[1], affine_1d(P[:, 0], "x")[1])
    with pytest.raises(DegenerateDataError, match="too little for double precision"):
        similarity(P * 1e-310, "points")  # subnormal: the scale that normalises them overflows


@pytest.mark.parametrize("options", [
    ["--sigma", "0.1"], ["--sigma", "1e-300"], ["--sigma", "1e300"],
    ["--robust", "huber", "--threshold", "1e-300"], ["--robust", "huber", "--threshold", "1e300"],
    ["--robust", "cauchy", "--threshold", "1e300"], ["--robust", "ransac", "--threshold", "1e300"],
])
@pytest.mark.parametrize("command,n", [("ratio2d", 5), ("ratio2d", 8), ("project3d", 6)])
def test_report_of_exact_fits_and_extreme_thresholds(options, command, n):
    """--sigma with as many points as the model needs (no degrees of freedom) divided by
    zero in the chi-square test, and sigma**2 underflowed (1e-300) or raised OverflowError
    (1e300); so did a threshold's square; a threshold no point is within left no inlier
    to take the RMS of (ZeroDivisionError)."""
    text = b"\n".join(_scaled_points(command, 1.0).split(b"\n")[: n + 1]) + b"\n"
    run = run_cli([command, "-", "--json", "--quiet", *options], text)
    check_fit(run, command)
    assert run.code in (0, 4)

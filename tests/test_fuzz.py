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
  non_finite), and stderr has the warning with that message; or it converged and
  stderr says why it is refused (points behind the camera, a robust fit's failed check);
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
import contextlib
import importlib.metadata
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
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from .conftest import target

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


def run_cli(args, stdin_bytes: bytes = b"", streams=None) -> Run:
    """Call the console script's entry point as `fitcli ARGS` with `stdin_bytes` on standard
    input; capture the exit code, stdout and stderr.  An exception that escapes it is what
    the script would print as a traceback (exit 1).  Python warnings are written to stderr
    as the interpreter's default filters would (numpy's RuntimeWarnings are shown).
    `streams`: a context manager factory that replaces standard input or output for the
    run (closed, a broken pipe, a full disk); what it replaces reads as empty."""
    args = [str(a) for a in args]
    COUNTS["runs"] += 1
    crash = None
    with CliRunner().isolation(input=stdin_bytes, env=ENV) as (out, err, _):
        argv, sys.argv = sys.argv, ["fitcli", *args]
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(HANG_SECONDS)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                               ResourceWarning):
                    warnings.simplefilter("ignore", hidden)
                try:
                    with (streams or contextlib.nullcontext)():
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
            for s, handler in handlers.items():  # the script leaves them ignored: it exits
                signal.signal(s, handler)
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
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 2**1024 and math.isfinite(value)


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
            check = doc["robust"].get("check") or {"passed": True}
            if doc["converged"] and not check["passed"]:  # a robust fit refused by its check
                assert any("failed its check" in line for line in lines), run
            elif doc["converged"]:  # project3d: the optimum, but points behind the camera
                assert doc["behind_camera"]["count"] > 0, run
                assert any("behind the fitted camera" in line for line in lines), run
            else:
                assert doc["status"] in ("max_iter", "non_finite", "stalled", "diverged"), run
                assert f"warning: {doc['message']}" in lines, run
    else:
        raise AssertionError(f"undocumented exit code {run.code}\n{run}")


BOX = tuple(map(chr, range(0x2500, 0x2580)))  # the lines of a rich table


def check_predict(run: Run, model: str | None = None, with_inputs: bool = False) -> None:
    """0: CSV of the predictions on stdout (non-finite ones only with the warning that says
    so), and with targets the table of errors on stderr; 2, or 3 (a model that maps every
    point to NaN or infinity): one error line and nothing on stdout."""
    assert run.crash is None, f"exception escaped the entry point\n{run}"
    lines = _stderr_lines(run, *((f"{model} model ", *BOX) if run.code == 0 and model else ()))
    if run.code == 0:
        assert not any(line.startswith("error: ") for line in lines), run
        rows = run.stdout.splitlines()
        assert rows, run
        if model is not None:
            inputs = COLUMNS[model][: 3 if model == "project3d" else 2] if with_inputs else ()
            assert rows[0].split(",") == [*inputs, *PREDICTED[model]], run
        values = np.array([[float(v) for v in row.split(",")] for row in rows[1:]]).ravel()
        if not np.all(np.isfinite(values)):
            assert any("no finite prediction" in line for line in lines), run
    elif run.code == 2 or (run.code == 3 and "no finite prediction for any" in run.stderr):
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
@pytest.mark.parametrize("scale", [1e60, 1e-60])
def test_large_and_small_coordinates_fit_as_unit_ones(command, scale):
    """Squares of coordinates of 1e60 and 1e-60 stay within double precision: the fit is
    the one at scale 1."""
    unit = run_cli([command, "-", "--json", "--quiet"], _scaled_points(command, 1.0))
    run = run_cli([command, "-", "--json", "--quiet"], _scaled_points(command, scale))
    check_fit(run, command)
    assert run.code == 0
    assert json.loads(run.stdout)["loss"] == pytest.approx(json.loads(unit.stdout)["loss"],
                                                           rel=1e-6, abs=1e-20)


@pytest.mark.parametrize("command", ["ratio2d", "project3d"])
@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_huge_and_tiny_coordinates_are_refused_by_column(command, scale):
    """Squares of coordinates of 1e300 overflow and of 1e-300 underflow (the rank test's
    eigensolver failed with a traceback; the matrix came out null): such a column is
    refused, by name, before anything is fitted."""
    run = run_cli([command, "-", "--json", "--quiet"], _scaled_points(command, scale))
    check_fit(run, command)
    column = "X" if command == "project3d" else "x"
    assert run.code == 2 and f"column '{column}'" in run.stderr and "rescale" in run.stderr


@pytest.mark.parametrize("command", ["ratio2d", "project3d"])
@pytest.mark.parametrize("scale", [1e60, 1e-60])
@pytest.mark.parametrize("init", ["dlt", "identity"])
def test_large_and_small_coordinates_without_normalisation(command, scale, init):
    """--no-normalize: the linear estimate's moments and the report's normalisation at
    scales far from 1 end in a fit or a one-line error, never a traceback."""
    run = run_cli([command, "-", "--json", "--quiet", "--no-normalize", "--init", init],
                  _scaled_points(command, scale))
    check_fit(run, command)


def test_rank_and_normalisation_do_not_depend_on_the_scale():
    from fitcli.core.normalize import affine_1d, moment_rank, similarity

    rng = np.random.default_rng(3)
    P = rng.normal(size=(7, 3))
    plane = rng.normal(size=(7, 2)) @ rng.normal(size=(2, 3))
    for scale in (2.0**200, 2.0**-200):  # exact: the same digits
        assert moment_rank(P * scale) == 3
        assert moment_rank(plane * scale) == moment_rank(plane)
        T, N = similarity(P * scale, "points")
        np.testing.assert_allclose(N, similarity(P, "points")[1], atol=1e-12)
        np.testing.assert_allclose(T[:3, :3] @ (P[0] * scale) + T[:3, 3], N[0], atol=1e-12)
        np.testing.assert_allclose(affine_1d(P[:, 0] * scale, "x")[1], affine_1d(P[:, 0], "x")[1])


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
    to take the RMS of (ZeroDivisionError).  A robust fit starts from a consensus set
    within the threshold: with none in it, it says so (exit 3)."""
    text = b"\n".join(_scaled_points(command, 1.0).split(b"\n")[: n + 1]) + b"\n"
    run = run_cli([command, "-", "--json", "--quiet", *options], text)
    check_fit(run, command)
    assert run.code in (0, 4) or (run.code == 3 and "lie within the threshold" in run.stderr)


F3 = (b"x,y,ratio\n1.257302210933933e-301,-1.321048632913019e-301,-45710684410.29847\n"
      b"6.404226504432821e-301,1.049001171530397e-301,-1459692940.671753\n"
      b"-5.35669373161111e-301,3.6159505490948475e-301,-439896696.21265745\n"
      b"1.3040000451301373e-300,9.470809631292422e-301,327652183.1183838\n"
      b"-7.037352358069926e-301,-1.2654214710460525e-300,1776833448.6118019\n")
F4 = (b"X,Y,Z,u,v\n"
      b"1.257302210933933e-301,-1.321048632913019e-301,6.404226504432821e-301,650252562.9,432825430.1\n"
      b"1.049001171530397e-301,-5.35669373161111e-301,3.6159505490948475e-301,662508361.4,121091902.1\n"
      b"1.3040000451301373e-300,9.470809631292422e-301,-7.037352358069926e-301,-34252694.0,-380795922.1\n"
      b"-1.2654214710460525e-300,-6.232744625373522e-301,4.13259793472436e-302,1293622848.0,790098349.1\n"
      b"-2.3250307746388345e-300,-2.187916639325457e-301,-1.2459109472530652e-300,5131060725.4,4225211124.0\n"
      b"-7.3226735470345165e-301,-5.442589828573099e-301,-3.1630015636915454e-301,1215737588.4,307268221.1\n")
HUGE_LABELLED = (b"x,y,label\n1.257302210933933e+299,-1.321048632913019e+299,1\n"
                 b"6.404226504432821e+299,1.0490011715303972e+299,1\n"
                 b"-5.35669373161111e+299,3.6159505490948475e+299,1\n"
                 b"1.3040000451301373e+300,9.470809631292422e+299,-1\n")
CROSS_ENTROPY = ["--no-normalize", "--activation", "sigmoid", "--loss", "cross-entropy"]


@pytest.mark.parametrize("command,text,options", [
    ("linear-tanh", b"x,y,label\n0,1e200,a\n0,0,a\n0,0,a\n0,0,a\n0,0,a\n1,0,b\n", []),
    ("linear-tanh", b"0,0,1\n1,1e+308,-1\n", CROSS_ENTROPY),
    ("linear-tanh", HUGE_LABELLED, CROSS_ENTROPY),
    ("ratio2d", F3, []),
    ("ratio2d", F3, ["--robust", "huber", "--threshold", "1e-300"]),
    ("project3d", F4, ["--robust", "huber", "--threshold", "1e-300"]),
])
@pytest.mark.parametrize("json_output", [True, False])
def test_parameters_beyond_double_precision_are_an_error(command, text, options, json_output):
    """Values over hundreds of orders of magnitude (std(y) of 1e200 overflows; x of 1e-301
    with ratios of 1e9) gave parameters that overflow in the input's units: exit 0 or 4
    with null parameters in the JSON, and a traceback from the tables."""
    run = run_cli([command, "-", *(["--json"] if json_output else []), *options], text)
    check_fit(run, command, json_output)
    refused = run.code == 2 and "rescale the column" in run.stderr  # at reading
    assert refused or (run.code == 3 and "overflow double precision in the input's units"
                       in run.stderr)


def test_constant_ratios_without_normalisation():
    """--no-normalize skips the normalisation that refuses constant ratios, and the
    report's own normalisation raised it after the fit: a traceback."""
    rows = "".join(f"{x},{y},2.0\n" for x, y in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (3, 5)])
    run = run_cli(["ratio2d", "-", "--json", "--no-normalize", "--init", "identity"],
                  f"x,y,ratio\n{rows}".encode())
    check_fit(run, "ratio2d")
    assert run.code == 3 and "all ratios are equal" in run.stderr


@pytest.mark.parametrize("command", ["ratio2d", "project3d"])
def test_values_near_the_largest_double(command):
    """The power of two above 1.7e308 (2**1024) overflowed: the scaling meant for huge
    values raised OverflowError on them."""
    lines = _scaled_points(command, 1.0).decode().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",1.7e308"
    run = run_cli([command, "-", "--json", "--quiet"], ("\n".join(lines) + "\n").encode())
    check_fit(run, command)


def test_a_lone_carriage_return_reads_the_same_in_a_large_file(tmp_path):
    """The fast engines end a line at a lone CR and the careful pass does not: appended to
    a file over FAST_MIN_BYTES, '0,0,1\\r0,0,1' read as two rows (exit 4), while the
    same rows in a small file were refused."""
    from fitcli.io.csv_in import FAST_MIN_BYTES

    path = tmp_path / "large.csv"
    path.write_bytes(b"x,y,label\n" + b"0.5,1.5,1\n-0.5,-1.5,-1\n" * (FAST_MIN_BYTES // 20)
                     + b"0,0,1\r0,0,1\r")
    run = run_cli(["linear-tanh", path, "--json", "--quiet"])
    check_fit(run, "linear-tanh")
    assert run.code == 2 and "expected 3 fields, got 5" in run.stderr


def test_vertical_limit_with_an_infinite_loss_in_the_tables():
    """Cross-entropy gives a vertical limit with a wrong point an infinite loss, null in
    the JSON; the table formatted it as a number: a traceback."""
    text = (b"x,y,label\n1.257302210933933e-60,-1.3210486329130188e-60,-1\n"
            b"6.404226504432821e-60,1.0490011715303971e-60,-1\n"
            b"-5.3566937316111094e-60,3.615950549094847e-60,1\n"
            b"1.3040000451301373e-59,9.470809631292421e-60,1\n")
    run = run_cli(["linear-tanh", "-", "--activation", "sigmoid", "--loss", "cross-entropy",
                   "--no-standardize"], text)
    check_fit(run, "linear-tanh", json_output=False)
    assert run.code == 3 and "+1 to the left, loss inf" in run.stdout


# --- strategies: text -----------------------------------------------------------------------

NUMBERS = [
    "0", "1", "-1", "-0", "+0", "0.0", "-0.0", "2", "0.5", "1e308", "1.7976931348623157e308",
    "1e309", "-1e309", "1e-320", "4.9e-324", "1e-400", "-1e-310", "2.2250738585072014e-308",
    "0x10", "1_000", "  3 ", "+.5", ".5", "5.", "nan", "NaN", "-nan", "inf", "-inf", "Infinity",
    "-Infinity", "1e99999", "-1e99999", "1" * 400, "0." + "0" * 330 + "1", "9" * 309,
    "1e", "e5", "--1", "1.2.3", "1d5", "0b1", "True", '"1"', "'2'", '""', "\u0663", "\uff11",
    "1\u00a0", "1\u2028", "3\r4", "1\x0b", "1\x1c2", "\x85", "1e+308", "1E5", " ", "",
    '"1.5"', '" 2 "', '"nan"', '"1_000"', "1e-330", "0e-999", "0." + "0" * 25 + "1e-300",
    "\u0661\u0662", "\uff11.5",
]
LABELS = ["1", "-1", "0", "+1", "1.0", "-1.0", "2", "yes", "no", "cat", "dog", "'a'", '"b"',
          "nan", "inf", "", " ", "0.5", "\u00e9", "a\u2028b"]
SEPARATORS = [",", ";", "\t", " ", "  ", ", ", " ,", " ; "]
LINE_ENDS = ["\n", "\r\n", "\r"]

floats_text = st.floats(allow_nan=True, allow_infinity=True).map(repr)
ints_text = st.integers(-(10**40), 10**40).map(str)
odd_text = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=6)
number_fields = st.one_of(st.sampled_from(NUMBERS), floats_text, ints_text, odd_text)
label_fields = st.one_of(st.sampled_from(LABELS), number_fields)


def _header_names(draw, names: list[str]) -> list[str]:
    kind = draw(st.sampled_from(["exact", "exact", "shuffled", "upper", "extra", "duplicate",
                                 "missing", "random", "quoted", "spaced"]))
    if kind == "shuffled":
        return draw(st.permutations(names))
    if kind == "upper":
        return [n.upper() for n in names]
    if kind == "extra":
        return [*names, draw(st.sampled_from(["w", "x", "id", ""]))]
    if kind == "duplicate":
        return [*names, draw(st.sampled_from(names))]
    if kind == "missing":
        return [n for n in names if n != draw(st.sampled_from(names))]
    if kind == "random":
        return draw(st.lists(odd_text, min_size=0, max_size=7))
    if kind == "quoted":
        return [f'"{n}"' for n in names]
    if kind == "spaced":
        return [f" {n} " for n in names]
    return list(names)


@st.composite
def csv_texts(draw, command: str) -> bytes:
    """CSV text for `command`: mostly the right number of fields of adversarial numbers,
    with ragged rows, comments, blank lines, an optional (odd) header, any separator and
    line end, and sometimes a byte-order mark."""
    names = list(COLUMNS[command])
    sep = draw(st.sampled_from(SEPARATORS))
    ends = draw(st.sampled_from([*LINE_ENDS, "mixed"]))
    lines = []
    if draw(st.booleans()):
        lines.append(sep.join(_header_names(draw, names)))
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["row"] * 6 + ["ragged", "comment", "blank"]))
        if kind == "comment":
            lines.append(draw(st.sampled_from(["#", "# comment", "  # x,y", "#1,2,3"])))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t"])))
        else:
            n = len(names) if kind == "row" else draw(st.integers(0, 7))
            fields = [draw(label_fields if names[j % len(names)] == "label" else number_fields)
                      for j in range(n)]
            lines.append(sep.join(fields))
    end = [draw(st.sampled_from(LINE_ENDS)) if ends == "mixed" else ends for _ in lines]
    text = "".join(line + e for line, e in zip(lines, end))
    text += draw(st.sampled_from(["", "", "\n", "\n\n", " \n", "#end\n"]))
    if draw(st.booleans()) and text.endswith("\n"):
        text = text[:-1]  # no newline at the end of the file
    bom = b"\xef\xbb\xbf" if draw(st.integers(0, 4)) == 0 else b""
    return bom + text.encode("utf-8")


CHUNKS = [b"\x00", b"\xff", b"\xfe", b"\xc3", b"\xc3\xa9", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\n",
          b",", b";", b"\t", b" ", b"#", b"nan", b"1e309", b"1", b"-2.5", b"0", b"x,y,label",
          b"x,y,ratio", b"X,Y,Z,u,v", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b'"', b"e", b"."]
random_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(CHUNKS), max_size=60).map(b"".join),
)


# --- strategies: near-degenerate point sets -------------------------------------------------

SCALES = [1.0, 1.0, 1e-310, 1e-300, 1e-150, 1e-12, 1e-6, 1e6, 1e12, 1e150, 1e300, 1e305]
OFFSETS = [0.0, 0.0, 1.0, -3.5, 1e8, -1e15, 1e200]
NOISES = [0.0, 0.0, 1e-12, 1e-9, 1e-3]
SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 11, 20, 40]


def _format(values: np.ndarray, style: str) -> list[str]:
    if style == "g17":
        return [f"{v:.17g}" for v in values]
    if style == "g3":
        return [f"{v:.3g}" for v in values]
    return [repr(float(v)) for v in values]


@st.composite
def point_sets(draw, command: str) -> bytes:
    """A few points of a degenerate or nearly degenerate shape (all equal, on a line, on a
    plane, two distinct points...) at a tiny or huge scale and offset, with targets from
    the model itself, constant, or random; as CSV with a header."""
    n = draw(st.sampled_from(SIZES))
    shape = draw(st.sampled_from(["general", "equal", "line", "plane", "two", "duplicated",
                                  "grid"]))
    scale, offset, noise = (draw(st.sampled_from(v)) for v in (SCALES, OFFSETS, NOISES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    d = 3 if command == "project3d" else 2
    if shape == "equal":
        P = np.ones((n, d)) * rng.normal(size=d)
    elif shape == "line":
        P = rng.normal(size=(n, 1)) * rng.normal(size=d) + rng.normal(size=d)
    elif shape == "plane":
        P = rng.normal(size=(n, 2)) @ rng.normal(size=(2, d)) + rng.normal(size=d)
    elif shape == "two":
        P = rng.normal(size=(2, d))[rng.integers(0, 2, n)]
    elif shape == "duplicated":
        P = np.repeat(rng.normal(size=(max(1, n // 3), d)), 3, axis=0)[:n]
    elif shape == "grid":
        P = np.array([[i % 2, (i // 2) % 2, (i // 4) % 2][:d] for i in range(n)], float)
    else:
        P = rng.normal(size=(n, d))
    P = P + noise * rng.normal(size=P.shape)
    with np.errstate(all="ignore"):
        world = P * scale + offset
        targets = _targets(draw, command, P, rng) * draw(st.sampled_from([1.0, 1.0, 1e-9, 1e9]))
    table = np.column_stack([world, targets])
    style = draw(st.sampled_from(["repr", "repr", "g17", "g3"]))
    rows = [",".join(_format(row, style)) for row in table]
    if command == "linear-tanh":  # labels as written, e.g. 0/1 or text
        names = draw(st.sampled_from([("-1", "1"), ("0", "1"), ("no", "yes"), ("1", "2")]))
        rows = [",".join([*_format(row[:2], style), names[int(row[2] > 0)]]) for row in table]
    return (",".join(COLUMNS[command]) + "\n" + "\n".join(rows) + "\n").encode()


def _targets(draw, command: str, P: np.ndarray, rng) -> np.ndarray:
    n = len(P)
    kind = draw(st.sampled_from(["model", "model", "constant", "random"]))
    if command == "linear-tanh":
        if kind == "constant":
            return np.ones((n, 1))
        if kind == "random":
            return np.where(rng.random((n, 1)) < 0.5, 1.0, -1.0)
        side = draw(st.sampled_from(["line", "vertical", "x"]))
        w = rng.normal(size=3) if side == "line" else np.array([1.0, 0.0, -P[:, 0].mean()])
        z = P @ w[:2] + w[2] if side != "x" else P[:, 0] - np.median(P[:, 0])
        return np.where(z >= 0, 1.0, -1.0)[:, None]
    if kind == "constant":
        return np.full((n, 2 if command == "project3d" else 1), 2.0)
    if kind == "random":
        return rng.normal(size=(n, 2 if command == "project3d" else 1))
    M = rng.normal(size=(3, 4)) if command == "project3d" else rng.normal(size=(2, 3))
    h = np.column_stack([P, np.ones(n)]) @ M.T
    if command == "project3d":
        h[:, 2] = np.abs(h[:, 2]) + draw(st.sampled_from([0.0, 1e-12, 1.0]))
        with np.errstate(all="ignore"):
            return h[:, :2] / h[:, 2:]
    with np.errstate(all="ignore"):
        return (h[:, 0] / h[:, 1])[:, None]


@st.composite
def fit_options(draw, command: str) -> list[str]:
    """Options of a fit: the optimizer, a small --max-iter (always one for the first-order
    optimizers, whose default is 20000), starts, normalisation, the model's variants and
    robust fits; sometimes the defaults alone."""
    options = []
    optimizer = draw(st.sampled_from([None, None, "lm", "gd", "momentum", "adam"]))
    max_iter = draw(st.sampled_from([None, None, 1, 2, 5, 30]))
    if optimizer is not None:
        options += ["--optimizer", optimizer]
        if optimizer != "lm":
            max_iter = max_iter or 50
            if draw(st.booleans()):
                options += ["--lr", draw(st.sampled_from(["1e-300", "0.01", "1", "1e10", "1e300"]))]
    if max_iter is not None:
        options += ["--max-iter", str(max_iter)]
    if draw(st.integers(0, 4)) == 0:
        options.append("--no-normalize")
    if draw(st.integers(0, 3)) == 0:
        inits = ["auto", "zero", "random"] if command == "linear-tanh" else ["dlt", "identity", "random"]
        options += ["--init", draw(st.sampled_from(inits))]
    if command == "linear-tanh":
        for flag, values in (("--form", ["general"]), ("--activation", ["sigmoid"]),
                             ("--loss", ["cross-entropy"])):
            if draw(st.integers(0, 2)) == 0:
                options += [flag, draw(st.sampled_from(values))]
        if draw(st.integers(0, 4)) == 0:
            options.append(draw(st.sampled_from(["--no-standardize", "--standardize"])))
    elif draw(st.integers(0, 3)) == 0:
        method = draw(st.sampled_from(["huber", "cauchy", "ransac"]))
        threshold = draw(st.sampled_from(["1e-300", "1e-9", "0.5", "1e9", "1e300"]))
        options += ["--robust", method, "--threshold", threshold]
    elif draw(st.integers(0, 5)) == 0:
        options += ["--sigma", draw(st.sampled_from(["1e-300", "0.1", "1e300"]))]
    if draw(st.integers(0, 3)) == 0:
        options += ["--seed", str(draw(st.integers(0, 2**31)))]
    return options


# --- strategies: model files ----------------------------------------------------------------

PARAMS = {"linear-tanh": ("k", "b"), "linear-tanh/general": ("w1", "w2", "w0"),
          "ratio2d": ("a", "b", "t1", "c", "d", "t2"),
          "project3d": ("a", "b", "c", "t1", "e", "f", "g", "t2", "i", "j", "k", "t3")}

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20),
    st.sampled_from([10**400, -(10**400), 0, 1]), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.sampled_from(["1", "nan", "general", "tanh", "relu", ""]),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)


@st.composite
def model_files(draw) -> tuple[str, bytes]:
    """(model kind, model file bytes): a valid model document, then mutated: keys deleted
    or given wrong types, parameters huge, NaN, infinite, strings, bools; options that a
    model cannot take; the text truncated, padded, nested deeply or not UTF-8 at all."""
    kind = draw(st.sampled_from(["linear-tanh", "linear-tanh/general", "ratio2d", "project3d"]))
    model = kind.split("/")[0]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    doc = {"format": "fitcli-model", "version": 1, "model": model,
           "params": {p: float(v) for p, v in zip(PARAMS[kind], rng.normal(size=12))},
           "fit": None, "input": None, "truth": None, "options": {}}
    if model == "linear-tanh":
        doc["options"] = {"z_scale": 1.5, "activation": "tanh", "loss_function": "squared",
                          "form": "general" if kind.endswith("general") else "tutorial"}
    for _ in range(draw(st.integers(0, 3))):
        what = draw(st.sampled_from(["param", "param", "option", "key", "delete", "scale"]))
        if what == "param" and isinstance(doc.get("params"), dict):
            name = draw(st.sampled_from([*PARAMS[kind], "zz"]))
            doc["params"][name] = draw(st.one_of(json_scalars, st.sampled_from(
                [1e308, -1e308, 1e-320, float("nan"), float("inf"), 10**309, [1.0], {}])))
        elif what == "option" and isinstance(doc.get("options"), dict):
            name = draw(st.sampled_from(["z_scale", "activation", "loss_function", "form",
                                         "standardize", "positive", "other"]))
            doc["options"][name] = draw(st.one_of(json_scalars, st.sampled_from(
                [0, -1, 1e-320, 1e308, float("nan"), "sigmoid", "cross-entropy", "general"])))
        elif what == "key":
            key = draw(st.sampled_from(["format", "version", "model", "params", "options"]))
            doc[key] = draw(json_values)
        elif what == "delete":
            doc.pop(draw(st.sampled_from(sorted(doc))), None)
        elif isinstance(doc.get("params"), dict):  # every parameter scaled
            factor = draw(st.sampled_from([0.0, 1e-300, 1e300, -1.0]))
            doc["params"] = {k: v * factor if _finite(v) else v for k, v in doc["params"].items()}
    text = json.dumps(doc, allow_nan=True).encode()  # NaN and Infinity as Python writes them
    damage = draw(st.sampled_from(["none"] * 4 + ["truncate", "append", "nest", "digits",
                                                  "bytes", "big", "empty"]))
    if damage == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "append":
        text += draw(st.sampled_from([b"}", b",", b"\x00", b"\xff", b" garbage", b"{}"]))
    elif damage == "nest":
        text = b"[" * 100000 + b"]" * 100000
    elif damage == "digits":
        text = text.replace(b'"version": 1', b'"version": 1' + b"0" * 5000, 1)
    elif damage == "bytes":
        text = draw(random_bytes)
    elif damage == "big" and b"1.5" in text:
        text = text.replace(b"1.5", b"1e999", 1)
    elif damage == "empty":
        text = draw(st.sampled_from([b"", b" \n", b"null", b"[]", b"1", b'"x"']))
    return model, text


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module", autouse=True)
def count_inputs(request):
    """Print how many inputs the module generated and how many CLI runs they made."""
    COUNTS.clear()
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    per_test = ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()) if k not in ("runs", "inputs"))
    text = (f"test_fuzz: {COUNTS['inputs']} generated inputs, {COUNTS['runs']} CLI runs "
            f"(profile {os.environ.get('FITCLI_HYPOTHESIS', 'ci')}; {per_test})")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(text)


def _count(name: str) -> None:
    COUNTS["inputs"] += 1
    COUNTS[name] += 1


def _fit_args(command: str, source: str, options: list[str], json_output: bool = True):
    return [command, source, *(["--json"] if json_output else []), *options]


@given(data=random_bytes, use_file=st.booleans())
def test_random_bytes_for_every_fit(data, use_file, workdir):
    _count("bytes")
    path = workdir / "bytes.csv"
    path.write_bytes(data)
    for command in MODELS:
        source, stdin = (str(path), b"") if use_file else ("-", data)
        check_fit(run_cli([command, source, "--json", "--max-iter", "20"], stdin), command)


@given(data=st.data())
def test_malformed_csv(data, workdir):
    command = data.draw(st.sampled_from(MODELS), label="command")
    text = data.draw(csv_texts(command), label="csv")
    options = data.draw(fit_options(command), label="options")
    json_output = data.draw(st.integers(0, 4), label="json") > 0
    use_file = data.draw(st.booleans(), label="use file")
    _count("csv")
    if use_file:
        path = workdir / "malformed.csv"
        path.write_bytes(text)
        run = run_cli(_fit_args(command, str(path), options, json_output))
    else:
        run = run_cli(_fit_args(command, "-", options, json_output), text)
    check_fit(run, command, json_output)


def _degenerate_test(command: str):
    @settings(max_examples=_examples_of(40))
    @given(points=point_sets(command), options=fit_options(command),
           json_output=st.sampled_from([True, True, True, False]), save=st.booleans())
    def test(points, options, json_output, save, workdir):
        """A fit saved with -o predicts its own points: the model file of parameters of
        any size loads, and predict keeps the invariant."""
        _count(command)
        model = workdir / f"{command}.json"
        model.unlink(missing_ok=True)
        save_options = ["-o", model] if save else []
        run = run_cli(_fit_args(command, "-", [*options, *save_options], json_output), points)
        check_fit(run, command, json_output)
        if save and run.code == 0:
            check_predict(run_cli(["predict", model, "-"], points), command)

    test.__name__ = f"test_near_degenerate_{command.replace('-', '_')}"
    return test


test_near_degenerate_linear_tanh = _degenerate_test("linear-tanh")
test_near_degenerate_ratio2d = _degenerate_test("ratio2d")
test_near_degenerate_project3d = _degenerate_test("project3d")


@settings(max_examples=_examples_of(30))
@given(data=st.data())
def test_large_files_read_as_small_ones(data, workdir):
    """A file over data.FAST_MIN_BYTES goes to the fast engine (pyarrow or numpy); on
    malformed rows it must fail as the careful pass does, and a file it reads must give
    the careful pass's numbers."""
    import fitcli.io.csv_in

    command = data.draw(st.sampled_from(MODELS), label="command")
    bad = data.draw(csv_texts(command), label="rows").replace(b"\xef\xbb\xbf", b"")
    good = {"linear-tanh": "0.5,1.5,1\n-0.5,-1.5,-1\n", "ratio2d": "0.5,1.5,0.25\n1.5,2,4\n",
            "project3d": "0.5,1.5,2,0.25,0.5\n1.5,2,2.5,4,1\n"}[command]
    sep = data.draw(st.sampled_from([",", ";", "\t", " "]), label="separator")
    _count("large")
    pad = (good.replace(",", sep) * (fitcli.io.csv_in.FAST_MIN_BYTES // len(good) + 1)).encode()
    text = (",".join(COLUMNS[command]).replace(",", sep) + "\n").encode() + pad + bad
    path = workdir / "large.csv"
    path.write_bytes(text)
    args = [command, str(path), "--json", "--quiet", "--max-iter", "3"]
    fast = run_cli(args)
    check_fit(fast, command)
    with mock.patch.object(fitcli.io.csv_in, "FAST_MIN_BYTES", 1 << 40):
        careful = run_cli(args)
    assert (fast.code, fast.stderr) == (careful.code, careful.stderr), f"{fast}\n{careful}"
    if fast.stdout:
        a, b = json.loads(fast.stdout), json.loads(careful.stdout)
        assert a["n_points"] == b["n_points"] and a["params"] == b["params"], f"{fast}\n{careful}"


@given(model=model_files(), points=st.data(), model_on_stdin=st.booleans())
def test_predict_with_malformed_model_files(model, points, model_on_stdin, workdir):
    kind, text = model
    if points.draw(st.integers(0, 2), label="well-formed points") > 0:
        n = points.draw(st.integers(1, 6), label="n")
        inputs = list(COLUMNS[kind][: 3 if kind == "project3d" else 2])
        with_targets = points.draw(st.booleans(), label="targets")
        names = list(COLUMNS[kind]) if with_targets else inputs
        rng = np.random.default_rng(n)
        rows = [",".join(repr(float(v)) for v in rng.normal(size=len(names))) for _ in range(n)]
        if with_targets and kind == "linear-tanh":
            rows = [r.rsplit(",", 1)[0] + "," + str(1 - 2 * (i % 2)) for i, r in enumerate(rows)]
        csv = (",".join(names) + "\n" + "\n".join(rows) + "\n").encode()
    else:
        csv = points.draw(csv_texts(kind), label="csv")
    options = points.draw(st.lists(st.sampled_from(["--with-inputs", "--quiet"]), unique=True),
                          label="options")
    _count("predict")
    model_path, csv_path = workdir / "model.json", workdir / "points.csv"
    if model_on_stdin:
        csv_path.write_bytes(csv)
        run = run_cli(["predict", "-", str(csv_path), *options], text)
    else:
        model_path.write_bytes(text)
        run = run_cli(["predict", str(model_path), "-", *options], csv)
    check_predict(run, kind, "--with-inputs" in options)


@settings(max_examples=_examples_of(6))
@given(data=st.data())
def test_installed_script_in_a_subprocess(data, workdir):
    """A handful of generated inputs through the real script: what the in-process runner
    could hide (an exit code set by the interpreter, output at exit, a traceback from
    sys.excepthook) shows here, and the in-process run must agree with it."""
    command = data.draw(st.sampled_from(MODELS), label="command")
    text = data.draw(st.one_of(csv_texts(command), point_sets(command), random_bytes), label="input")
    _count("script")
    args = [command, "-", "--json", "--quiet", "--max-iter", "20"]
    script, inprocess = run_script(args, text), run_cli(args, text)
    check_fit(script, command)
    assert script.code == inprocess.code and script.stderr == inprocess.stderr, \
        f"{script}\n{inprocess}"


# --- nothing lost: outputs that alias inputs, interrupted runs, streams ------------------


def _files(folder: Path) -> dict[str, bytes]:
    """Every regular file of a folder by name (symlinks as their target's content)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _no_temporary(run: Run, folder: Path) -> None:
    left = [p for p in os.listdir(folder) if p.startswith(".fitcli-")]
    assert not left, f"temporary files left: {left}\n{run}"


@contextlib.contextmanager
def _stdin_is(path: Path):
    """The file on descriptor 0 too, as `< FILE` makes it (fitcli compares its identity)."""
    saved = os.dup(0)
    with open(path, "rb") as fh:
        os.dup2(fh.fileno(), 0)
        try:
            yield
        finally:
            os.dup2(saved, 0)
            os.close(saved)


ALIASES = ["same", "dot", "symlink", "hardlink", "linked folder", "new", "new", "readonly",
           "empty", "other output"]


def _alias(folder: Path, kind: str, target: Path, other: Path, tag: int) -> str:
    """An output path of `kind` for the input `target` (and the run's other output)."""
    if kind == "same":
        return str(target)
    if kind == "dot":
        return str(folder / "." / target.name)
    if kind == "symlink":
        link = folder / f"link{tag}.csv"
        link.symlink_to(target.name)
        return str(link)
    if kind == "hardlink":
        os.link(target, folder / f"hard{tag}.csv")
        return str(folder / f"hard{tag}.csv")
    if kind == "linked folder":
        (folder / f"sub{tag}").symlink_to(".")
        return str(folder / f"sub{tag}" / target.name)
    if kind == "readonly":
        path = folder / f"readonly{tag}.out"
        path.write_text("mine\n")
        path.chmod(0o444)
        return str(path)
    if kind == "empty":
        return ""
    if kind == "other output":
        return str(other)
    return str(folder / f"new-{kind}.out")


@settings(max_examples=_examples_of(30))
@given(data=st.data())
def test_outputs_never_replace_an_input_or_each_other(data, tmp_path_factory):
    """Every output option of every command, pointed at an input (by its own name,
    through ./, a symlink, a hard link, a symlinked folder, the file behind standard
    input), at another output, at a read-only file, or at '': refused before any work
    with one error line (exit 2), every file as it was; otherwise the run as usual."""
    folder = tmp_path_factory.mktemp("alias")
    command = data.draw(st.sampled_from(["fit", "fit", "predict", "synth"]), label="command")
    points = folder / "points.csv"
    points.write_bytes(_scaled_points("ratio2d", 1.0))
    model = folder / "model.json"
    model.write_text(json.dumps({"format": "fitcli-model", "version": 1, "model": "ratio2d",
                                 "params": dict(zip("a b t1 c d t2".split(),
                                                    [1.0, 0.5, 0.2, 0.1, -0.2, 3.0]))}))
    flags = {"fit": ["-o", "--residuals"], "predict": ["-o", "--metrics"],
             "synth": ["-o", "--truth"]}[command]
    inputs = {"fit": [points], "predict": [model, points], "synth": []}[command]  # what it reads
    on_stdin = command != "synth" and data.draw(st.booleans(), label="input on stdin")
    kinds = [data.draw(st.sampled_from(ALIASES), label=f"{flag} is") for flag in flags]
    first = folder / "first.out"
    targets = inputs or [points]  # synth reads nothing: its outputs may replace any file
    paths = [_alias(folder, kinds[0], data.draw(st.sampled_from(targets)), first, 0)]
    paths.append(_alias(folder, kinds[1], data.draw(st.sampled_from(targets)),
                        Path(paths[0] or first), 1))
    source = "-" if on_stdin else str(points)
    args = {"fit": ["ratio2d", source, "--quiet"],
            "predict": ["predict", str(model), source, "--quiet"],
            "synth": ["synth", "ratio2d", "--n", "20", "--quiet"][:4]}[command]
    for flag, path in zip(flags, paths):
        args += [flag, path]
    _count("aliases")
    before = _files(folder)
    with _stdin_is(points) if on_stdin else contextlib.nullcontext():
        run = run_cli(args, points.read_bytes() if on_stdin else b"")
    after = _files(folder)
    for path in inputs:
        assert after[path.name] == before[path.name], f"an input was replaced\n{run}"
    _no_temporary(run, folder)
    for tag, kind in enumerate(kinds):
        if kind == "readonly":
            assert after[f"readonly{tag}.out"] == b"mine\n", run
    aliases = ("same", "dot", "symlink", "hardlink", "linked folder") if inputs else ()
    one_file = all(paths) and (os.path.realpath(paths[0]) == os.path.realpath(paths[1]) or (
        os.path.exists(paths[0]) and os.path.exists(paths[1])
        and os.path.samefile(paths[0], paths[1])))
    clash = any(k in (*aliases, "readonly", "empty") for k in kinds) or one_file
    if clash:
        assert run.code == 2, f"an output that clashes was not refused\n{run}"
        lines = _stderr_lines(run)
        assert len(lines) == 1 and lines[0].startswith("error: "), run
        assert set(after) == set(before), f"files written before the refusal\n{run}"
    else:
        assert run.code == 0, run


TRAPS = [  # (where, at which call): every stage of a fit, from reading to the last rename
    ("fitcli.io.snapshot:load", 1), ("fitcli.core.objective:Kernel.normal", 1),
    ("fitcli.core.objective:Kernel.normal", 2), ("fitcli.core.objective:Kernel.normal", 5),
    ("fitcli.core.objective:Kernel.normal", 12), ("fitcli.core.robust:_minimal_fit", 3),
    ("fitcli.core.robust:_minimal_fit", 200), ("fitcli.core.robust_fit:_least_squares_on", 2),
    ("fitcli.core.robust_fit:_check", 1), ("fitcli.core.fit:robust_kernel", 1),
    ("fitcli.report.record:build_report", 1), ("fitcli.report.record:_statistics", 1),
    ("fitcli.report.pointfile:write_residuals", 1), ("fitcli.io.csv_out:format_csv", 1),
    ("os:fsync", 1), ("os:fsync", 2), ("os:replace", 1), ("os:replace", 2),
    ("fitcli.report.console:write_json", 1),
]


@contextlib.contextmanager
def _signal_at(name: str, nth: int, sig: int):
    """Send `sig` to this process just before the nth call of `name`."""
    owner, attr = target(name)
    original, calls = getattr(owner, attr), [0]

    def trapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), sig)
        return original(*args, **kwargs)

    setattr(owner, attr, trapped)
    try:
        yield calls
    finally:
        setattr(owner, attr, original)


@settings(max_examples=_examples_of(30))
@given(data=st.data())
def test_an_interrupt_at_any_stage_saves_nothing(data, tmp_path_factory):
    """Ctrl-C or SIGTERM at any stage (reading, the start, RANSAC's draws and refits, a
    Huber or Cauchy fit and its check, the report, each file being written, the renames,
    the JSON): exit 130 or 143, every old file as it was and no temporary file left; or,
    once the files are being put in place, exit as usual with all of them new."""
    folder = tmp_path_factory.mktemp("interrupt")
    command = data.draw(st.sampled_from(["ratio2d", "project3d"]), label="command")
    method = data.draw(st.sampled_from(["none", "huber", "cauchy", "ransac"]), label="robust")
    where, nth = data.draw(st.sampled_from(TRAPS), label="trap")
    sig = data.draw(st.sampled_from([signal.SIGINT, signal.SIGTERM]), label="signal")
    from fitcli.core.synth import synthesize

    sample = synthesize(command, seed=data.draw(st.integers(0, 5), label="seed"), n=120,
                        outliers=0.2 if method != "none" else 0.0)
    points = folder / "points.csv"
    points.write_text(",".join(COLUMNS[command]) + "\n" + "\n".join(
        ",".join(map(repr, row)) for row in sample.table.tolist()) + "\n")
    (folder / "model.json").write_text("old model\n")
    (folder / "res.csv").write_text("old residuals\n")
    args = [command, str(points), "-o", folder / "model.json", "--residuals", folder / "res.csv",
            "--robust", method, *data.draw(st.sampled_from([[], ["--json"], ["--quiet"]]))]
    _count("interrupts")
    before = _files(folder)
    with _signal_at(where, nth, sig) as calls:
        run = run_cli(args)
    after = _files(folder)
    _no_temporary(run, folder)
    assert run.crash is None and "Traceback" not in run.stderr, run
    fired = calls[0] >= nth
    if run.code in (130, 143):
        assert fired and run.code == 128 + sig, run
        assert after == before, f"something was saved by an interrupted run\n{run}"
        assert _stderr_lines(run, f"{command}: iter "), run
    else:  # the trap never fired, or fired while the files were put in place
        assert run.code in (0, 4), (open("/tmp/s12/fail.txt", "w").write(run.stderr), run)[1]
        assert not fired or where in ("os:replace", "fitcli.report.console:write_json"), run
        if run.code == 0:
            assert after["model.json"] != before["model.json"], run
            assert after["res.csv"] != before["res.csv"], run


def _broken_pipe():
    read, write = os.pipe()
    os.close(read)
    stream = os.fdopen(write, "w")
    original = sys.stdout
    sys.stdout = stream
    try:
        yield
    finally:
        sys.stdout = original
        try:
            stream.close()
        except OSError:
            pass


def _replaced(name: str, make):
    @contextlib.contextmanager
    def streams():
        original = getattr(sys, name)
        setattr(sys, name, make())
        try:
            yield
        finally:
            replaced = getattr(sys, name)
            setattr(sys, name, original)
            if replaced is not None:
                try:
                    replaced.close()
                except OSError:
                    pass

    return streams


STREAMS = {
    "stdout closed": _replaced("stdout", lambda: None),
    "stdout broken pipe": contextlib.contextmanager(_broken_pipe),
    "stdout full": _replaced("stdout", lambda: open("/dev/full", "w")),
    "stdin closed": _replaced("stdin", lambda: None),
}


@settings(max_examples=_examples_of(30))
@given(data=st.data())
def test_streams_that_fail(data, tmp_path_factory):
    """Standard output closed, full or a broken pipe, standard input closed, under every
    command that uses them: a broken pipe ends quietly with 141; the others with one
    error line and exit 2; nothing is saved; a run that does not use the stream is not
    affected."""
    folder = tmp_path_factory.mktemp("streams")
    points = folder / "points.csv"
    points.write_bytes(_scaled_points("project3d", 1.0))
    model = folder / "model.json"
    run_cli(["project3d", str(points), "-o", model, "--quiet"])
    kind = data.draw(st.sampled_from(sorted(STREAMS)), label="stream")
    source = "-" if kind == "stdin closed" else str(points)
    out = folder / "out.json"
    args = data.draw(st.sampled_from([
        ["project3d", source, "--json"], ["project3d", source], ["project3d", source, "-o", out],
        ["project3d", source, "-o", "-", "--residuals", folder / "res.csv"],
        ["project3d", source, "--quiet", "-o", out],
        ["predict", model, source], ["predict", model, source, "-o", out, "--metrics", "-"],
        ["synth", "project3d", "--n", str(data.draw(st.sampled_from([5, 3000])))],
        ["synth", "project3d", "--n", "50", "-o", out, "--truth", "-"],
        ["gradcheck", "ratio2d", "--json"], ["gradcheck", "ratio2d", source],
        ["--version"], ["project3d", "--help"],
    ]), label="args")
    _count("streams")
    before = _files(folder)
    run = run_cli(args, streams=STREAMS[kind])
    after = _files(folder)
    _no_temporary(run, folder)
    assert run.crash is None and "Traceback" not in run.stderr, run
    lines = _stderr_lines(run, "project3d: iter ", "project3d model ", *BOX)
    if run.code == 141:  # quiet: what was said before stdout broke, and nothing about it
        assert kind == "stdout broken pipe" and "error: " not in run.stderr, run
    elif run.code == 2 and any(w in run.stderr for w in ("standard output", "standard input")):
        errors = [line for line in lines if line.startswith("error: ")]
        assert lines[-1].startswith("error: ") and len(errors) == 1, run
    else:  # the stream was not needed: the run as without the fault
        assert run.code in (0, 2, 4) and "standard " not in run.stderr, run
        return
    assert after == before, f"a run that failed on its stream saved a file\n{run}"


FIT_NUMBERS = {
    "--lr": ["0.01", "1e-300"], "--tol": ["1e-8", "0.5"], "--gtol": ["1e-8"], "--xtol": ["1e-8"],
    "--sigma": ["0.5", "1e-300", "1e300"], "--threshold": ["2", "1e300"],
    "--max-rms": ["1", "1e300"], "--min-inliers": ["0", "0.5", "1"],
    "--seed": ["0", "7", str(2**70)],
    "--max-iter": ["1", "5"],
}
SYNTH_NUMBERS = {
    "--n": ["1", "5", "2000"], "--noise": ["0", "0.5", "1e-300", "1e3"], "--seed": ["0", "3"],
    "--outliers": ["0", "0.5", "1"], "--focal": ["1e-9", "1500", "1e9"], "--width": ["1e-9", "640"],
    "--height": ["480"], "--distance": ["1e-9", "5", "1e9"], "--size": ["1e-9", "3", "1e9"],
    "--offset": ["-1e5", "0", "1e300"], "--gap": ["0", "3", "9.99", "10", "1e300"],
    "--scale": ["1e-300", "1", "1e300"],
}
GRADCHECK_NUMBERS = {"--n": ["1", "30"], "--seed": ["0", "9"], "--points": ["0", "2"],
                     "--tol": ["1e-6", "0.5"]}
OUT_OF_ANY_DOMAIN = ["nan", "-nan", "inf", "-inf", "NaN", "Infinity", "-1", "1e400", "", "x",
                     "0", "1", "-0", "10000000000000000000000"]


@settings(max_examples=_examples_of(60))
@given(data=st.data())
def test_every_numeric_option_has_a_domain_checked_before_any_work(data, workdir):
    """Each numeric option of the fits, synth and gradcheck, given a value in its domain
    or anything else (NaN, inf, negative, huge, 0, 1, text): the run as usual, or one
    error line naming the option (exit 2) before any work: no progress, no note, no file."""
    command = data.draw(st.sampled_from(["fit", "fit", "synth", "gradcheck"]), label="command")
    table = {"fit": FIT_NUMBERS, "synth": SYNTH_NUMBERS, "gradcheck": GRADCHECK_NUMBERS}[command]
    flag = data.draw(st.sampled_from(sorted(table)), label="flag")
    value = data.draw(st.sampled_from(table[flag] + OUT_OF_ANY_DOMAIN), label="value")
    kind = data.draw(st.sampled_from(MODELS if command != "fit" else ["ratio2d", "project3d"]),
                     label="kind")
    out = workdir / "domain.out"
    out.unlink(missing_ok=True)
    extra = data.draw(st.sampled_from([[], ["--robust", "ransac"], ["--optimizer", "gd"]]))
    if command == "fit":
        args = [kind, "-", "--json", "-o", out, flag, value, *extra]
        if flag == "--lr" and "--optimizer" not in extra:
            args += ["--optimizer", "gd", "--max-iter", "50"]
        if flag == "--min-inliers" and "--robust" not in extra:
            args += ["--threshold", "2"]
        stdin = _scaled_points(kind, 1.0)
    elif command == "synth":
        args, stdin = ["synth", kind, "-o", out, flag, value], b""
        if flag in ("--gap", "--scale") and kind != "linear-tanh" or \
                flag in ("--focal", "--width", "--height", "--distance", "--size", "--offset") \
                and kind == "linear-tanh":
            args[1] = "linear-tanh" if flag in ("--gap", "--scale") else "ratio2d"
    else:
        args, stdin = ["gradcheck", kind, "--json", flag, value], b""
    _count("domains")
    run = run_cli([str(a) for a in args], stdin)
    assert run.crash is None and "Traceback" not in run.stderr, run
    refused = run.code == 2 and "invalid value for" in run.stderr
    if refused:
        assert run.stderr.count("\n") == 1 and run.stdout == "", f"work before the refusal\n{run}"
        assert flag in run.stderr and not out.exists(), run
        return
    assert value not in ("nan", "-nan", "NaN", "inf", "-inf", "Infinity", "1e400", ""), \
        f"a non-finite or empty value was taken\n{run}"
    if command == "fit":
        check_fit(run, kind)
    elif command == "synth":
        assert run.code in (0, 2), run
        if run.code == 2:  # geometry no sample fits: said, after bounded attempts
            assert "the settings must let" in run.stderr and run.stderr.count("\n") == 1, run
    else:
        assert run.code in (0, 2, 3, 6), run

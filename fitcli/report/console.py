"""The only printer: results to stdout (rich table or JSON), progress and messages to stderr.

Rich honours NO_COLOR and never colours or animates what is not a terminal; progress is
animated only on a terminal without NO_COLOR, and is a plain throttled log line otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console

stderr = Console(stderr=True, soft_wrap=True, highlight=False)
LOG_EVERY_SECONDS = 1.0
REFRESH_SECONDS = 0.1


def one_line(message: str) -> str:
    """The message as one printable line: what a field or a file name brings in that a
    terminal would act on or hide (a line break, a carriage return, ESC, U+2028) is
    written as Python writes it in a string, e.g. \\r or \\x1b."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def error(message: str) -> None:
    stderr.print(f"error: {one_line(message)}", markup=False, highlight=False)


def note(message: str, quiet: bool = False) -> None:
    if not quiet:
        stderr.print(f"note: {one_line(message)}", markup=False, highlight=False)


def warn(message: str) -> None:
    stderr.print(f"warning: {one_line(message)}", markup=False, highlight=False)


def _animated() -> bool:
    return stderr.is_terminal and not stderr.is_dumb_terminal and "NO_COLOR" not in os.environ


def _progress_text(info, figures: Callable[[Any], dict]) -> str:
    parts = [f"iter {info.iteration:>5d}", f"loss {info.cost:.9g}"]
    parts += [f"{k} {v:.6g}" for k, v in figures(info).items()]
    return "  ".join(parts)


@contextmanager
def progress(label: str, quiet: bool, figures: Callable[[Any], dict]) -> Iterator[Callable]:
    """A callback for the fit loop: a transient rich status line on a terminal, else a
    log line to stderr at most once a second.  `figures(info)` adds the model's error
    measure; it is evaluated only when something is printed."""
    if quiet:
        yield lambda info: None
        return
    last = [0.0]
    if not _animated():

        def log(info):
            now = time.monotonic()
            if info.iteration == 1 or now - last[0] >= LOG_EVERY_SECONDS:
                last[0] = now
                stderr.print(f"{label}: {_progress_text(info, figures)}", markup=False)

        yield log
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=stderr, transient=True, redirect_stdout=False, redirect_stderr=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(info):
            now = time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:
                last[0] = now
                bar.update(task, description=f"{label}: {_progress_text(info, figures)}")

        yield update


def write_json(document: dict[str, Any]) -> None:
    """One JSON document on stdout; NaN/inf must already be None."""
    sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if value is None:
        return "-"
    return str(value)


def result_tables(document: dict[str, Any], figures: list[tuple[str, str]]):
    """Rich renderables: the parameters (and matrix) and the final figures."""
    from rich.table import Table

    params = Table(title=f"{document['model']}: fitted parameters", title_justify="left")
    params.add_column("parameter")
    params.add_column("value", justify="right")
    errors = document.get("standard_errors")
    if errors:
        params.add_column("std. error", justify="right")
    for name, value in document["params"].items():
        params.add_row(name, _fmt(value), *([_num(errors[name])] if errors else []))
    out = [params]
    if "matrix" in document:
        matrix = Table(title="matrix (" + document["normalization"] + ")", title_justify="left",
                       show_header=False)
        for row in document["matrix"]:
            matrix.add_row(*(_fmt(v) for v in row))
        out.append(matrix)
    summary = Table(title="fit", title_justify="left", show_header=False,
                    caption=document.get("message"), caption_justify="left")
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    for label, key in figures:
        if key in document:
            summary.add_row(label, _fmt(document[key]))
    out.append(summary)
    return out


def print_tables(renderables) -> None:
    console = Console(soft_wrap=True, highlight=False)
    for item in renderables:
        console.print(item)


def _num(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def figures_table(title: str, rows):
    """A rich table of (label, value) rows, values formatted as in the result tables."""
    return _pairs(title, [(label, _fmt(value)) for label, value in rows])


def print_stderr(renderables) -> None:
    """Tables for people on stderr, where stdout carries data (fitcli predict)."""
    for item in renderables:
        stderr.print(item)


def _pairs(title: str, rows) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in rows:
        table.add_row(label, value)
    return table


def diagnostic_tables(document: dict[str, Any]) -> list:
    """Rich renderables of the fit report: residuals and the noise test, correlations,
    the camera (project3d), outliers and quality gates, each where present."""
    out = []
    if "diagnostics" in document:
        out.append(_residual_table(document["diagnostics"]))
    if document.get("correlation"):
        out.append(_correlation_table(list(document["params"]), document["correlation"]))
    if "camera" in document:
        out += _camera_tables(document["camera"], document.get("behind_camera", {}))
    robust = document.get("robust", {})
    if robust.get("method", "none") != "none" or robust.get("threshold"):
        out.append(_robust_table(robust))
    if document.get("gates"):
        out.append(_gates_table(document["gates"]))
    return out


def _residual_table(d: dict[str, Any]):
    counted = f"{d['n']} ({d['points']})"
    rows = [("points counted", counted), ("degrees of freedom", str(d["dof"])),
            ("sum of squares", _num(d["sum_squares"], 7)), ("RMS point error", _num(d["rms"], 6))]
    if "rms_coordinate" in d:
        rows.append(("RMS per coordinate", _num(d["rms_coordinate"], 6)))
    if "rms_all" in d:
        rows.append(("RMS point error, all points", _num(d["rms_all"], 6)))
    rows += [("median point error", _num(d["median_error"], 6)),
             ("max point error", _num(d["max_error"], 6)),
             ("sigma estimated, sqrt(SS / dof)", _num(d["sigma_estimate"], 6)),
             ("sigma for the standard errors", f"{_num(d['sigma'], 6)}, " + (
                 "given by --sigma" if d["sigma_source"] == "given" else d["sigma_source"]))]
    test = d.get("noise_test")
    if test:
        rows += [("expected RMS at the optimum", _num(test["expected_rms"], 6)),
                 ("chi-square, SS / sigma^2", f"{_num(test['chi2'], 6)} on {test['dof']} dof"),
                 ("p-value, P(chi2 >= observed)", _num(test["p_value"], 4)),
                 ("verdict", test["verdict"])]
    return _pairs("residuals", rows)


def _correlation_table(names: list[str], corr: list[list]):
    from rich import box
    from rich.table import Table

    table = Table(title="correlation of the parameters (lower triangle)", title_justify="left",
                  box=box.SIMPLE, padding=(0, 0, 0, 1))
    table.add_column("")
    for name in names:
        table.add_column(name, justify="right")
    for i, (name, row) in enumerate(zip(names, corr)):
        table.add_row(name, *(_corr(v) for v in row[:i]), "1" if row[i] is not None else "-")
    return table


def _corr(value: float | None) -> str:
    """Two decimals without the leading zero: +.59, -.06, +1.0 (fits 12 columns in 80)."""
    if value is None:
        return "-"
    text = f"{value:+.2f}"
    return text.replace("0.", ".", 1) if abs(value) < 0.995 else f"{value:+.1f}"


CAMERA_ROWS = [("fx", "focal length x (px)"), ("fy", "focal length y (px)"), ("skew", "skew (px)"),
               ("cx", "principal point x (px)"), ("cy", "principal point y (px)"),
               ("rx", "rotation rx (deg)"), ("ry", "rotation ry (deg)"), ("rz", "rotation rz (deg)"),
               ("Cx", "camera centre X"), ("Cy", "camera centre Y"), ("Cz", "camera centre Z")]


def _camera_tables(camera: dict[str, Any], behind: dict[str, Any]):
    from rich.table import Table

    table = Table(title="camera: M = K [R | -R C]; " + camera["angles"], title_justify="left")
    for name, justify in (("figure", "left"), ("value", "right"), ("std. error", "right")):
        table.add_column(name, justify=justify)
    for key, label in CAMERA_ROWS:
        table.add_row(label, _num(camera["figures"][key], 10), _num(camera["standard_errors"][key]))
    R = Table(title=f"R (world to camera, {camera['handedness']}-handed)", title_justify="left",
              show_header=False)
    for row in camera["R"]:
        R.add_row(*(f"{v:+.8f}" for v in row))
    count = behind.get("count", 0)
    return [table, R, _pairs("depth", [("points behind the camera", str(count))])]


def _robust_table(robust: dict[str, Any]):
    rows = [("method", robust["method"]), ("threshold", _num(robust.get("threshold"), 6)),
            ("loss minimised", robust["loss"])]
    if "trials" in robust:
        rows += [("RANSAC seed", str(robust["seed"])), ("RANSAC draws", str(robust["trials"])),
                 ("refits on the inliers", str(robust["refits"]))]
    if "n_inliers" in robust:
        share = robust["n_inliers"] / robust["n_points"]
        rows.append(("inliers", f"{robust['n_inliers']} of {robust['n_points']} ({100 * share:.1f}%)"))
        key = next(k for k in robust if k.startswith("outlier_"))
        rows.append((f"outliers ({key[8:]})", listing(robust[key]) or "none"))
    return _pairs("outliers", rows)


def listing(numbers: list[int], limit: int = 20) -> str:
    """'3, 8, 12, ... (40 more)': the first `limit` numbers of a list."""
    text = ", ".join(map(str, numbers[:limit]))
    return text + (f", ... ({len(numbers) - limit} more)" if len(numbers) > limit else "")


def _gates_table(gates: list[dict[str, Any]]):
    from rich.table import Table

    table = Table(title="quality gates", title_justify="left")
    for name in ("gate", "limit", "value", "result"):
        table.add_column(name)
    for g in gates:
        table.add_row(g["gate"], _num(g["limit"], 6), _num(g["value"], 6),
                      "passed" if g["passed"] else "FAILED")
    return table

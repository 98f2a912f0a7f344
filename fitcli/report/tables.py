"""The report for people: a rendering of the report record (report.record.Report) as
blocks (report.layout) that report.console lays out for the terminal's width; also a
gradient check's and predict's figures.

A fit's report leads with its answer (a model section's, e.g. the camera; otherwise the
parameters), then the fit's quality (status, RMS, noise), then the model's matrix and
the rest; the per-parameter table, the correlations, the residual figures and the
optimizer's details come with --verbose.  The JSON (report.document) keeps everything.
"""

from __future__ import annotations

from typing import Any

from ..core.result import plain
from .console import speak
from .formats import listing, number, seconds, with_error  # noqa: F401  (listing: record)
from .layout import Grid, Pairs, Text
from .sections import render

SUMMARY = [
    ("status", "status"), ("points", "n_points"),
    ("loss (mean per point)", "loss"), ("RMS error", "rmse"), ("accuracy", "accuracy"),
    ("z scale", "z_scale"), ("optimizer", "optimizer"), ("iterations", "iterations"),
    ("passes over the data", "evaluations"), ("passes of the start", "start_passes"),
    ("seconds", "seconds"),
]
MATRICES = {  # model -> (title, row names, column names, caption)
    "project3d": ("camera matrix M: u = nx / nz, v = ny / nz", ("nx", "ny", "nz"),
                  ("X", "Y", "Z", "1"),
                  "(nx, ny, nz) = M (X, Y, Z, 1).  M is scaled so that (i, j, k), the first "
                  "three entries of its last row, has length 1, and so that nz, the depth, is "
                  "positive for most points."),
    "ratio2d": ("the map: ratio = numerator / denominator", ("numerator", "denominator"),
                ("x", "y", "1"),
                "Each is its row times (x, y, 1).  The matrix is scaled to length 1, with a "
                "positive denominator for most points."),
}
PARAMETERS = {  # model -> what its parameters are
    "project3d": "the 12 entries of M, row by row: (a b c t1), (e f g t2), (i j k t3)",
    "ratio2d": "the map: ratio = (a x + b y + t1) / (c x + d y + t2)",
}
GRADCHECK_FORMS = {
    "cost_grad": "kernel gradient (gd, momentum, adam)",
    "normal": "kernel Gauss-Newton pass (lm)",
    "jacobian": "2 J^T r / n from residuals() and jacobian()",
}


def pairs(title: str, rows, caption: str | None = None) -> Pairs:
    """A key/value block of (label, text) rows."""
    return Pairs(title, tuple(tuple(r) for r in rows), caption=caption)


def figures_table(title: str, rows) -> Pairs:
    """(label, value) rows, values in the one number format."""
    return pairs(title, [(label, number(value)) for label, value in rows])


def report_tables(report, verbose: bool = False) -> list:
    """The blocks of a fit's report in reading order (see the module's docstring)."""
    rendered = [render(report, s) for s in report.sections]
    answer = [b for r in rendered for b in r.answer]
    detail, names = [b for r in rendered for b in r.detail], [n for r in rendered for n in r.detail_names]
    params = _parameters(report)
    matrix = _matrix(report)
    out = [_headline(report)]
    if answer:
        out += [*answer, _quality(report), *matrix]
        detail.insert(0, params)
    else:  # the parameters are the answer (ratio2d); the matrix repeats them
        out += [params, _quality(report)]
        detail = matrix + detail
    out += [b for r in rendered for b in r.more]
    robust = report.robust
    if robust.get("method", "none") != "none" or robust.get("threshold"):
        out.append(_robust_table(robust))
    if report.gates:
        out.append(_gates_table(report.gates))
    extra = [_summary(report), _residual_table(report.diagnostics.figures)]
    if report.diagnostics.correlation is not None:
        extra.append(_correlation_table(report.result.param_names, report.diagnostics.correlation))
    if verbose:
        return out + detail + extra
    shown = not answer  # the parameters already stand in the report (ratio2d)
    names = ["the correlations of the parameters" if shown else
             "the parameters with their standard errors and correlations",
             *(["the matrix"] if shown and matrix else []), *names,
             "the residual figures", "the optimizer's figures"]
    return out + [Text(f"--verbose adds {', '.join(names)}; --json has all of it", "dim")]


def _headline(report) -> Text:
    result = report.result
    return Text(f"{result.model} fit of {report.source}: {result.n_points} points", "bold")


def _parameters(report) -> Grid:
    result, errors = report.result, report.diagnostics.standard_errors
    header = ("parameter", "value") + (("std. error",) if errors is not None else ())
    rows = tuple((name, number(value), *([number(errors[j], 4)] if errors is not None else []))
                 for j, (name, value) in enumerate(zip(result.param_names, result.params)))
    what = PARAMETERS.get(result.model, "fitted parameters")
    return Grid(f"{result.model}: {what}", header, rows)


def _matrix(report) -> list:
    extra = report.result.extra
    if "matrix" not in extra:
        return []
    matrix = plain(extra["matrix"])
    default = (f"matrix ({extra.get('normalization', '')})", [f"row {i + 1}" for i in range(len(matrix))],
               [str(j + 1) for j in range(len(matrix[0]))], None)
    title, rows, columns, caption = MATRICES.get(report.model.name, default)
    return [Grid(title, ("", *columns), tuple((name, *(number(v) for v in row))
                                               for name, row in zip(rows, matrix)), caption=caption)]


def _quality(report) -> Pairs:
    """How good the fit is: its status, the points counted, the RMS and the noise."""
    result, d = report.result, report.diagnostics.figures
    rows = [("status", speak(result.message))]
    if report.inlier is not None:
        rows.append(("points", f"{result.n_points}, of which {int(report.inlier.sum())} inliers "
                               f"(error <= {number(report.robust.get('threshold'), 6)})"))
    if report.model.measured:
        rows.append(("RMS point error", number(d["rms"], 6) + (
            "" if d["points"] == "all points" else " (inliers)")))
        rows.append(("noise", _noise(d)))
    else:
        rows.append(("loss (mean per point)", number(result.cost, 6)))
    return Pairs("fit", tuple(rows))


def _noise(d: dict[str, Any]) -> str:
    test = d.get("noise_test")
    if test:
        return f"{test['verdict']} (p = {number(test['p_value'], 3)}, sigma {number(d['sigma'], 6)} given)"
    return f"sigma = {number(d['sigma_estimate'], 6)}, estimated; --sigma S tests a known noise"


def _summary(report) -> Pairs:
    result = report.result
    figures = {"status": result.status.value, "n_points": result.n_points, "loss": result.cost,
               "optimizer": result.optimizer, "iterations": result.n_iter,
               "evaluations": result.n_eval, **result.extra}
    rows = [(label, number(figures[key])) for label, key in SUMMARY if key in figures]
    rows.append(("seconds", seconds(result.seconds)))
    return pairs("optimizer", rows)


def _residual_table(d: dict[str, Any]) -> Pairs:
    rows = [("points counted", f"{d['n']} ({d['points']})"), ("degrees of freedom", str(d["dof"])),
            ("sum of squares", number(d["sum_squares"], 7)), ("RMS point error", number(d["rms"], 6))]
    if "rms_coordinate" in d:
        rows.append(("RMS per coordinate", number(d["rms_coordinate"], 6)))
    if "rms_all" in d:
        rows.append(("RMS point error, all points", number(d["rms_all"], 6)))
    rows += [("median point error", number(d["median_error"], 6)),
             ("max point error", number(d["max_error"], 6)),
             ("sigma estimated, sqrt(SS / dof)", number(d["sigma_estimate"], 6)),
             ("sigma for the standard errors", f"{number(d['sigma'], 6)}, " + (
                 speak("given by `sigma`") if d["sigma_source"] == "given" else d["sigma_source"]))]
    test = d.get("noise_test")
    if test:
        rows += [("expected RMS at the optimum", number(test["expected_rms"], 6)),
                 ("chi-square, SS / sigma^2", f"{number(test['chi2'], 6)} on {test['dof']} dof"),
                 ("p-value, P(chi2 >= observed)", number(test["p_value"], 4)),
                 ("verdict", test["verdict"])]
    return pairs("residuals", rows)


def _correlation_table(names, corr) -> Grid:
    corr = plain(corr)
    rows = tuple((name, *(_corr(v) for v in row[:i]), "1" if row[i] is not None else "-",
                  *([""] * (len(names) - i - 1))) for i, (name, row) in enumerate(zip(names, corr)))
    return Grid("correlation of the parameters (lower triangle)", ("", *names), rows, simple=True)


def _corr(value: float | None) -> str:
    """Two decimals without the leading zero: +.59, -.06, +1.0 (fits 12 columns in 80)."""
    if value is None:
        return "-"
    text = f"{value:+.2f}"
    return text.replace("0.", ".", 1) if abs(value) < 0.995 else f"{value:+.1f}"


def _robust_table(robust: dict[str, Any]) -> Pairs:
    threshold = number(robust.get("threshold"), 6)
    if "sigma_estimate" in robust:  # the threshold is 3 x this robust estimate of the noise
        sigma = number(robust["sigma_estimate"], 6)
        threshold += f", estimated: 3 x sigma {sigma} (least median of squares)"
    rows = [("method", robust["method"]), ("threshold", threshold), ("loss minimised", robust["loss"])]
    if "trials" in robust:
        rows += [("RANSAC seed", str(robust["seed"])), ("RANSAC draws", str(robust["trials"]))]
    if "refits" in robust:
        rows.append(("refits on the inliers", str(robust["refits"])))
    if robust.get("check"):
        rows.append(("check", ("passed: " if robust["check"]["passed"] else "FAILED: ")
                     + robust["check"]["text"]))
    if "n_inliers" in robust:
        share = robust["n_inliers"] / robust["n_points"]
        rows.append(("inliers", f"{robust['n_inliers']} of {robust['n_points']} ({100 * share:.1f}%)"))
        key = next(k for k in robust if k.startswith("outlier_"))
        rows.append((f"outliers ({key[8:]})", listing(robust[key]) or "none"))
    return pairs("outliers", rows)


def _gates_table(gates) -> Grid:
    return Grid("quality gates", ("gate", "limit", "value", "result"),
                tuple((g.gate, number(g.limit, 6), number(g.value, 6), "passed" if g.passed else "FAILED")
                      for g in gates), justify=("left",) * 4)


def gradcheck_tables(result, source: str) -> list:
    """The per-parameter table of a gradient check and the summary of its three forms."""
    start, tol, randoms = result.points[0], result.tol, len(result.points) - 1
    note = speak("* above `tol`, but within the finite differences' own error (e.g. a "
                 "gradient that vanishes where the start fits the data)") if result.excused() else None
    worst_random = result.worst(start=1) if randoms else None
    failed, rows = set(result.failed()), []
    for j, name in enumerate(result.param_names):
        worst_all = max(float(result.worst(f)[j]) for f in GRADCHECK_FORMS)
        verdict = "FAIL" if name in failed else ("ok*" if worst_all > tol else "ok")
        rows.append((name, number(start.analytic["cost_grad"][j], 7), number(start.numeric[j], 7),
                     number(start.rel_errors("cost_grad")[j], 1, "e"),
                     "-" if worst_random is None else number(worst_random[j], 1, "e"), verdict))
    names = ("parameter", "analytic", "numeric", "rel. error", "random", "result")
    main = Grid(f"{result.model}: gradient of the mean loss at the start point (random: the worst "
                f"relative error at {randoms} random points); data {source}; coordinates "
                f"{result.coordinates}", names, tuple(rows), caption=note,
                justify=tuple("left" if n in ("parameter", "result") else "right" for n in names))
    summary = [(GRADCHECK_FORMS[f], number(result.worst_counted(f), 1, "e")) for f in GRADCHECK_FORMS]
    summary.append(("result", "FAILED: " + ", ".join(result.failed()) if failed else "passed"))
    return [main, pairs(speak(f"largest relative error, all points (`tol` {tol:g})"), summary)]

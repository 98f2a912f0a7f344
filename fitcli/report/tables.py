"""The report as rich tables: renderings of the report record (report.record.Report), of
a gradient check and of predict's error measures.  Tables are built here and printed by
report.console."""

from __future__ import annotations

from typing import Any

from ..core.result import plain
from .console import speak

SUMMARY = [
    ("status", "status"), ("points", "n_points"),
    ("loss (mean per point)", "loss"), ("RMS error", "rmse"), ("accuracy", "accuracy"),
    ("z scale", "z_scale"), ("optimizer", "optimizer"), ("iterations", "iterations"),
    ("passes over the data", "evaluations"), ("passes of the start", "start_passes"),
    ("seconds", "seconds"),
]
CAMERA_ROWS = [("fx", "focal length x (px)"), ("fy", "focal length y (px)"), ("skew", "skew (px)"),
               ("cx", "principal point x (px)"), ("cy", "principal point y (px)"),
               ("rx", "rotation rx (deg)"), ("ry", "rotation ry (deg)"), ("rz", "rotation rz (deg)"),
               ("Cx", "camera centre X"), ("Cy", "camera centre Y"), ("Cz", "camera centre Z")]
GRADCHECK_FORMS = {
    "cost_grad": "kernel gradient (gd, momentum, adam)",
    "normal": "kernel Gauss-Newton pass (lm)",
    "jacobian": "2 J^T r / n from residuals() and jacobian()",
}


def number(value: Any, digits: int = 10, style: str = "g") -> str:
    """The one number format: `digits` significant digits (style "g") or a mantissa of
    `digits` decimals ("e"); "-" for what is missing or not finite."""
    value = plain(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}{style}}"
    return str(value)


def listing(numbers: list[int], limit: int = 20) -> str:
    """'3, 8, 12, ... (40 more)': the first `limit` numbers of a list."""
    text = ", ".join(map(str, numbers[:limit]))
    return text + (f", ... ({len(numbers) - limit} more)" if len(numbers) > limit else "")


def _table(title: str, columns=(), caption: str | None = None, **options):
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left",
                  show_header=bool(columns), **options)
    for name, justify in columns:
        table.add_column(name, justify=justify)
    return table


def pairs(title: str, rows, caption: str | None = None) -> Any:
    """A table of (label, text) rows: the label bold, the text right-aligned."""
    table = _table(title, caption=caption)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in rows:
        table.add_row(label, value)
    return table


def figures_table(title: str, rows) -> Any:
    """(label, value) rows, values in the one number format."""
    return pairs(title, [(label, number(value)) for label, value in rows])


def report_tables(report) -> list:
    """The tables of a fit's report, in reading order."""
    out = _result_tables(report)
    out.append(_residual_table(report.diagnostics.figures))
    if report.diagnostics.correlation is not None:
        out.append(_correlation_table(report.result.param_names, report.diagnostics.correlation))
    camera = report.section("camera")
    if camera is not None and camera.content["K"] is not None:  # null: not decomposable
        out += _camera_tables(camera.content, len(report.behind or []))
    robust = report.robust
    if robust.get("method", "none") != "none" or robust.get("threshold"):
        out.append(_robust_table(robust))
    if report.gates:
        out.append(_gates_table(report.gates))
    classification = report.section("classification")
    if classification is not None:
        out += classification_tables(classification.content)
    return out


def _result_tables(report) -> list:
    result, errors = report.result, report.diagnostics.standard_errors
    params = _table(f"{result.model}: fitted parameters",
                    [("parameter", "left"), ("value", "right")]
                    + ([("std. error", "right")] if errors is not None else []))
    for j, (name, value) in enumerate(zip(result.param_names, result.params)):
        params.add_row(name, number(value), *([number(errors[j], 4)] if errors is not None else []))
    out = [params]
    extra = result.extra
    if "matrix" in extra:
        matrix = _table(f"matrix ({extra['normalization']})")
        for row in extra["matrix"]:
            matrix.add_row(*(number(v) for v in row))
        out.append(matrix)
    figures = {"status": result.status.value, "n_points": result.n_points, "loss": result.cost,
               "optimizer": result.optimizer, "iterations": result.n_iter,
               "evaluations": result.n_eval, "seconds": result.seconds, **extra}
    summary = pairs("fit", [(label, number(figures[key])) for label, key in SUMMARY
                            if key in figures], caption=speak(result.message))
    out.append(summary)
    return out


def _residual_table(d: dict[str, Any]):
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


def _correlation_table(names, corr):
    from rich import box

    table = _table("correlation of the parameters (lower triangle)", [("", "left")]
                   + [(name, "right") for name in names], box=box.SIMPLE, padding=(0, 0, 0, 1))
    corr = plain(corr)
    for i, (name, row) in enumerate(zip(names, corr)):
        table.add_row(name, *(_corr(v) for v in row[:i]), "1" if row[i] is not None else "-")
    return table


def _corr(value: float | None) -> str:
    """Two decimals without the leading zero: +.59, -.06, +1.0 (fits 12 columns in 80)."""
    if value is None:
        return "-"
    text = f"{value:+.2f}"
    return text.replace("0.", ".", 1) if abs(value) < 0.995 else f"{value:+.1f}"


def _camera_tables(camera: dict[str, Any], behind: int):
    table = _table("camera: M = K [R | -R C]; " + camera["angles"],
                   [("figure", "left"), ("value", "right"), ("std. error", "right")])
    for key, label in CAMERA_ROWS:
        table.add_row(label, number(camera["figures"][key]),
                      number(camera["standard_errors"][key], 4))
    R = _table(f"R (world to camera, {camera['handedness']}-handed)")
    for row in camera["R"]:
        R.add_row(*(f"{v:+.8f}" for v in row))
    return [table, R, pairs("depth", [("points behind the camera", str(behind))])]


def _robust_table(robust: dict[str, Any]):
    rows = [("method", robust["method"]), ("threshold", number(robust.get("threshold"), 6)),
            ("loss minimised", robust["loss"])]
    if "sigma_estimate" in robust:  # the threshold is 3 x this robust estimate of the noise
        rows.append(("sigma estimated robustly", number(robust["sigma_estimate"], 6)))
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


def _gates_table(gates) -> Any:
    table = _table("quality gates", [(name, "left") for name in ("gate", "limit", "value", "result")])
    for g in gates:
        table.add_row(g.gate, number(g.limit, 6), number(g.value, 6), "passed" if g.passed else "FAILED")
    return table


def classification_tables(c: dict[str, Any]) -> list:
    """linear-tanh: the summary, the confusion matrix and the first misclassified rows."""
    summary = _table("classification")
    summary.add_column(style="bold")
    summary.add_column()
    for label, text in _classification_rows(c):
        summary.add_row(label, text)
    return [summary, _confusion_table(c), *_misclassified_table(c)]


def _classification_rows(c: dict[str, Any]) -> list[tuple[str, str]]:
    pos, neg = c["labels"]["positive"], c["labels"]["negative"]
    n = c["n_correct"] + c["n_misclassified"]
    rows = [
        ("model", _separator_text(c)),
        ("line", _line_text(c["line"])),
        ("labels", f"+1 = {pos}, -1 = {neg}"),
        ("z units", _units_text(c)),
        ("accuracy", f"{c['accuracy']:.6g} ({c['n_correct']} of {n})"),
        ("larger class alone", f"{c['baseline_accuracy']:.6g} (accuracy of always predicting it)"),
        ("precision, recall of +1", f"{number(c['precision'], 6)}, {number(c['recall'], 6)}"),
        ("min margin", f"{number(c['min_margin'], 6)} (nearest correct point, along y)"),
        ("min distance", f"{number(c['min_distance'], 6)} (nearest correct point, perpendicular)"),
    ]
    if c["log_loss"] is not None:
        rows.append(("log-loss", f"{c['log_loss']:.10g} (mean -log P(label))"))
    if c["vertical"]:
        v = c["vertical"]
        loss = "inf" if plain(v["loss"]) is None else number(v["loss"], 6)  # cross-entropy, a point wrong
        rows.append(("vertical limit", f"x = {number(v['x'], 6)}, +1 to the {v['positive_side']}, "
                                       f"loss {loss}"))
    return rows


def _separator_text(c) -> str:
    z = "k x + b - y" if c["form"] == "tutorial" else "w1 x + w2 y + w0"
    return f"{c['activation']}, {c['loss_function']} loss, {c['form']} form: z = {z}"


def _line_text(line: dict[str, Any]) -> str:
    if line["k"] is None:
        return f"x = {number(line.get('x'), 6)} (vertical), +1 to the {line['positive_side']}"
    return f"y = {line['k']:.8g} x + {line['b']:.8g}, +1 {line['positive_side']} it"


def _units_text(c) -> str:
    if c["form"] == "general":
        return "learned (w sets the scale of z)"
    return f"std(y) = {c['z_scale']:.6g} (standardised)" if c["standardized"] else "y's units"


def _confusion_table(c):
    pos, neg = c["labels"]["positive"], c["labels"]["negative"]
    table = _table("confusion matrix (rows: true class)",
                   [("", "left"), (f"predicted +1 ({pos})", "right"), (f"predicted -1 ({neg})", "right")])
    (tp, fn), (fp, tn) = c["confusion"]
    table.add_row(f"true +1 ({pos})", str(tp), str(fn))
    table.add_row(f"true -1 ({neg})", str(fp), str(tn))
    return table


def _misclassified_table(c) -> list:
    rows = c["misclassified"]
    if not rows:
        return []
    key = "line" if "line" in rows[0] else "row"
    shown = f"first {len(rows)} of {c['n_misclassified']}" if len(rows) < c["n_misclassified"] else "all"
    table = _table(speak(f"misclassified points ({shown}; every point: `residuals` FILE)"),
                   [(name, "left" if name == "label" else "right")
                    for name in (key, "x", "y", "label", "z", "margin")])
    for r in rows:
        table.add_row(str(r[key]), *(number(r[k], 6) for k in ("x", "y")), str(r["label"]),
                      *(number(r[k], 6) for k in ("z", "margin")))
    return [table]


def gradcheck_tables(result, source: str) -> list:
    """The per-parameter table of a gradient check and the summary of its three forms."""
    start, tol, randoms = result.points[0], result.tol, len(result.points) - 1
    note = speak("* above `tol`, but within the finite differences' own error (e.g. a "
                 "gradient that vanishes where the start fits the data)") if result.excused() else None
    main = _table(f"{result.model}: gradient of the mean loss at the start point (random: "
                  f"the worst relative error at {randoms} random points); data {source}; "
                  f"coordinates {result.coordinates}",
                  [(name, "left" if name in ("parameter", "result") else "right")
                   for name in ("parameter", "analytic", "numeric", "rel. error", "random", "result")],
                  caption=note)
    worst_random = result.worst(start=1) if randoms else None
    failed = set(result.failed())
    for j, name in enumerate(result.param_names):
        worst_all = max(float(result.worst(f)[j]) for f in GRADCHECK_FORMS)
        verdict = "FAIL" if name in failed else ("ok*" if worst_all > tol else "ok")
        main.add_row(name, number(start.analytic["cost_grad"][j], 7), number(start.numeric[j], 7),
                     number(start.rel_errors("cost_grad")[j], 1, "e"),
                     "-" if worst_random is None else number(worst_random[j], 1, "e"), verdict)
    rows = [(GRADCHECK_FORMS[f], number(result.worst_counted(f), 1, "e")) for f in GRADCHECK_FORMS]
    rows.append(("result", "FAILED: " + ", ".join(result.failed()) if failed else "passed"))
    return [main, pairs(speak(f"largest relative error, all points (`tol` {tol:g})"), rows)]

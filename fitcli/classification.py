"""linear-tanh's classification report in the shell: the "classification" section of the
output (tables and JSON), and the per-point CSV of --residuals.

The numbers come from fitcli.core.classify; this module names rows by their input line
and labels as the input wrote them.
"""

from __future__ import annotations

from typing import Any

from .modelfile import write_atomic

RESIDUAL_COLUMNS = ("z", "activation", "predicted", "correct", "margin", "distance", "loss")


def add_classification(document: dict[str, Any], model, result, data, table,
                       residuals: str | None = None) -> None:
    """Put the report under document["classification"]; write the residual file if asked.

    Args:
        model: the fitted LinearTanh variant; result: its FitResult; data: (x, y, l).
        table: the data.Table the points came from (label names, line numbers).
        residuals: path of the per-point CSV, or None.
    """
    from .core.classify import report
    from .core.models.labels import label_classes

    names = label_classes(table.column("label"), table.levels.get("label"), model.positive)[1]
    z_scale = result.extra.get("z_scale", 1.0)
    section = report(model, result.params, data, result.cost, z_scale)
    lines = table.line_numbers()
    for row in section["misclassified"]:
        if lines is not None:
            row["line"] = int(lines[row["row"] - 1])
        row["label"] = names.positive if row["label"] > 0 else names.negative
    section["labels"] = {"positive": names.positive, "negative": names.negative}
    section["rows_are"] = "input lines" if lines is not None else "data rows (1-based)"
    section["z_scale"] = z_scale
    document["classification"] = section
    if residuals:
        write_atomic(residuals, residual_csv(model, result.params, data, z_scale, lines, names))


def residual_csv(model, params, data, z_scale, lines, names) -> str:
    """One row per point: line (or row), x, y, label, then RESIDUAL_COLUMNS."""
    import numpy as np

    from .core.classify import point_columns

    cols = point_columns(model, params, data, z_scale)
    x, y, l = data
    where = lines if lines is not None else np.arange(1, len(x) + 1)
    name = {1.0: names.positive, -1.0: names.negative}
    out = [",".join(("line" if lines is not None else "row", "x", "y", "label", *RESIDUAL_COLUMNS))]
    numbers = [cols[c].tolist() for c in ("z", "activation", "margin", "distance", "loss")]
    for i, (li, xi, yi, lab, pred, ok) in enumerate(zip(
            where.tolist(), x.tolist(), y.tolist(), l.tolist(), cols["predicted"].tolist(),
            cols["correct"].tolist())):
        z, act, margin, dist, loss = (v[i] for v in numbers)
        out.append(f"{li},{xi!r},{yi!r},{_csv(name[lab])},{z!r},{act!r},{_csv(name[pred])},"
                   f"{int(ok)},{margin!r},{dist!r},{loss!r}")
    return "\n".join(out) + "\n"


def _csv(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ',"\n') else text


def classification_tables(document: dict[str, Any]) -> list:
    """Rich tables: the summary, the confusion matrix and the first misclassified rows."""
    from rich.table import Table

    c = document["classification"]
    summary = Table(title="classification", title_justify="left", show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    for label, text in _summary_rows(c):
        summary.add_row(label, text)
    return [summary, _confusion_table(c), *_misclassified_table(c)]


def _summary_rows(c: dict[str, Any]) -> list[tuple[str, str]]:
    pos, neg = c["labels"]["positive"], c["labels"]["negative"]
    n = c["n_correct"] + c["n_misclassified"]
    rows = [
        ("model", _model_text(c)),
        ("line", _line_text(c["line"])),
        ("labels", f"+1 = {pos}, -1 = {neg}"),
        ("z units", _units_text(c)),
        ("accuracy", f"{c['accuracy']:.6g} ({c['n_correct']} of {n})"),
        ("larger class alone", f"{c['baseline_accuracy']:.6g} (accuracy of always predicting it)"),
        ("precision, recall of +1", f"{_num(c['precision'])}, {_num(c['recall'])}"),
        ("min margin", f"{_num(c['min_margin'])} (nearest correct point, along y)"),
        ("min distance", f"{_num(c['min_distance'])} (nearest correct point, perpendicular)"),
    ]
    if c["log_loss"] is not None:
        rows.append(("log-loss", f"{c['log_loss']:.10g} (mean -log P(label))"))
    if c["vertical"]:
        v = c["vertical"]
        rows.append(("vertical limit", f"x = {v['x']:.6g}, +1 to the {v['positive_side']}, "
                                       f"loss {v['loss']:.6g}"))
    return rows


def _model_text(c) -> str:
    z = "k x + b - y" if c["form"] == "tutorial" else "w1 x + w2 y + w0"
    return f"{c['activation']}, {c['loss_function']} loss, {c['form']} form: z = {z}"


def _line_text(line: dict[str, Any]) -> str:
    if line["k"] is None:
        return f"x = {_num(line.get('x'))} (vertical), +1 to the {line['positive_side']}"
    return f"y = {line['k']:.8g} x + {line['b']:.8g}, +1 {line['positive_side']} it"


def _units_text(c) -> str:
    if c["form"] == "general":
        return "learned (w sets the scale of z)"
    s = c["z_scale"]
    return f"std(y) = {s:.6g} (standardised)" if c.get("z_scale") != 1.0 else "y's units"


def _confusion_table(c):
    from rich.table import Table

    pos, neg = c["labels"]["positive"], c["labels"]["negative"]
    table = Table(title="confusion matrix (rows: true class)", title_justify="left")
    table.add_column("")
    table.add_column(f"predicted +1 ({pos})", justify="right")
    table.add_column(f"predicted -1 ({neg})", justify="right")
    (tp, fn), (fp, tn) = c["confusion"]
    table.add_row(f"true +1 ({pos})", str(tp), str(fn))
    table.add_row(f"true -1 ({neg})", str(fp), str(tn))
    return table


def _misclassified_table(c) -> list:
    from rich.table import Table

    rows = c["misclassified"]
    if not rows:
        return []
    key = "line" if "line" in rows[0] else "row"
    shown = f"first {len(rows)} of {c['n_misclassified']}" if len(rows) < c["n_misclassified"] else "all"
    table = Table(title=f"misclassified points ({shown}; all points: --residuals FILE)",
                  title_justify="left")
    for name in (key, "x", "y", "label", "z", "margin"):
        table.add_column(name, justify="left" if name == "label" else "right")
    for r in rows:
        table.add_row(str(r[key]), *(f"{r[k]:.6g}" for k in ("x", "y")), str(r["label"]),
                      *(f"{r[k]:.6g}" for k in ("z", "margin")))
    return [table]


def _num(value) -> str:
    return "-" if value is None else f"{value:.6g}"

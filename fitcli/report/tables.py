"""linear-tanh's classification report in the shell: the "classification" section of the
output, as JSON and as tables.

The numbers come from fitcli.core.classify; this module names rows by their input line
and labels as the input wrote them.  Every point goes to --residuals through the
model's point_table (diagnose.py).
"""

from __future__ import annotations

from typing import Any


def add_classification(document: dict[str, Any], model, result, data, table) -> None:
    """Put the report under document["classification"] and its warnings in
    document["warnings"].

    Args:
        model: the fitted LinearTanh variant; result: its FitResult; data: (x, y, l).
        table: the data.Table the points came from (label names, line numbers).
    """
    from .core.classify import report
    from .core.models.labels import label_classes
    from .core.result import _plain
    from .pointfile import Rows

    names = label_classes(table.column("label"), table.levels.get("label"), model.positive)[1]
    z_scale = result.extra.get("z_scale", 1.0)
    section = report(model, result.params, data, result.cost, z_scale)
    rows = Rows(table)
    for row in section["misclassified"]:
        if rows.numbers is not None:
            row["line"] = int(rows.numbers[row["row"] - 1])
        row["label"] = names.positive if row["label"] > 0 else names.negative
    section["labels"] = {"positive": names.positive, "negative": names.negative}
    section["rows_are"] = "input lines" if rows.numbers is not None else "data rows (1-based)"
    section["z_scale"], section["standardized"] = z_scale, model.standardized
    document.setdefault("warnings", []).extend(section.pop("warnings"))
    document["classification"] = _plain(section)


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
        loss = "inf" if v["loss"] is None else f"{v['loss']:.6g}"  # cross-entropy, a point wrong
        rows.append(("vertical limit", f"x = {_num(v['x'])}, +1 to the {v['positive_side']}, "
                                       f"loss {loss}"))
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
    return f"std(y) = {c['z_scale']:.6g} (standardised)" if c["standardized"] else "y's units"


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
    table = Table(title=f"misclassified points ({shown}; every point: --residuals FILE)",
                  title_justify="left")
    for name in (key, "x", "y", "label", "z", "margin"):
        table.add_column(name, justify="left" if name == "label" else "right")
    for r in rows:
        table.add_row(str(r[key]), *(f"{r[k]:.6g}" for k in ("x", "y")), str(r["label"]),
                      *(f"{r[k]:.6g}" for k in ("z", "margin")))
    return [table]


def _num(value) -> str:
    return "-" if value is None else f"{value:.6g}"

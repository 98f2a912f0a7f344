"""`fitcli predict MODEL.json FILE`: apply a saved model to new points.

The predictions are data: CSV on stdout (or -o FILE).  If FILE also has the targets,
the error measures on them (a held-out evaluation) go to stderr, and to --metrics FILE
as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ..cli import _column_list, app, reported_errors
from ..errors import DataError, ModelFileError, UsageError

LABELS = {
    "n_points": "points", "loss": "loss (mean per point)", "rmse": "RMS error",
    "rms_u": "RMS error in u", "rms_v": "RMS error in v", "max_error": "largest error",
    "behind_camera": "points at or behind the camera", "accuracy": "accuracy",
}


@app.command("predict", short_help="Apply a saved model to new points (CSV on stdout)")
def predict(
    model_file: Annotated[str, typer.Argument(
        metavar="MODEL.json", show_default=False,
        help="A model saved by a fit's -o, or by synth --truth; - reads standard input.")],
    file: Annotated[str, typer.Argument(
        metavar="FILE", show_default=False,
        help="CSV of points with the model's input columns (project3d: X, Y, Z; ratio2d and "
        "linear-tanh: x, y); with the targets too, the error on them is reported.  "
        "- reads standard input.")],
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", metavar="FILE", show_default=False,
        help="Write the predictions here (atomically) instead of stdout.")] = None,
    columns: Annotated[Optional[str], typer.Option(
        metavar="NAMES", show_default=False,
        help="File columns to read: the inputs, or the inputs and the targets.")] = None,
    with_inputs: Annotated[bool, typer.Option(
        "--with-inputs", help="Repeat the input columns before the predictions.")] = False,
    metrics: Annotated[Optional[str], typer.Option(
        metavar="FILE", show_default=False,
        help="Write the error measures as JSON here (- for stdout, with -o FILE).")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No error measures on stderr; errors still go there.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of an unexpected error.")] = False,
) -> None:
    """Apply a saved model to new points and write the predictions as CSV.

    Output columns: project3d -> u, v, depth (along the optical axis, world units);
    ratio2d -> ratio; linear-tanh -> label (+1/-1) and z = k x + b - y.  If FILE also
    has the targets (u, v / ratio / label), the error measures on them go to stderr:
    predict on held-out points is an evaluation of the fit.
    """
    with reported_errors(debug):
        _check_streams(model_file, file, output, metrics)
        import numpy as np

        from ..core import MODELS
        from ..modelfile import load_model, model_options

        model, params, doc = load_model(model_file, MODELS)
        options = model_options(model, doc)
        table = _read(file, model, _column_list(columns))
        params = np.asarray(params)
        try:
            predicted = model.predict(params, table.values[:, : model.n_inputs], **options)
        except ValueError as exc:
            raise ModelFileError(f"{model_file}: {exc}") from None
        figures = None  # the targets are checked before any output: an error leaves none
        if len(table.names) == len(model.columns):
            figures = _evaluate(model, params, table, options, model_file)
        elif metrics is not None:
            raise UsageError(f"--metrics: {table.source} has no targets "
                             f"({', '.join(model.columns[model.n_inputs:])}) to measure errors on")
        _write_predictions(model, table, predicted, output, with_inputs)
        if figures is not None:
            _report(model, model_file, table, figures, metrics, quiet)


def _check_streams(model_file: str, file: str, output: str | None, metrics: str | None) -> None:
    from ..modelfile import check_output

    if model_file == "-" and file == "-":
        raise UsageError("MODEL.json and FILE cannot both be standard input (-)")
    if metrics == "-" and output in (None, "-"):
        raise UsageError("--metrics - needs -o FILE: stdout already carries the predictions")
    for path, option in ((output, "-o"), (metrics, "--metrics")):
        if path is not None:
            check_output(path, option, (model_file, file))


def _read(file: str, model, rename: list[str] | None):
    """Inputs, plus the targets if present (or if --columns names them all)."""
    from ..data import read_table

    columns, optional = list(model.columns), list(model.columns[model.n_inputs:])
    if rename is not None and len(rename) == model.n_inputs:
        columns, optional = columns[: model.n_inputs], []
    what = f"a {model.name} model (targets {', '.join(model.columns[model.n_inputs:])} optional)"
    return read_table(file, columns, model=what, rename=rename, optional=optional,
                      categories=model.text_columns)


def _write_predictions(model, table, predicted: dict, output: str | None, with_inputs: bool) -> None:
    import numpy as np

    from ..modelfile import save
    from .synth import format_csv

    names = list(predicted)
    values = np.column_stack([predicted[k] for k in names])
    if with_inputs:
        names = [*model.columns[: model.n_inputs], *names]
        values = np.column_stack([table.values[:, : model.n_inputs], values])
    bad = int(np.sum(~np.all(np.isfinite(values), axis=1)))
    if bad:
        from .. import report

        report.warn(f"{bad} of {len(values)} points have no finite prediction "
                    "(they map to infinity); written as inf or nan")
    save(output or "-", format_csv(names, values), "-o")


def _evaluate(model, params, table, options: dict, model_file: str) -> dict[str, Any]:
    from ..core.models.base import OptionError

    try:
        figures = model.evaluate(params, table.values, **options)
    except OptionError as exc:
        raise ModelFileError(f"{model_file}: {exc}") from None
    except ValueError as exc:
        raise DataError(f"{table.source}: {exc}") from None
    return {"n_points": table.n_rows, **figures}


def _report(model, model_file: str, table, figures: dict, metrics: str | None, quiet: bool) -> None:
    import json
    import math

    from .. import report
    from ..modelfile import save

    if not quiet:
        title = f"{model.name} model {model_file}: error on the targets in {table.source}"
        rows = [(LABELS.get(key, key), value) for key, value in figures.items()]
        report.print_stderr([report.figures_table(title, rows)])
    if metrics is not None:
        plain = {k: v if not isinstance(v, float) or math.isfinite(v) else None for k, v in figures.items()}
        doc = {"model": model.name, "model_file": model_file, "input": table.source, **plain}
        save(metrics, json.dumps(doc, indent=2, allow_nan=False) + "\n", "--metrics")

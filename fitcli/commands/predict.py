"""`fitcli predict MODEL.json FILE`: apply a saved model to new points.

The predictions are data: CSV on stdout (or -o FILE).  If FILE also has the targets,
the error measures on them (a held-out evaluation) go to stderr, and to --metrics FILE
as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import typer

from ..errors import DataError, DegenerateError, ModelFileError, UsageError
from ..report import console
from .examples import epilog
from .options import argument, check_domains, column_list, command, learn, option
from .shared import about, reported_errors

LABELS = {
    "n_points": "points", "loss": "loss (mean per point)", "rmse": "RMS error",
    "rms_u": "RMS error in u", "rms_v": "RMS error in v", "max_error": "largest error",
    "behind_camera": "points at or behind the camera", "accuracy": "accuracy",
}
DOC = """Apply a saved model to new points and write the predictions as CSV.

    Output columns: project3d -> u, v, depth (along the optical axis, world units);
    ratio2d -> ratio; linear-tanh -> label (+1/-1) and z = k x + b - y.  If FILE also
    has the targets (u, v / ratio / label), the error measures on them go to stderr:
    predict on held-out points is an evaluation of the fit.
    """


@dataclass(frozen=True)
class PredictOptions:
    """The options of `fitcli predict`."""

    model_file: str = argument("MODEL.json", "A model saved by a fit's -o, or by synth --truth; "
                               "- reads standard input.")
    file: str = argument(
        "FILE", "CSV of points with the model's input columns (project3d: X, Y, Z; ratio2d and "
        "linear-tanh: x, y); with the targets too, the error on them is reported.  "
        "- reads standard input.")
    output: Optional[str] = option(
        None, "--output", "-o", metavar="FILE", show_default=False, spoken="-o",
        help="Write the predictions here (atomically) instead of stdout; a name ending in "
             ".parquet writes Parquet.")
    columns: Optional[str] = option(
        None, metavar="NAMES", show_default=False,
        help="File columns to read: the inputs, or the inputs and the targets.")
    with_inputs: bool = option(False, "--with-inputs",
                               help="Repeat the input columns before the predictions.")
    metrics: Optional[str] = option(
        None, metavar="FILE", show_default=False,
        help="Write the error measures as JSON here (- for stdout, with -o FILE).")
    quiet: bool = option(False, "--quiet", "-q",
                         help="No error measures on stderr; errors still go there.")
    debug: bool = option(False, "--debug", help="Show the full traceback of an unexpected error.")

    def validate(self) -> "PredictOptions":
        from ..io.atomic import check_outputs

        check_domains(self)
        if self.model_file == "-" and self.file == "-":
            raise UsageError("MODEL.json and FILE cannot both be standard input (-)")
        if self.metrics == "-" and self.output in (None, "-"):
            raise UsageError("--metrics - needs -o FILE: stdout already carries the predictions")
        column_list(self.columns)
        check_outputs([("-o", self.output), ("--metrics", self.metrics)],
                      (self.model_file, self.file),
                      stdout=self.output in (None, "-") or self.metrics == "-")
        return self


learn(PredictOptions)


def register(app: typer.Typer, cards) -> None:
    function = command(PredictOptions, lambda **v: predict(PredictOptions(**v)), DOC,
                       name="predict")
    app.command("predict", epilog=epilog("predict"), short_help="Apply a saved model to new points (CSV on stdout)")(function)


def predict(o: PredictOptions) -> None:
    with reported_errors(o.debug):
        o = o.validate()
        from ..io.atomic import staged

        with staged():  # -o and --metrics are put in place together, at the end
            _predict(o)


def _predict(o: PredictOptions) -> None:
    import numpy as np

    from ..core.models import MODELS
    from ..io.modelfile import load_model, model_options

    model, params, doc = load_model(o.model_file, MODELS)
    options = model_options(model, doc)
    table = _read(o.file, model, column_list(o.columns))
    params = np.asarray(params)
    with about(o.model_file, ModelFileError):
        predicted = model.predict(params, table.values[:, : model.n_inputs], **options)
    warning = check_predictions(o.model_file, table.source, predicted)
    figures = None  # the targets are checked before any output: an error leaves none
    if len(table.names) == len(model.columns):
        figures = _evaluate(model, params, table, options, o.model_file)
    elif o.metrics is not None:
        raise UsageError(f"--metrics: {table.source} has no targets "
                         f"({', '.join(model.columns[model.n_inputs:])}) to measure errors on")
    if warning:
        console.warn(warning)
    _write_predictions(model, table, predicted, o.output, o.with_inputs)
    if figures is not None:
        _report(model, o.model_file, table, figures, o.metrics, o.quiet)


def _read(file: str, model, rename: list[str] | None):
    """Inputs, plus the targets if present (or if --columns names them all)."""
    from ..io.points import read_points

    columns, optional = list(model.columns), list(model.columns[model.n_inputs:])
    if rename is not None and len(rename) == model.n_inputs:
        columns, optional = columns[: model.n_inputs], []
    what = f"a {model.name} model (targets {', '.join(model.columns[model.n_inputs:])} optional)"
    return read_points(file, columns, model=what, rename=rename, optional=optional,
                      categories=model.text_columns)


def check_predictions(model_file: str, source: str, predicted: dict) -> str | None:
    """The warning for points without a finite prediction (None if there are none).

    Raises:
        DegenerateError: no point has one: the model maps every point to NaN or infinity.
    """
    import numpy as np

    values = np.column_stack(list(predicted.values()))
    nan = np.any(np.isnan(values), axis=1)
    inf = np.any(np.isinf(values), axis=1) & ~nan
    bad, n = int(np.count_nonzero(nan | inf)), len(values)
    if not bad:
        return None
    how = f"{int(np.count_nonzero(inf))} map to infinity, {int(np.count_nonzero(nan))} to NaN"
    if bad == n:
        raise DegenerateError(f"{model_file}: the model gives no finite prediction for any of "
                              f"the {n} points of {source} ({how}): its parameters do not "
                              "describe a map of these points")
    return f"{bad} of {n} points have no finite prediction ({how}); written as inf or nan"


def _write_predictions(model, table, predicted: dict, output: str | None, with_inputs: bool) -> None:
    import numpy as np

    from ..io.parquet_out import table_content

    names = list(predicted)
    values = np.column_stack([predicted[k] for k in names])
    if with_inputs:
        names = [*model.columns[: model.n_inputs], *names]
        values = np.column_stack([table.values[:, : model.n_inputs], values])
    console.output(output or "-", table_content(output, names, values), "`output`")


def _evaluate(model, params, table, options: dict, model_file: str) -> dict[str, Any]:
    from ..core.models.base import OptionError

    try:
        figures = model.evaluate(params, table.values, **options)
    except OptionError as exc:
        raise ModelFileError(f"{model_file}: {exc}") from None
    except ValueError as exc:
        raise DataError(f"{table.source}: {exc}") from None
    figures = {"n_points": table.n_rows, **figures}
    if "behind_camera" in figures:  # named as the fit's report names them
        figures["behind_camera"] = _behind(model, params, table, options)
    return figures


def _behind(model, params, table, options: dict) -> dict[str, Any]:
    """{"count": n, "lines" (or "rows", for standard input): [...]}: the points at or
    behind the camera, as in the fit's JSON."""

    from ..report.pointfile import Rows

    depth = model.depths(params, model.split(table.values)[0])
    rows = Rows(table)
    numbers = rows.of(~(depth > 0))
    return {"count": len(numbers), rows.kind + "s": numbers}


def _report(model, model_file: str, table, figures: dict, metrics: str | None, quiet: bool) -> None:
    import json

    from ..core.result import plain
    from ..report.tables import figures_table

    if not quiet:
        title = f"{model.name} model {model_file}: error on the targets in {table.source}"
        rows = [(LABELS.get(key, key), value["count"] if key == "behind_camera" else value)
                for key, value in figures.items()]
        console.print_stderr([figures_table(title, rows)])
    if metrics is not None:
        doc = plain({"model": model.name, "model_file": model_file, "input": table.source,
                     **figures})
        console.output(metrics, json.dumps(doc, indent=2, allow_nan=False) + "\n", "`metrics`")

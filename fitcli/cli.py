"""The Typer app.  The fit subcommands (linear-tanh, ratio2d, project3d) share one option
set, declared once in FIT_OPTIONS.  Numerical modules are imported inside the commands,
so `fitcli --help` stays fast."""

from __future__ import annotations

import enum
import inspect
import os
import sys
from contextlib import contextmanager, nullcontext
from typing import Annotated, Any, Optional

import typer

from . import __version__
from .diagnose import OPTIONS as REPORT_OPTIONS
from .errors import (
    EXIT_CRASH,
    EXIT_DEGENERATE,
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_NOT_CONVERGED,
    DataError,
    DegenerateError,
    FitcliError,
    UsageError,
)

app = typer.Typer(
    name="fitcli",
    help="Fit a tanh separator, a 2D ratio map or a 3x4 camera matrix to CSV points by "
    "hand-derived gradients.  Results go to stdout (a table, or JSON with --json); "
    "progress and messages go to stderr.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # help texts are plain: brackets such as [a, b, t1] stay as written
    context_settings={"help_option_names": ["-h", "--help"]},
)



def _positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be > 0; got {value:g}")
    return value



class OptimizerName(str, enum.Enum):
    lm = "lm"
    gd = "gd"
    momentum = "momentum"
    adam = "adam"


class HomographyInit(str, enum.Enum):
    dlt = "dlt"
    identity = "identity"
    random = "random"


class SeparatorInit(str, enum.Enum):
    auto = "auto"
    zero = "zero"
    random = "random"


class Activation(str, enum.Enum):
    tanh = "tanh"
    sigmoid = "sigmoid"


class Loss(str, enum.Enum):
    squared = "squared"
    cross_entropy = "cross-entropy"


class Form(str, enum.Enum):
    tutorial = "tutorial"
    general = "general"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fitcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Fit models to CSV points by hand-derived gradients."""


@contextmanager
def reported_errors(debug: bool = False):
    """FitcliError -> one line on stderr and its exit code; never a traceback.  numpy's
    floating-point warnings (overflow, 0/0) stay off stderr unless --debug: what became
    non-finite is reported in the result (a diverged fit, a standard error of null)."""
    import numpy as np

    from .report import error

    try:
        with np.errstate(all="ignore") if not debug else nullcontext():
            yield
    except FitcliError as exc:
        if debug:
            raise
        error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        if debug:
            raise
        error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


FIT_OPTIONS = [
    _option("file", Annotated[str, typer.Argument(
        metavar="FILE", show_default=False,
        help="CSV file of points (header row optional); - reads standard input.")], inspect.Parameter.empty),
    _option("columns", Annotated[Optional[str], typer.Option(
        metavar="NAMES", show_default=False,
        help="Comma-separated file columns to read instead of the default names "
        "(names, or 1-based positions if the file has no header).")], None),
    _option("optimizer", Annotated[Optional[OptimizerName], typer.Option(
        show_default=False,
        help="lm: Levenberg-Marquardt (default); gd: gradient descent with a line search, "
        "or a fixed step with --lr; momentum; adam.")], None),
    _option("lr", Annotated[Optional[float], typer.Option(
        "--lr", "--learning-rate", callback=_positive, show_default=False,
        help="Fixed step size of gd/momentum/adam (alone, it selects --optimizer gd).")], None),
    _option("max_iter", Annotated[Optional[int], typer.Option(
        min=1, show_default=False, help="Iteration limit [default: 200 for lm, 20000 otherwise].")],
        None),
    _option("tol", Annotated[float, typer.Option(
        callback=_positive, help="Stop when the loss decreases by less than this, relatively.")],
        1e-10),
    _option("gtol", Annotated[float, typer.Option(
        callback=_positive, help="Stop when the gradient is this orthogonal to the residuals.")],
        1e-10),
    _option("xtol", Annotated[float, typer.Option(
        callback=_positive, help="Stop when the step is this small relative to the parameters.")],
        1e-10),
    _option("normalize", Annotated[bool, typer.Option(
        "--normalize/--no-normalize",
        help="Centre and scale the points before fitting (Hartley); the result is mapped back.")],
        True),
    _option("seed", Annotated[int, typer.Option(help="Seed for random starts and subsamples.")], 0),
    _option("json_output", Annotated[bool, typer.Option(
        "--json", help="Print one JSON object on stdout instead of the tables.")], False),
    _option("quiet", Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress and no tables; errors still go to stderr.")], False),
    _option("debug", Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of an unexpected error.")], False),
    _option("output", Annotated[Optional[str], typer.Option(
        "--output", "-o", metavar="MODEL.json", show_default=False,
        help="Save the fitted model here (atomically; - for stdout) for fitcli predict.  "
        "A fit that did not converge is not saved, and an existing file is kept.")], None),
    _option("save_unconverged", Annotated[bool, typer.Option(
        "--save-unconverged", help="Save the model with -o even if the fit did not converge.")],
        False),
    *REPORT_OPTIONS,
]

INIT_HELP = {
    HomographyInit: "Start: dlt (closed-form linear estimate), identity or random.",
    SeparatorInit: "Start: auto (best of a least-squares line and a grid of lines), zero or random.",
}


def _fit_command(name: str, init: type[enum.Enum], doc: str, extra=()):
    """Register the fit subcommand `name` with the shared options plus `extra`; the first
    line of `doc` is its entry in the command list."""
    def command(**options: Any) -> None:
        run_fit(name, options)

    init_option = _option("init", Annotated[Optional[init], typer.Option(
        show_default=False, help=INIT_HELP[init])], None)
    params = [*FIT_OPTIONS[:5], init_option, *FIT_OPTIONS[5:], *extra]
    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = doc
    command.__name__ = name.replace("-", "_")
    app.command(name, short_help=doc.splitlines()[0].rstrip("."))(command)


SEPARATOR_OPTIONS = [
    _option("activation", Annotated[Activation, typer.Option(
        help="tanh (labels read as +1/-1) or sigmoid (read as 1/0).")], Activation.tanh),
    _option("loss_function", Annotated[Loss, typer.Option(
        "--loss", help="squared: (act(z) - label)^2, the tutorial's; cross-entropy: -log P(label), "
        "computed from z (with tanh, P(+1) = (tanh z + 1)/2).")], Loss.squared),
    _option("form", Annotated[Form, typer.Option(
        help="tutorial: z = k x + b - y (+1 below the line); general: z = w1 x + w2 y + w0, "
        "all three free, as in logistic regression.")], Form.tutorial),
    _option("standardize", Annotated[Optional[bool], typer.Option(
        "--standardize/--no-standardize", show_default=False,
        help="Tutorial form: measure z in units of std(y), so the loss does not depend on "
        "y's units (the default); --no-standardize uses the tutorial's raw z.")], None),
    _option("positive", Annotated[Optional[str], typer.Option(
        metavar="VALUE", show_default=False,
        help="The label read as +1 [default: 1 for +1/-1 and 0/1 labels, else the second "
        "value in sorted order].")], None),
]
_fit_command(
    "linear-tanh", SeparatorInit,
    """Fit a line separating two classes of labelled points (x, y, label).

    The tutorial's form: z = k x + b - y, loss (tanh(z) - label)^2, +1 below the line;
    --activation, --loss and --form choose sigmoid, cross-entropy and logistic
    regression's z = w1 x + w2 y + w0.  The labels may be any two values (+1/-1, 0/1,
    yes/no...).  Prints the line, the loss and a classification report (accuracy,
    confusion matrix, misclassified rows, minimum margin).""",
    extra=SEPARATOR_OPTIONS,
)
_fit_command(
    "ratio2d", HomographyInit,
    """Fit a 2D affine map seen through a ratio nx/ny (x, y, ratio).

    The map (nx, ny) = [[a, b, t1], [c, d, t2]] (x, y, 1) is observed only through
    ratio = nx / ny.  FILE has columns x, y, ratio.  This is a 1D projective camera: one image coordinate
    of a plane homography.  Prints the 2x3 matrix (unit norm) and the RMS ratio error.""",
)
_fit_command(
    "project3d", HomographyInit,
    """Fit a 3x4 camera matrix to 3D-2D correspondences (X, Y, Z, u, v).

    FILE has columns X, Y, Z, u, v.  Minimises the mean squared reprojection distance
    (the Gold Standard); prints the matrix with |(i, j, k)| = 1 and positive depths,
    and the RMS reprojection distance in the input's units.""",
)


def _column_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [c.strip() for c in text.split(",")]
    if not all(names):
        raise UsageError(f"--columns must be a comma-separated list of names; got {text!r}")
    return names


def run_fit(name: str, o: dict[str, Any]) -> None:
    with reported_errors(o["debug"]):
        from . import diagnose, report
        from .core import MODELS, Tolerances
        from .core.normalize import DegenerateDataError
        from .data import read_table

        settings = diagnose.settings(name, o, lambda text: report.note(text, o["quiet"]))
        model = MODELS[name].variant(**_model_options(o))
        _check_output_options(o)
        table = read_table(o["file"], model.columns, model=name, rename=_column_list(o["columns"]),
                           text_columns=model.text_columns)
        try:
            levels = {"levels": table.levels} if model.text_columns else {}
            data, notes = model.split(table.values, **levels)
            fit_notes = model.fit_notes(data)
            if fit_notes:
                model.check(data)  # before notes that describe data that can be fitted
        except DegenerateDataError as exc:
            raise DegenerateError(f"{table.source}: {exc}") from None
        except ValueError as exc:
            raise DataError(f"{table.source}: {exc}") from None
        for text in notes + fit_notes:
            report.note(text, o["quiet"])
        optimizer = o["optimizer"].value if o["optimizer"] else None
        if o["lr"] is not None and optimizer is None:
            optimizer = "gd"
            report.note("--lr given: fixed-step gradient descent (--optimizer gd)", o["quiet"])
        if o["lr"] is not None and optimizer == "lm":
            raise UsageError("--lr is the step size of gd, momentum and adam; lm does not take one")
        with report.progress(name, o["quiet"], diagnose.progress_figures(settings)) as callback:
            try:
                fitted = diagnose.robust_fit(
                    model, data, settings, o["seed"], optimizer=optimizer, learning_rate=o["lr"],
                    init=o["init"].value if o["init"] else None, normalize=o["normalize"],
                    max_iter=o["max_iter"], tol=Tolerances(o["tol"], o["xtol"], o["gtol"]),
                    callback=callback,
                )
            except DegenerateDataError as exc:
                raise DegenerateError(f"{table.source}: {exc}") from None
        result = fitted.result
        document = {"input": table.source, **result.to_dict()}
        try:  # the report normalises the data even after a fit with --no-normalize
            gates = diagnose.complete(document, model, table, data, fitted, settings, {})
        except DegenerateDataError as exc:
            raise DegenerateError(f"{table.source}: {exc}") from None
        if name == "linear-tanh":
            from .classification import add_classification

            add_classification(document, model, result, data, table)
        undetermined = document.get("classification", {}).get("degenerate")
        failed = any(not g["passed"] for g in gates)
        behind = document.get("behind_camera", {}).get("count", 0) > 0
        refused = failed or bool(undetermined) or behind
        saved = o["output"] is not None and save_model(o, model, result, table, refused)
        show(document, o["json_output"], o["quiet"] or o["output"] == "-")
        if o["output"] is not None and not saved:
            why = (UNSAVED["interrupted"] if result.status.value == "interrupted"
                   else "a quality gate failed" if failed
                   else "the data do not determine the line" if undetermined
                   else "points are behind the fitted camera" if behind
                   else UNSAVED[result.status.value])
            report.warn(f"model not saved to {o['output']}: {why}")
    raise typer.Exit(exit_code(result, gates, document))


def _model_options(o: dict[str, Any]) -> dict[str, Any]:
    """The model's own options among the command's (linear-tanh's variant)."""
    names = ("activation", "loss_function", "form", "standardize", "positive")
    return {k: o[k].value if isinstance(o[k], enum.Enum) else o[k] for k in names if k in o}


UNSAVED = {
    "interrupted": "the fit was interrupted",
    "max_iter": "the fit did not converge (--save-unconverged saves it anyway)",
    "non_finite": "the fit diverged (--save-unconverged saves it anyway)",
    "diverged": "the fit diverged (--save-unconverged saves it anyway)",
    "stalled": "the fit stalled before the optimum (--save-unconverged saves it anyway)",
}


def _check_output_options(o: dict[str, Any]) -> None:
    from .modelfile import check_output

    if o["output"] == "-" and o["json_output"]:
        raise UsageError("-o - and --json both write to stdout; give -o a file name")
    if o["output"] is not None:
        check_output(o["output"], "-o", (o["file"],))


def save_model(o: dict[str, Any], model, result, table, gate_failed: bool) -> bool:
    """Write the model file of a converged fit that passed its gates (or, with
    --save-unconverged, of any fit but an interrupted one); the old file stays otherwise."""
    from . import report
    from .core import Status
    from .modelfile import dumps, fit_document, save

    if result.status is Status.INTERRUPTED:
        return False
    if not o["save_unconverged"] and (gate_failed or not result.success):
        return False
    save(o["output"], dumps(fit_document(model, result, table.source, table.n_rows)), "-o")
    if o["output"] != "-":
        report.note(f"model saved to {o['output']}", o["quiet"])
    return True


def exit_code(result, gates=(), document: dict | None = None) -> int:
    """130 interrupted; 3 a line the data cannot determine (linear-tanh, printed all the
    same); 4 not converged (5 with --require-converged) or points behind the fitted camera;
    5 a gate failed; 0."""
    from .core import Status

    if result.status is Status.INTERRUPTED:
        return EXIT_INTERRUPTED
    if (document or {}).get("classification", {}).get("degenerate"):
        return EXIT_DEGENERATE  # e.g. a vertical separator
    if not result.success and not any(g["gate"] == "require-converged" for g in gates):
        return EXIT_NOT_CONVERGED
    if (document or {}).get("behind_camera", {}).get("count", 0) > 0:
        return EXIT_NOT_CONVERGED  # a converged fit, but not a camera that sees its points
    return EXIT_GATE if any(not g["passed"] for g in gates) else 0


SUMMARY = [
    ("status", "status"), ("points", "n_points"),
    ("loss (mean per point)", "loss"), ("RMS error", "rmse"), ("accuracy", "accuracy"),
    ("z scale", "z_scale"), ("optimizer", "optimizer"), ("iterations", "iterations"),
    ("passes over the data", "evaluations"), ("passes of the start", "start_passes"),
    ("seconds", "seconds"),
]


def show(document: dict[str, Any], json_output: bool, quiet: bool) -> None:
    from . import report

    if json_output:
        report.write_json(document)
    elif not quiet:
        tables = report.result_tables(document, SUMMARY) + report.diagnostic_tables(document)
        if "classification" in document:
            from .classification import classification_tables

            tables += classification_tables(document)
        report.print_tables(tables)
    if not document["converged"]:
        report.warn(document["message"])
    for text in document.get("warnings", ()):
        report.warn(text)


def main() -> None:
    """The console script: exit with the code of run()."""
    sys.exit(run(sys.argv[1:]))


# typer's usage errors derive from click's ClickException (vendored by newer typer)
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def run(args: list[str]) -> int:
    """Run the app on args and return its exit code.  Every failure is one line on
    stderr: a usage error as "error: <what>", a crash (a bug) as "error: internal error"
    with exit 1, its traceback shown only with FITCLI_DEBUG=1."""
    from .report import error

    try:
        code = app(args, prog_name="fitcli", standalone_mode=False)
    except _CLICK_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `fitcli`: the help is the message
            print(exc.format_message(), file=sys.stderr)
        else:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see {ctx.command_path} -h)" if ctx is not None else ""
            error(_first_lower(exc.format_message().rstrip(".")) + hint)
        return exc.exit_code
    except KeyboardInterrupt:  # outside a fit, e.g. while reading standard input
        error("interrupted")
        return EXIT_INTERRUPTED
    except typer.Abort:  # end of input at a prompt
        error("aborted")
        return EXIT_CRASH
    except Exception as exc:  # noqa: BLE001  (a bug: one line, unless debugging)
        if os.environ.get("FITCLI_DEBUG"):
            raise
        detail = " ".join(str(exc).split())[:200]
        error(f"internal error ({type(exc).__name__}: {detail}); this is a bug in fitcli, "
              "please report it with the command you ran (FITCLI_DEBUG=1 shows the traceback)")
        return EXIT_CRASH
    return code if isinstance(code, int) else 0


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


from .commands import synth  # noqa: E402,F401  (registers the command)
from .commands import predict  # noqa: E402,F401
from .commands import gradcheck  # noqa: E402,F401

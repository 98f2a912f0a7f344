"""The fit commands, one per model of the registry (linear-tanh, ratio2d, project3d):
read the points, fit, build the report, save, print, exit with the report's verdict."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Optional

import typer

from ..core.choices import OPTIMIZER_NAMES, ROBUST_METHODS
from ..core.models.card import ModelCard
from ..errors import UsageError
from ..report import console
from ..report.console import speak
from .options import (
    MODEL_FLAGS,
    Decl,
    argument,
    check_domains,
    check_file_option,
    choice_type,
    column_list,
    command,
    learn,
    option,
)
from .shared import about, reported_errors

REPORT_PANEL = "Report and outliers"
GATE_PANEL = "Quality gates (exit code 5 when one fails)"
DEFAULT_THRESHOLD_SIGMAS = 3.0


# -- the options, declared once ----------------------------------------------------------

@dataclass(frozen=True)
class FitOptions:
    """The options of a fit command (linear-tanh, ratio2d, project3d)."""

    file: str = argument("FILE", "CSV file of points (header row optional); - reads standard input.")
    columns: Optional[str] = option(
        None, metavar="NAMES", show_default=False,
        help="Comma-separated file columns to read instead of the default names "
        "(names, or 1-based positions if the file has no header).")
    optimizer: Optional[str] = option(
        None, choices=OPTIMIZER_NAMES, show_default=False,
        help="lm: Levenberg-Marquardt (default); gd: gradient descent with a line search, "
        "or a fixed step with --lr; momentum; adam.")
    learning_rate: Optional[float] = option(
        None, "--lr", "--learning-rate", positive=True, show_default=False,
        help="Fixed step size of gd/momentum/adam (alone, it selects --optimizer gd).")
    max_iter: Optional[int] = option(
        None, min=1, show_default=False,
        help="Iteration limit [default: 200 for lm, 20000 otherwise].")
    init: Optional[str] = option(None, show_default=False, help="Start.")  # per model: fit_declarations
    tol: float = option(1e-10, positive=True, below=1.0,
                        help="Stop when the loss decreases by less than this, relatively.")
    gtol: float = option(1e-10, positive=True, below=1.0,
                         help="Stop when the gradient is this orthogonal to the residuals.")
    xtol: float = option(1e-10, positive=True, below=1.0,
                         help="Stop when the step is this small relative to the parameters.")
    normalize: bool = option(
        True, "--normalize/--no-normalize",
        help="Centre and scale the points before fitting (Hartley); the result is mapped back.")
    seed: int = option(0, min=0, help="Seed for random starts, subsamples and RANSAC's draws.")
    json_output: bool = option(False, "--json", help="Print one JSON object on stdout instead of the tables.")
    quiet: bool = option(False, "--quiet", "-q", help="No progress and no tables; errors still go to stderr.")
    debug: bool = option(False, "--debug", help="Show the full traceback of an unexpected error.")
    output: Optional[str] = option(
        None, "--output", "-o", metavar="MODEL.json", show_default=False, spoken="-o",
        help="Save the fitted model here (atomically; - for stdout) for fitcli predict.  "
        "A fit that did not converge is not saved, and an existing file is kept.")
    save_unconverged: bool = option(
        False, "--save-unconverged",
        help="Save the model with -o even if the fit did not converge (a failed gate, points "
        "behind the camera or a failed robust check still keep the old file).")
    sigma: Optional[float] = option(
        None, positive=True, panel=REPORT_PANEL, show_default=False,
        help="Known noise per target coordinate (pixels, ratio units): tests the residual against "
        "it and uses it for the standard errors (else sigma is estimated).")
    robust: str = option(
        "none", choices=ROBUST_METHODS, panel=REPORT_PANEL, show_default=True,
        help="Outlier handling (ratio2d, project3d): huber or cauchy loss on the point error from "
        "a robust start, or RANSAC over minimal sets then least squares on the inliers; "
        "each is checked, and exits 4 if it fails.")
    threshold: Optional[float] = option(
        None, positive=True, panel=REPORT_PANEL, show_default=False,
        help="Point error (input's units) beyond which a point is an outlier; the scale of "
        "--robust [default: 3 x --sigma, or with --robust alone 3 x a robust estimate of "
        "the noise].")
    residuals: Optional[str] = option(
        None, metavar="FILE", panel=REPORT_PANEL, show_default=False,
        help="Write per-point predictions, residuals and inlier flags to this CSV file.")
    plot: Optional[str] = option(
        None, metavar="FILE", panel=REPORT_PANEL, show_default=False,
        help="Draw the loss curve and the fit to FILE (.png, .pdf or .svg; needs matplotlib).")
    max_rms: Optional[float] = option(
        None, positive=True, panel=GATE_PANEL, show_default=False,
        help="Fail if the RMS point error (of the inliers with --robust) exceeds this.")
    min_inliers: Optional[float] = option(
        None, min=0.0, max=1.0, metavar="FRACTION", panel=GATE_PANEL, show_default=False,
        help="Fail if fewer than this fraction of the points are inliers.")
    require_converged: bool = option(
        False, "--require-converged", panel=GATE_PANEL, show_default=False,
        help="Make a fit that did not converge a gate failure (exit 5 instead of 4).")
    model_options: dict = field(default_factory=dict)  # the model's own (card.options)

    def validate(self, card: ModelCard) -> tuple["FitOptions", list[str]]:
        """The options as the fit uses them, and notes on what was inferred.

        Raises:
            UsageError: a value outside its domain, an option that does not apply,
                outputs that clash with the input, each other or what cannot be written,
                --plot without matplotlib.
        """
        from ..io.atomic import check_outputs

        check_domains(self)
        notes, o = [], self
        if not card.measured:
            for flag, given in (("--sigma", o.sigma is not None), ("--robust", o.robust != "none")):
                if given:
                    measured = " and ".join(_measured_models())
                    raise UsageError(f"{flag} applies to {measured} (noisy targets); "
                                     f"{card.name} fits class labels")
        if o.robust != "none" and o.threshold is None and o.sigma is not None:
            o = replace(o, threshold=DEFAULT_THRESHOLD_SIGMAS * o.sigma)
            notes.append(f"--threshold {o.threshold:g} ({DEFAULT_THRESHOLD_SIGMAS:g} x --sigma)")
        if o.min_inliers is not None and o.threshold is None and o.robust == "none":
            raise UsageError("--min-inliers needs --threshold (or --robust) to tell inliers apart")
        if o.save_unconverged and o.require_converged:
            raise UsageError("--save-unconverged saves a fit that did not converge, which "
                             "--require-converged makes a failure: give one of them")
        o.column_names  # noqa: B018  (refuses a name given twice, before any work)
        for flag, path in (("--residuals", o.residuals), ("--plot", o.plot)):
            check_file_option(flag, path)
        if o.plot is not None:
            _check_plot(o.plot)
        if o.output == "-" and o.json_output:
            raise UsageError("-o - and --json both write to stdout; give -o a file name")
        check_outputs([("-o", o.output), ("--residuals", o.residuals), ("--plot", o.plot)],
                      (o.file,), stdout=o.json_output or not o.quiet or o.output == "-")
        if o.learning_rate is not None and o.optimizer is None:
            o = replace(o, optimizer="gd")
            notes.append("--lr given: fixed-step gradient descent (--optimizer gd)")
        if o.learning_rate is not None and o.optimizer == "lm":
            raise UsageError("--lr is the step size of gd, momentum and adam; lm does not take one")
        return o, notes

    @property
    def column_names(self) -> Optional[list[str]]:
        return column_list(self.columns)


def fit_declarations(card: ModelCard) -> dict[str, Decl]:
    """The declarations of FitOptions that depend on the model: its starts."""
    return {"init": Decl((), speak(card.init_help), choices=card.inits, show_default=False)}


def model_parameters(card: ModelCard) -> list[inspect.Parameter]:
    """The Typer parameters of a model's own options (linear-tanh's activation, ...)."""
    out = []
    for o in card.options:
        flag = MODEL_FLAGS.get(o.name, "--" + o.name.replace("_", "-"))
        if o.choices:
            kind = choice_type(o.name, o.choices)
            info = typer.Option(flag, help=speak(o.help))
            out.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=kind(o.default),
                                         annotation=Annotated[kind, info]))
        elif o.type is bool:
            info = typer.Option(f"{flag}/--no-{flag[2:]}", show_default=False, help=speak(o.help))
            out.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default,
                                         annotation=Annotated[Optional[bool], info]))
        else:
            info = typer.Option(flag, metavar="VALUE", show_default=False, help=speak(o.help))
            out.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default,
                                         annotation=Annotated[Optional[str], info]))
    return out


def _measured_models() -> list[str]:
    from ..core.models import CARDS

    return [c.name for c in CARDS.values() if c.measured]


def _check_plot(path: str) -> None:
    from ..report import plot

    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in plot.FORMATS:
        raise UsageError(f"--plot {path}: the name must end in .png, .pdf or .svg")
    if not plot.available():
        raise UsageError(f"--plot needs matplotlib, which is not installed ({plot.INSTALL_HINT})")


learn(FitOptions)


# -- the command -------------------------------------------------------------------------

def register(app: typer.Typer, cards) -> None:
    """One fit command per model card."""
    for card in cards:
        run = _runner(card)
        doc = f"{card.summary}\n\n    {console.speak(card.description)}"
        function = command(FitOptions, run, doc, fit_declarations(card), model_parameters(card),
                           card.name)
        app.command(card.name, short_help=card.summary.rstrip("."))(function)


def _runner(card: ModelCard):
    names = {o.name for o in card.options}

    def run(**values: Any) -> None:
        own = {k: values.pop(k) for k in list(values) if k in names}
        run_fit(card, FitOptions(**values, model_options=own))

    return run


def run_fit(card: ModelCard, options: FitOptions) -> None:
    """Fit, report, save and exit with the report's exit code."""
    with reported_errors(options.debug):
        report, data = _fit(card, options)
    raise typer.Exit(report.verdict.exit_code)


def _fit(card: ModelCard, o: FitOptions):
    from ..core.models import MODELS
    from ..io.atomic import staged
    from ..io.csv_in import read_table

    o, notes = o.validate(card)
    for text in notes:
        console.note(text, o.quiet)
    model = MODELS[card.name].variant(**o.model_options)
    table = read_table(o.file, model.columns, model=card.name, rename=o.column_names,
                       text_columns=model.text_columns)
    with about(table.source):
        levels = {"levels": table.levels} if model.text_columns else {}
        data, data_notes = model.split(table.values, **levels)
        fit_notes = model.fit_notes(data)
        if fit_notes:
            model.check(data)  # before notes that describe data that can be fitted
    for text in data_notes + fit_notes:
        console.note(text, o.quiet)
    fitted = _robust_fit(model, data, table.source, o)
    report = _report(model, table, data, fitted, o)
    keep = report.saving(o.save_unconverged)
    with staged():  # the files are put in place together, after the results are printed
        _write_files(report, data, o)
        if o.output is not None and keep.usable:
            console.output(o.output, _model_file(model, report, table), "`output`")
        _show(report, o.json_output, o.quiet or o.output == "-")
    if o.output not in (None, "-"):
        if keep.usable:
            console.note(f"model saved to {o.output}", o.quiet)
        else:
            console.warn(f"model not saved to {o.output}: {keep.why}")
    return report, data


def _robust_fit(model, data, source: str, o: FitOptions):
    from ..core import Tolerances
    from ..core.robust_fit import robust_fit

    figures = (lambda info: info.figures()) if o.robust == "none" else (lambda info: {})
    with console.progress(model.name, o.quiet, figures) as callback, about(source, None):
        return robust_fit(model, data, o.robust, o.threshold, o.seed, optimizer=o.optimizer,
                          learning_rate=o.learning_rate, init=o.init, normalize=o.normalize,
                          max_iter=o.max_iter, tol=Tolerances(o.tol, o.xtol, o.gtol),
                          callback=callback)


def _report(model, table, data, fitted, o: FitOptions):
    """The report record."""
    from ..report.record import ReportRequest, build_report

    request = ReportRequest(o.sigma, o.robust, o.threshold, o.residuals, o.plot, o.max_rms,
                            o.min_inliers, o.require_converged)
    with about(table.source, None):  # the report normalises the data even after --no-normalize
        return build_report(model, table, data, fitted, request)


def _write_files(report, data, o: FitOptions) -> None:
    """--residuals and --plot, unless the fit was interrupted (which saves nothing)."""
    import os

    from ..core.result import Status
    from ..report import plot, pointfile

    for flag, path in (("--residuals", o.residuals), ("--plot", o.plot)):
        if path is not None and report.result.status is Status.INTERRUPTED:
            console.warn(f"{flag} {path} not written: the fit was interrupted")
    if report.result.status is Status.INTERRUPTED:
        return
    if o.residuals:
        pointfile.write_residuals(o.residuals, report, data)
    if o.plot:
        fmt = os.path.splitext(o.plot)[1].lstrip(".").lower()
        console.output(o.plot, plot.render(report, data, fmt), "`plot`")


def _model_file(model, report, table) -> str:
    """The model file of the fit (see io.modelfile)."""
    from ..io.modelfile import dumps, fit_document

    return dumps(fit_document(model, report.result, table.source, table.n_rows))


def _show(report, json_output: bool, quiet: bool) -> None:
    from ..report.document import document
    from ..report.tables import report_tables

    if json_output:
        console.write_json(document(report))
    elif not quiet:
        console.print_tables(report_tables(report))
    for text in report.warnings:
        console.warn(text)

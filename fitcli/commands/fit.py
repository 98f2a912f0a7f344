"""The fit commands, one per model of the registry (linear-tanh, ratio2d, project3d):
read the points, fit, build the report, save, print, exit with the report's verdict."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any, Optional

import typer

from ..core.choices import ENGINE_NAMES, OPTIMIZER_NAMES, ROBUST_METHODS
from ..core.models.card import ModelCard
from ..errors import DataError, UsageError
from ..report import console
from ..report.console import speak
from ..report.warnings import NAMES as WARNING_NAMES
from .examples import epilog
from .options import (
    Decl,
    argument,
    check_domains,
    check_file_option,
    column_list,
    command,
    learn,
    model_parameters,
    model_variant,
    option,
)
from .shared import about, reported_errors

REPORT_PANEL = "Report and outliers"
GATE_PANEL = "Quality gates (exit code 5 when one fails)"
ENGINE_PANEL = "Engines (data larger than memory, clusters)"
DEFAULT_THRESHOLD_SIGMAS = 3.0


# -- the options, declared once ----------------------------------------------------------

@dataclass(frozen=True)
class FitOptions:
    """The options of a fit command (linear-tanh, ratio2d, project3d)."""

    file: str = argument("FILE...", "CSV file of points (header row optional), or Parquet (a "
                         "file, a directory or a glob of them); - reads standard input.  Several "
                         "files: one report each (--json: one JSON line each).",
                         many=True)  # the command gets a list; each fit one of its files
    columns: Optional[str] = option(
        None, metavar="NAMES", show_default=False,
        help="Comma-separated file columns to read instead of the default names "
        "(names, or 1-based positions if the file has no header).")
    decimal: str = option(".", choices=(".", ","), show_default=True,
                          help="The decimal mark: , reads 1,5 as 1.5 (fields separated by ; or "
                          "tabs, as spreadsheets write them in many languages).")
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
        help="Centre and scale the points before fitting (mean 0, mean distance sqrt 2 from "
        "it), which keeps the numbers well conditioned; the result is mapped back.")  # per model
    seed: int = option(0, min=0, help="Seed for random starts, subsamples and RANSAC's draws.")
    json_output: bool = option(False, "--json", help="Print one JSON object on stdout instead of the tables.")
    quiet: bool = option(False, "--quiet", "-q",
                         help="No progress and no tables; errors and warnings still go to stderr "
                              "(--no-warn silences warnings).")
    verbose: bool = option(False, "--verbose", "-v",
                           help="Add the per-parameter table, the correlations, the residual "
                           "figures and the optimizer's figures to the report.")
    debug: bool = option(False, "--debug", help="Show the full traceback of an unexpected error.")
    no_warn: Optional[str] = option(
        None, "--no-warn", metavar="NAMES", show_default=False,
        help="Leave the named warnings off stderr, separated by commas, e.g. left-handed (also "
        "FITCLI_NO_WARN; the JSON keeps them).  A name not known is refused with the list of "
        "names.")
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
        help="Write per-point predictions, residuals and inlier flags to this CSV file (a "
             "name ending in .parquet: Parquet, half the size and quicker to write).")
    plot: Optional[str] = option(
        None, metavar="FILE", panel=REPORT_PANEL, show_default=False,
        help="Draw the fit and its residual (against the noise, or the classes' scores; with "
        "the loss curve when the fit took 7 iterations or more) to FILE (.png, .pdf or .svg; "
        "needs matplotlib).")
    max_rms: Optional[float] = option(
        None, positive=True, panel=GATE_PANEL, show_default=False,
        help="Fail if the RMS point error (of the inliers with --robust) exceeds this.")
    min_inliers: Optional[float] = option(
        None, min=0.0, max=1.0, metavar="FRACTION", panel=GATE_PANEL, show_default=False,
        help="Fail if fewer than this fraction of the points are inliers.")
    require_converged: bool = option(
        False, "--require-converged", panel=GATE_PANEL, show_default=False,
        help="Make a fit that did not converge a gate failure (exit 5 instead of 4).")
    engine: str = option(
        "memory", choices=ENGINE_NAMES, panel=ENGINE_PANEL, show_default=True,
        help="Where the passes over the points run.  memory: the points in memory; stream: "
        "the file read again on each pass, in partitions (memory flat in the number of "
        "points); dask: partitions loaded once on the workers of a Dask cluster (the dask "
        "extra).")
    scheduler: Optional[str] = option(
        None, metavar="ADDRESS", panel=ENGINE_PANEL, show_default=False,
        help="The Dask scheduler of --engine dask, e.g. tcp://host:8786 [default: dask's "
        "configured scheduler-address, else a local cluster of one worker per core].")
    partition_bytes: int = option(
        64 << 20, min=1, panel=ENGINE_PANEL, metavar="BYTES", show_default=False,
        help="Bytes of CSV per partition of --engine stream or dask [64 MiB]; a Parquet "
        "file's partitions are its row groups.")
    model_options: dict = field(default_factory=dict)  # the model's own (card.options)
    several: int = 0  # k: the k-th of several input files (JSON Lines, a line between reports)

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
        unknown = [n for n in o.silenced if n not in WARNING_NAMES]
        if unknown:
            given = "--no-warn" if o.no_warn is not None else "FITCLI_NO_WARN"
            raise UsageError(f"{given}: no warning is named {unknown[0]!r}; the names are "
                             f"{', '.join(WARNING_NAMES)}")
        if o.learning_rate is not None and o.optimizer is None:
            o = replace(o, optimizer="gd")
            notes.append("--lr given: fixed-step gradient descent (--optimizer gd)")
        if o.learning_rate is not None and o.optimizer == "lm":
            raise UsageError("--lr is the step size of gd, momentum and adam; lm does not take one")
        _check_engine(o)
        return o, notes

    @property
    def silenced(self) -> list[str]:
        """The warnings --no-warn (or FITCLI_NO_WARN) names."""
        given = self.no_warn if self.no_warn is not None else os.environ.get("FITCLI_NO_WARN", "")
        return [n.strip() for n in given.split(",") if n.strip()]

    @property
    def column_names(self) -> Optional[list[str]]:
        return column_list(self.columns)


NORMALIZE_LABELS = ("Standardise x and y before fitting (mean 0, standard deviation 1), which "
                    "keeps the numbers well conditioned; the result is mapped back.  z's unit is "
                    "--standardize's.")


THRESHOLD_LABELS = ("|tanh(z) - label| beyond which a point counts as an outlier (the "
                    "report labels and counts them; the fit is unchanged).")


def _check_engine(o: FitOptions) -> None:
    """The rules of --engine: what the stream and dask engines cannot do, and why.

    Raises:
        UsageError: an option the engine does not take.
    """
    if o.scheduler is not None and o.engine != "dask":
        raise UsageError("--scheduler is the Dask scheduler of --engine dask")
    if o.engine == "memory":
        return
    if o.file == "-":
        raise UsageError(f"--engine {o.engine} reads the file on every pass; standard input "
                         "can be read once: save it to a file first")
    if o.optimizer not in (None, "lm"):
        from ..core.engines.fit import refusal

        raise UsageError(speak(refusal(o.engine, o.optimizer)))
    for flag, given, why in (("--robust ransac", o.robust == "ransac",
                              "its minimal sets are drawn from the points in memory"),
                             (f"--robust {o.robust}", o.robust in ("huber", "cauchy"),
                              "its robust start (least squares on a RANSAC consensus set) and "
                              "its check against least squares on its inliers draw from the "
                              "points in memory"),
                             ("--plot", o.plot is not None, "it draws every point")):
        if given:
            raise UsageError(f"{flag} runs on --engine memory only: {why}")
    if o.engine == "dask":
        import importlib.util

        if not all(importlib.util.find_spec(m) for m in ("dask", "distributed", "pyarrow")):
            raise UsageError("--engine dask needs the dask extra, which is not installed "
                             "(pip install 'fitcli[dask]')")


def fit_declarations(card: ModelCard) -> dict[str, Decl]:
    """The declarations of FitOptions that depend on the model: its starts; the options
    that apply to measured targets only, hidden for class labels (still accepted, to say
    so); what --normalize does."""
    declared = {f.name: f.metadata["cli"] for f in fields(FitOptions) if "cli" in f.metadata}
    out = {"init": Decl((), speak(card.init_help), choices=card.inits, show_default=False)}
    if not card.measured:
        out.update({name: replace(declared[name], hidden=True) for name in ("sigma", "robust")})
        out["normalize"] = replace(declared["normalize"], help=NORMALIZE_LABELS)
        out["threshold"] = replace(declared["threshold"], help=THRESHOLD_LABELS)
        out["max_rms"] = replace(declared["max_rms"], help="Fail if the RMS of the residual "
                                 "tanh(z) - label exceeds this.")
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
        function = command(FitOptions, run, doc, fit_declarations(card),
                           model_parameters(card.options), card.name)
        app.command(card.name, short_help=card.summary.rstrip("."), epilog=epilog(card.name))(function)


def _runner(card: ModelCard):
    names = {o.name for o in card.options}

    def run(**values: Any) -> None:
        own = {k: values.pop(k) for k in list(values) if k in names}
        files = list(values.pop("file"))
        run_fit(card, FitOptions(file=files[0], **values, model_options=own), files)

    return run


def run_fit(card: ModelCard, options: FitOptions, files: list[str] | None = None) -> None:
    """Fit, report, save and exit with the report's exit code; several files one after
    the other, each as if alone (commands.files.run_several)."""
    from .files import per_file, run_several

    with reported_errors(options.debug):
        records = per_file(options, files or [options.file])
        for o in records:  # every usage error before the first fit
            o.validate(card)
    if len(records) > 1:
        raise typer.Exit(run_several(card, records, lambda o: _fit(card, o)[0]))
    with reported_errors(options.debug):
        report, data = _fit(card, records[0])
    raise typer.Exit(report.verdict.exit_code)


def _fit(card: ModelCard, o: FitOptions):
    from ..core.models import MODELS

    o, notes = o.validate(card)
    console.silence(o.silenced)
    for text in notes:
        console.note(text, o.quiet)
    model = model_variant(MODELS[card.name], card, o.model_options)
    if o.engine != "memory":
        from .engine_fit import fit_on_engine

        return fit_on_engine(card, model, o, deliver)
    table = _read(card, model, o)
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
    deliver(model, report, table, o, lambda: _write_files(report, data, o))
    return report, data


LARGE_FILE = 8 << 20  # bytes: a file that takes a while to read gets a spinner


def _read(card: ModelCard, model, o: FitOptions):
    """The input table; a spinner while a large file loads, a note when standard input
    is a terminal (else the command would seem to hang)."""
    from contextlib import nullcontext

    from ..io.csv_in import decimal_hint, read_table
    from ..io.points import read_points

    if o.file == "-":
        console.awaiting_input(f"{card.name} points ({', '.join(model.columns)})")
    large = o.file != "-" and os.path.isfile(o.file) and os.path.getsize(o.file) >= LARGE_FILE
    size = f" ({os.path.getsize(o.file) / 1e6:.0f} MB)" if large else ""
    with console.working(f"{card.name}: reading {o.file}{size}", o.quiet) if large else nullcontext():
        try:
            if o.decimal != ".":  # decimal commas: CSV text only
                return read_table(o.file, model.columns, model=card.name, rename=o.column_names,
                                  text_columns=model.text_columns, decimal=o.decimal)
            return read_points(o.file, model.columns, model=card.name, rename=o.column_names,
                               text_columns=model.text_columns)
        except DataError as exc:
            hint = decimal_hint(str(exc)) if o.decimal == "." else ""
            if not hint:
                raise
            raise DataError(f"{exc}{hint}") from None


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
    with about(table.source, None), console.working(f"{model.name}: the report", o.quiet):
        return build_report(model, table, data, fitted, request)  # normalises the data


def deliver(model, report, table, o: FitOptions, write_files) -> None:
    """The results of a fit, memory's or an engine's: its files (write_files()) and the
    model file of a usable result, staged and put in place together after the results
    are printed (an interrupt saves none of them); then what was saved, or why not.
    `table`: .source and .n_rows of the points."""
    from ..io.atomic import staged

    keep = report.saving(o.save_unconverged)
    with staged():
        write_files()
        if o.output is not None and keep.usable:
            console.output(o.output, _model_file(model, report, table), "`output`")
        _show(report, o.json_output, o.quiet or o.output == "-", o.verbose, o.several)
    if o.output not in (None, "-"):
        if keep.usable:
            console.note(f"model saved to {o.output}", o.quiet)
        else:
            console.warn(f"model not saved to {o.output}: {keep.why}")


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
    """The model file of the fit (see io.modelfile); its input named as files.shared_name
    names it (no machine path)."""
    from ..io.modelfile import dumps, fit_document
    from .files import shared_name

    return dumps(fit_document(model, report.result, shared_name(table.source), table.n_rows))


def _show(report, json_output: bool, quiet: bool, verbose: bool = False,
          several: int = 0) -> None:
    from ..report.document import document
    from ..report.layout import Text
    from ..report.tables import report_tables

    if json_output and several:
        console.write_json_line({**document(report), "exit_code": report.verdict.exit_code})
    elif json_output:
        console.write_json(document(report))
    elif not quiet:
        console.print_tables(([Text("")] if several > 1 else []) + report_tables(report, verbose))
    for text in report.warnings:
        console.warn(text)

"""The report of a fit: one typed record, built once from the fit, and the one rule that
decides whether its result is usable.  The exit code, saving and the warnings follow
from that rule; the JSON document (report.document) and the tables (report.tables) are
two renderings of the record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.diagnostics import diagnose
from ..core.models.base import Model, PointContext, Section
from ..core.result import FitResult, Status
from ..errors import (
    EXIT_DEGENERATE,
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_NOT_CONVERGED,
    EXIT_OK,
)
from .pointfile import Rows

UNSAVED = {
    Status.INTERRUPTED: "the fit was interrupted",
    Status.MAX_ITER: "the fit did not converge (`save_unconverged` saves it anyway)",
    Status.NON_FINITE: "the fit diverged (`save_unconverged` saves it anyway)",
    Status.DIVERGED: "the fit diverged (`save_unconverged` saves it anyway)",
    Status.STALLED: "the fit stalled before the optimum (`save_unconverged` saves it anyway)",
}
LOSS_LABELS = {"none": "mean squared point error", "huber": "mean Huber loss rho(s)",
               "cauchy": "mean Cauchy loss rho(s)",
               "ransac": "mean squared point error, inliers (last refit)"}


@dataclass(frozen=True)
class ReportRequest:
    """What the user asked of the report: the noise level, the outlier handling, the
    files to write and the quality gates."""

    sigma: float | None = None
    robust: str = "none"
    threshold: float | None = None
    residuals: str | None = None
    plot: str | None = None
    max_rms: float | None = None
    min_inliers: float | None = None
    require_converged: bool = False


@dataclass(frozen=True)
class Statistics:
    """What the residual says of a fit: its figures (residual sizes, sigma, the noise
    test: the JSON's "diagnostics"), and the uncertainty of the parameters (None where
    not determined)."""

    figures: dict[str, Any]
    factor: np.ndarray | None  # (p, k): cov = factor factor^T
    covariance: np.ndarray | None
    standard_errors: np.ndarray | None
    correlation: np.ndarray | None


@dataclass(frozen=True)
class Gate:
    """A quality gate: its name, limit, the value found, whether it passed, and the
    sentence that says so (the warning, when it failed)."""

    gate: str
    limit: Any
    value: Any
    passed: bool
    text: str


@dataclass(frozen=True)
class Verdict:
    """Whether the result can be used (saved), the exit code, and why not."""

    exit_code: int
    usable: bool
    why: str | None = None


@dataclass(frozen=True)
class Report:
    """Everything a fit's report says, computed once."""

    source: str
    model: Model
    result: FitResult
    request: ReportRequest
    inlier: np.ndarray | None  # (n,) bool; None when no threshold was given
    robust: dict[str, Any]  # the robust method, its threshold and what it found
    diagnostics: Statistics
    sections: tuple[Section, ...]  # the model's own (the camera, the classification)
    behind: list[int] | None  # rows of inlier points behind a camera; None: not a camera
    rows: Rows  # how rows are named: input lines, or 1-based data rows (standard input)
    gates: tuple[Gate, ...]
    warnings: tuple[str, ...]
    columns: dict | None = field(default=None, repr=False, compare=False)  # per-point
    behind_count: int | None = None  # an engine's count, when it names only the first rows

    @property
    def verdict(self) -> Verdict:
        return verdict(self)

    def saving(self, save_unconverged: bool = False) -> Verdict:
        """Whether `-o` saves the result: the verdict, with `save_unconverged` only a fit
        that did not converge saved anyway (nothing else that refuses a result)."""
        return verdict(self, waive_convergence=save_unconverged)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def verdict(report: Report, waive_convergence: bool = False) -> Verdict:
    """The one rule: the first of these that holds decides.

    interrupted (130); the data do not determine the model (3); not converged (4, or a
    gate failure with require_converged; skipped with `waive_convergence`); a camera with
    inlier points behind it, a robust fit that failed its check, or a model section that
    refuses its result (4); a quality gate failed (5); usable (0).
    """
    result = report.result
    if result.status is Status.INTERRUPTED:
        return Verdict(EXIT_INTERRUPTED, False, UNSAVED[Status.INTERRUPTED])
    for s in report.sections:
        if s.refusal and s.degenerate:
            return Verdict(EXIT_DEGENERATE, False, s.refusal)
    converged = result.success or report.request.require_converged
    if not converged and not waive_convergence:
        return Verdict(EXIT_NOT_CONVERGED, False, UNSAVED[result.status])
    if report.behind:
        return Verdict(EXIT_NOT_CONVERGED, False, "points are behind the fitted camera")
    check = report.robust.get("check")
    if check and not check["passed"]:
        return Verdict(EXIT_NOT_CONVERGED, False, check["text"])
    for s in report.sections:
        if s.refusal:
            return Verdict(EXIT_NOT_CONVERGED, False, s.refusal)
    if any(not g.passed for g in report.gates):
        return Verdict(EXIT_GATE, False, "a quality gate failed")
    if not converged:  # waived: saved all the same
        return Verdict(EXIT_NOT_CONVERGED, True, UNSAVED[result.status])
    return Verdict(EXIT_OK, True)


def build_report(model: Model, table, data, fitted, request: ReportRequest) -> Report:
    """The report of `fitted` (a core RobustFit of `model` to `data`, read from `table`,
    an io Table): statistics, the model's sections, outliers, gates and warnings.

    Raises:
        DegenerateDataError: the data cannot be normalised for the standard errors.
    """
    result, rows = fitted.result, Rows(table)
    warnings = [] if result.success else [result.message]
    counted = fitted.inlier if request.robust != "none" else None  # least squares: every point
    d, derived = _statistics(model, result, data, request.sigma, counted,
                             fitted.info.get("threshold"))
    if d.standard_errors is None:
        warnings.append("standard errors are not determined: the Jacobian is singular at this fit")
    test = d.figures.get("noise_test")
    if test and test["verdict_code"] != "ok":
        warnings.append(test["verdict"])
    columns = None  # per-point columns: only for the files that print them
    if request.residuals or request.plot:
        columns = model.point_table(result.params, data, **result.extra)
    context = PointContext(lambda: rows.numbers, (table.values, table.levels), counted)
    sections = derived + tuple(model.sections(result, data, context))
    for s in sections:
        warnings += s.warnings
    behind = _behind(model, result, data, columns, counted, rows, warnings)
    warnings += _geometry_warnings(model, result, data, d.figures)
    warnings += _inlier_warnings(request, fitted)
    check = fitted.info.get("check")
    if check and not check["passed"]:
        warnings.append(f"the {request.robust} fit failed its check: {check['text']}")
    if not fitted.info.get("confident", True):
        warnings.append(f"RANSAC stopped at its limit of {fitted.info['trials']} draws before "
                        "it was confident of one all-inlier sample: check `threshold`")
    robust = _robust(fitted, rows)
    gates = _gates(request, d.figures, robust, result)
    warnings += [f"quality gate failed: {g.text}" for g in gates if not g.passed]
    return Report(table.source, model, result, request, fitted.inlier, robust, d,
                  sections, behind, rows, gates, tuple(warnings), columns)


class NamedRows:
    """How an engine's report names rows: "line" (CSV) or "row" (Parquet), the numbers
    found by the engine's passes."""

    def __init__(self, kind: str):
        self.kind, self.numbers = kind, None


def build_engine_report(model: Model, source: str, kind: str, result: FitResult, summary,
                        info: dict, request: ReportRequest, numbers) -> Report:
    """The report of an engine fit (core.engines): `summary` is its EngineReport,
    `info` the robust method's, `numbers(index)` the line or row of global row indices.
    What the memory engine's report computes per point comes from the summary's sums."""
    d, warnings = summary.figures, ([] if result.success else [result.message])
    derived = d.pop("sections")
    for s in derived:
        d.pop(s.key)
    stats = Statistics(d, d.pop("factor"), d.pop("covariance"), d.pop("standard_errors", None),
                       d.pop("correlation", None))
    if stats.standard_errors is None:
        warnings.append("standard errors are not determined: the Jacobian is singular at this fit")
    test = d.get("noise_test")
    if test and test["verdict_code"] != "ok":
        warnings.append(test["verdict"])
    for s in derived:
        warnings += s.warnings
    behind = None if summary.behind is None else numbers(summary.behind)
    if behind:
        from .tables import listing

        warnings.append(f"{summary.behind_count} points are behind the fitted camera (depth <= 0), "
                        f"where no real camera sees them: {kind}s {listing(behind)}; "
                        "check the correspondences")
    robust = dict(info)
    if summary.n_inliers is not None:
        robust.update({"n_inliers": summary.n_inliers, "n_points": result.n_points,
                       f"outlier_{kind}s": numbers(summary.outliers)})
    gates = _gates(request, d, robust, result)
    warnings += [f"quality gate failed: {g.text}" for g in gates if not g.passed]
    return Report(source, model, result, request, None, robust, stats, tuple(derived), behind,
                  NamedRows(kind), gates, tuple(warnings), None, summary.behind_count)


ILL_CONDITIONED = 1e4  # condition number of J^T J (normalised frame) beyond which to warn


def _geometry_warnings(model, result, data, figures) -> list[str]:
    """Near-degenerate data, said with its figure: an ill-conditioned fit (measured
    models: points nearly on a plane or a line), and the model's own (a ratio's pole)."""
    out = []
    condition = figures.get("condition_number")
    if model.measured and condition is not None and condition > ILL_CONDITIONED:
        what = model.geometry(data)
        out.append(f"the fit is ill-conditioned: the condition number of J^T J in the "
                   f"normalised frame is {condition:.3g} (points well spread give 10 to 1000)"
                   + (f"; {what}" if what else "") + ": some parameters are poorly determined "
                   "(see their standard errors)")
    return out + model.fit_warnings(result.params, data)


LOW_INLIERS = 0.5  # least squares with fewer inliers than this is not a model of most points


def _inlier_warnings(request: ReportRequest, fitted) -> list[str]:
    """A threshold that only labels points (no --robust), when most points are outliers
    of the least-squares fit: outliers have pulled it away from the rest."""
    if request.robust != "none" or fitted.inlier is None or not len(fitted.inlier):
        return []
    n, inside = len(fitted.inlier), fitted.info["n_inliers"]
    if inside >= LOW_INLIERS * n:
        return []
    return [f"only {inside} of {n} points ({inside / n:.0%}) are within `threshold` "
            f"{request.threshold:g} of the least-squares fit: outliers have pulled it away "
            "from the other points (`robust=ransac` fits the points within the threshold)"]


def _statistics(model, result, data, sigma, inlier,
                threshold) -> tuple[Statistics, tuple[Section, ...]]:
    """core.diagnostics.diagnose, in the fit's own frame when it ran on these points."""
    frame = result.frame
    own = frame is not None and frame.n == len(data[0])
    d = diagnose(model, result.params, data, sigma=sigma, inlier=inlier,
                 frame=frame if own else None, threshold=threshold)
    sections = d.pop("sections")
    for s in sections:
        d.pop(s.key)
    stats = Statistics(d, d.pop("factor"), d.pop("covariance"), d.pop("standard_errors", None),
                       d.pop("correlation", None))
    return stats, sections


def _behind(model, result, data, columns, inlier, rows, warnings) -> list[int] | None:
    """Rows of the (inlier) points at or behind a camera (depth <= 0), which no real
    camera sees: such a fit is not a usable camera.  None for a model with no depth."""
    depth = model.depths(result.params, data) if columns is None else columns.get("depth")
    if depth is None:
        return None
    behind = ~(depth > 0)
    if inlier is not None:
        behind &= inlier
    numbers = rows.of(behind)
    if numbers:
        from .tables import listing

        warnings.append(f"{len(numbers)} points are behind the fitted camera (depth <= 0), "
                        f"where no real camera sees them: {rows.kind}s {listing(numbers)}; "
                        "check the correspondences")
    return numbers


def _robust(fitted, rows) -> dict[str, Any]:
    out = dict(fitted.info)
    if fitted.inlier is not None:
        out["n_points"] = len(fitted.inlier)
        out["outlier_" + rows.kind + "s"] = rows.of(~fitted.inlier)
        out["inlier"] = fitted.inlier
    return out


def loss_label(model: Model, method: str) -> str:
    """What the loss curve of a fit by `method` shows, with its units."""
    if not model.measured:
        return model.loss_label
    return LOSS_LABELS[method] + ", input's units"


def _gates(request: ReportRequest, figures: dict, robust: dict, result: FitResult) -> tuple[Gate, ...]:
    """The quality gates asked for, each with the sentence of its outcome."""
    gates = []
    if request.max_rms is not None:
        rms, limit = figures["rms"], request.max_rms
        passed = bool(rms <= limit)  # NaN: no point counted, failed
        sign = "<=" if passed else ">"
        gates.append(Gate("max-rms", limit, rms, passed,
                          f"RMS point error {rms:.6g} {sign} `max_rms` {limit:g}"))
    if request.min_inliers is not None:
        fraction, limit = robust["n_inliers"] / robust["n_points"], request.min_inliers
        passed = fraction >= limit
        gates.append(Gate("min-inliers", limit, fraction, passed,
                          f"inlier fraction {fraction:.4g} {'>=' if passed else '<'} "
                          f"`min_inliers` {limit:g}"))
    if request.require_converged:
        gates.append(Gate("require-converged", True, result.success, result.success,
                          f"`require_converged`: {result.message}"))
    return tuple(gates)

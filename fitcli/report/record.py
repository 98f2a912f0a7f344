"""The fit report's shell side: its options, the robust fit, the report document,
--residuals, --plot and the quality gates.  The numbers come from core.diagnostics,
core.robust_fit and core.camera; report.py prints them."""

from __future__ import annotations

import enum
import inspect
import os
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from .errors import UsageError

REPORT_PANEL = "Report and outliers"
GATE_PANEL = "Quality gates (exit code 5 when one fails)"
DEFAULT_THRESHOLD_SIGMAS = 3.0
ROBUST_MODELS = ("ratio2d", "project3d")


class RobustMethod(str, enum.Enum):
    none = "none"
    huber = "huber"
    cauchy = "cauchy"
    ransac = "ransac"


def _positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be > 0; got {value:g}")
    return value


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _opt(help: str, panel: str = REPORT_PANEL, *names: str, **kw) -> typer.models.OptionInfo:
    return typer.Option(*names, help=help, rich_help_panel=panel, **{"show_default": False, **kw})


OPTIONS = [
    _option("sigma", Annotated[Optional[float], _opt(
        "Known noise per target coordinate (pixels, ratio units): tests the residual against "
        "it and uses it for the standard errors (else sigma is estimated).",
        callback=_positive)], None),
    _option("robust", Annotated[RobustMethod, _opt(
        "Outlier handling (ratio2d, project3d): huber or cauchy loss on the point error, or "
        "RANSAC over minimal sets then least squares on the inliers.", show_default=True)],
        RobustMethod.none),
    _option("threshold", Annotated[Optional[float], _opt(
        "Point error (input's units) beyond which a point is an outlier; the scale of "
        "--robust (default with --sigma: 3 x sigma).", callback=_positive)], None),
    _option("residuals", Annotated[Optional[str], _opt(
        "Write per-point predictions, residuals and inlier flags to this CSV file.",
        metavar="FILE")], None),
    _option("plot", Annotated[Optional[str], _opt(
        "Draw the loss curve and the fit to FILE (.png, .pdf or .svg; needs matplotlib).",
        metavar="FILE")], None),
    _option("max_rms", Annotated[Optional[float], _opt(
        "Fail if the RMS point error (of the inliers with --robust) exceeds this.", GATE_PANEL,
        callback=_positive)], None),
    _option("min_inliers", Annotated[Optional[float], _opt(
        "Fail if fewer than this fraction of the points are inliers.", GATE_PANEL,
        min=0.0, max=1.0, metavar="FRACTION")], None),
    _option("require_converged", Annotated[bool, _opt(
        "Make a fit that did not converge a gate failure (exit 5 instead of 4).", GATE_PANEL,
        "--require-converged")],
        False),
]


@dataclass(frozen=True)
class Settings:
    sigma: float | None
    robust: str
    threshold: float | None
    residuals: str | None
    plot: str | None
    max_rms: float | None
    min_inliers: float | None
    require_converged: bool


def settings(name: str, o: dict[str, Any], note) -> Settings:
    """The report options of one command, checked before any numeric work.

    Raises:
        UsageError: an option that does not apply, a missing threshold, an unwritable
            output folder, or --plot without matplotlib.
    """
    robust, sigma, threshold = o["robust"].value, o["sigma"], o["threshold"]
    if name not in ROBUST_MODELS:
        for flag, given in (("--sigma", sigma is not None), ("--robust", robust != "none")):
            if given:
                raise UsageError(f"{flag} applies to ratio2d and project3d (noisy targets); "
                                 f"{name} fits class labels")
    if robust != "none" and threshold is None:
        if sigma is None:
            raise UsageError(f"--robust {robust} needs --threshold (the point error beyond which "
                             "a point is an outlier, in the input's units) or --sigma")
        threshold = DEFAULT_THRESHOLD_SIGMAS * sigma
        note(f"--threshold {threshold:g} ({DEFAULT_THRESHOLD_SIGMAS:g} x --sigma)")
    if o["min_inliers"] is not None and threshold is None:
        raise UsageError("--min-inliers needs --threshold (or --robust) to tell inliers apart")
    for flag in ("residuals", "plot"):
        _check_output(f"--{flag}", o[flag])
    if o["plot"] is not None:
        _check_plot(o["plot"])
    return Settings(sigma, robust, threshold, o["residuals"], o["plot"], o["max_rms"],
                    o["min_inliers"], o["require_converged"])


def _check_output(flag: str, path: str | None) -> None:
    if path is None:
        return
    if path == "-":
        raise UsageError(f"{flag} needs a file name (standard output holds the results)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a folder, not a file")


def _check_plot(path: str) -> None:
    from . import plot

    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in plot.FORMATS:
        raise UsageError(f"--plot {path}: the name must end in .png, .pdf or .svg")
    if not plot.available():
        raise UsageError(f"--plot needs matplotlib, which is not installed ({plot.INSTALL_HINT})")


def progress_figures(s: Settings):
    """The progress line's figures: the model's (e.g. rmse) only for least squares,
    where sqrt(loss) is an RMS; a robust loss is shown as the loss alone."""
    return (lambda info: info.figures()) if s.robust == "none" else (lambda info: {})


def robust_fit(model, data, s: Settings, seed: int, **fit_options):
    from .core.robust_fit import robust_fit as core_robust_fit

    return core_robust_fit(model, data, s.robust, s.threshold, seed, **fit_options)


def complete(document: dict, model, table, data, fitted, s: Settings, options: dict) -> list[dict]:
    """Add the report to `document` (diagnostics, standard errors, camera, outliers, gates,
    warnings; plain JSON types), write --residuals and --plot, and return the gates."""
    from .core.diagnostics import diagnose
    from .core.result import _plain
    from .pointfile import Rows, write_residuals

    result, rows, warnings = fitted.result, Rows(table), []
    counted = fitted.inlier if s.robust != "none" else None  # least squares used every point
    d = diagnose(model, result.params, data, sigma=s.sigma, inlier=counted, **options)
    _statistics(document, d, model.param_names, warnings)
    columns = None  # per-point columns: only for the files that print them
    if s.residuals or s.plot:
        columns = model.point_table(result.params, data, **result.extra)
    depth = model.depths(result.params, data) if columns is None else columns.get("depth")
    _camera(document, d.pop("camera", None), depth, rows, counted, warnings)
    document["robust"] = _robust_section(fitted, rows)
    if not fitted.info.get("confident", True):
        warnings.append(f"RANSAC stopped at its limit of {fitted.info['trials']} draws before "
                        "it was confident of one all-inlier sample: check --threshold")
    if s.residuals:
        write_residuals(s.residuals, model, result, data, columns, d["sigma"], fitted.inlier, rows, options)
        document["residuals_file"] = s.residuals
    if s.plot:
        _write_plot(s.plot, model, result, data, columns, fitted.inlier, s.robust)
        document["plot_file"] = s.plot
    gates = _gates(document, s, result)
    warnings += [f"quality gate failed: {g['text']}" for g in gates if not g["passed"]]
    document.update(_plain({**document, "gates": gates, "warnings": warnings}))
    return gates


def _statistics(document: dict, d: dict, names, warnings: list) -> None:
    """diagnostics, standard_errors and correlation of the document (d is consumed)."""
    d.pop("covariance")
    se, corr = d.pop("standard_errors", None), d.pop("correlation", None)
    document["diagnostics"] = {k: v for k, v in d.items() if k != "camera"}
    if se is None:
        warnings.append("standard errors are not determined: the Jacobian is singular at this fit")
    else:
        document["standard_errors"] = dict(zip(names, se))
        document["correlation"] = corr
    if d.get("noise_test", {}).get("verdict_code", "ok") != "ok":
        warnings.append(d["noise_test"]["verdict"])


def _camera(document: dict, camera, depth, rows, inlier, warnings: list) -> None:
    """project3d: K, R, C with errors, and the points (inliers) behind the camera
    (depth <= 0), which no real camera sees: such a fit is not a usable camera."""
    from .report import listing

    if camera is not None:
        document["camera"] = camera
        warnings += camera["warnings"]
    if depth is not None:
        behind = ~(depth > 0)
        if inlier is not None:
            behind &= inlier
        numbers = rows.of(behind)
        document["behind_camera"] = {"count": len(numbers), rows.kind + "s": numbers}
        if numbers:
            warnings.append(f"{len(numbers)} points are behind the fitted camera (depth <= 0), "
                            f"where no real camera sees them: {rows.kind}s {listing(numbers)}; "
                            "check the correspondences")


def _robust_section(fitted, rows) -> dict:
    out = dict(fitted.info)
    if fitted.inlier is not None:
        out["n_points"] = len(fitted.inlier)
        out["outlier_" + rows.kind + "s"] = rows.of(~fitted.inlier)
        out["inlier"] = fitted.inlier
    return out


LOSS_LABELS = {"none": "mean squared point error", "huber": "mean Huber loss rho(s)",
               "cauchy": "mean Cauchy loss rho(s)",
               "ransac": "mean squared point error, inliers (last refit)"}


def _write_plot(path, model, result, data, columns, inlier, method) -> None:
    from . import plot
    from .pointfile import write

    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    label = (f"mean {model.loss_function} loss through {model.activation}" if model.name == "linear-tanh"
             else LOSS_LABELS[method] + ", input's units")
    image = plot.render(model.name, data, result.params, result.history, columns, inlier, fmt, label)
    write(path, "--plot", image)


def _gates(document: dict, s: Settings, result) -> list[dict]:
    """Each gate: name, limit, value, passed, and a sentence for the warning."""
    gates = []
    if s.max_rms is not None:
        rms = document["diagnostics"]["rms"]
        gates.append({"gate": "max-rms", "limit": s.max_rms, "value": rms,
                      "passed": bool(rms <= s.max_rms),  # False for NaN
                      "text": f"RMS point error {rms:.6g} > --max-rms {s.max_rms:g}"})
    if s.min_inliers is not None:
        robust = document["robust"]
        fraction = robust["n_inliers"] / robust["n_points"]
        gates.append({"gate": "min-inliers", "limit": s.min_inliers, "value": fraction,
                      "passed": fraction >= s.min_inliers,
                      "text": f"inlier fraction {fraction:.4g} < --min-inliers {s.min_inliers:g}"})
    if s.require_converged:
        gates.append({"gate": "require-converged", "limit": True, "value": result.success,
                      "passed": result.success,
                      "text": f"--require-converged: {result.message}"})
    return gates

"""The report as one JSON document: a rendering of the report record.

Every top-level key is declared in KEYS, in the order of the document; docs/report.md
documents each, and the nested keys below them.  A figure that cannot be computed is
null, never a missing key: the standard errors of a fit whose Jacobian is singular are
an object of nulls, its correlation a matrix of nulls.
"""

from __future__ import annotations

from typing import Any

from ..core.result import plain
from .console import speak

KEYS = {
    "input": "the input file (or <stdin>)",
    "model": "the model fitted",
    "optimizer": "the optimizer that ran",
    "params": "the fitted parameters by name, in the input's units and the stated normalisation",
    "loss": "the mean per-point loss at the result, in the input's units",
    "n_points": "the points read",
    "iterations": "iterations of the optimizer",
    "evaluations": "passes over the data by the optimizer, after the start",
    "converged": "whether a convergence criterion stopped the fit",
    "status": "why the fit stopped (gtol, ftol, xtol, max_iter, non_finite, stalled, diverged, interrupted)",
    "message": "the status in a sentence",
    "grad_norm": "the norm of the gradient at the result, in the fit's internal coordinates",
    "seconds": "the time the fit took",
    # the model's own figures (FitResult.extra)
    "matrix": "ratio2d, project3d: the parameters as a matrix",
    "normalization": "ratio2d, project3d: the normalisation the matrix is stated in",
    "z_scale": "linear-tanh: the unit of z in the loss",
    "standardized": "linear-tanh: whether z is measured in units of std(y)",
    "activation": "linear-tanh: the activation",
    "loss_function": "linear-tanh: the loss",
    "form": "linear-tanh: the form of z",
    "accuracy": "linear-tanh: the share of points classified right",
    "engine": "--engine stream or dask: where the passes ran, how many, over how many partitions",
    "start_passes": "linear-tanh: passes over the data by the start",
    "rmse": "the RMS error: of the residuals least squares minimised, or of the point errors",
    "distortion": "project3d's parametric camera: the distortion coefficients it frees",
    "skew": "project3d's parametric camera: free or zero",
    "intrinsics": "project3d's parametric camera: K and the distortion given, or null",
    "mirror": "project3d's parametric camera: the world axis mirrored (Z) or none",
    # the report
    "diagnostics": "the residual's figures, the noise level and the noise test",
    "standard_errors": "the standard error of each parameter",
    "correlation": "the correlation matrix of the parameters",
    "camera": "project3d: the camera K [R | -R C] with standard errors",
    "behind_camera": "camera models: the (inlier) points at or behind the camera",
    "robust": "the outlier handling and the inliers found",
    "residuals_file": "the per-point file written (--residuals)",
    "plot_file": "the plot written (--plot)",
    "gates": "the quality gates and their results",
    "warnings": "what the user should know about this result",
    "classification": "linear-tanh: the classification report",
    "model_choice": "project3d's parametric camera: the pinhole fit beside it and the test",
    # several input files in one run: one document per line (JSON Lines)
    "exit_code": "several files: the exit code of this file's fit",
    "error": "several files: why this file was not fitted (then only input, model, exit_code)",
}
FRONT = ("camera",)  # model sections placed with the statistics; the others come last


def document(report) -> dict[str, Any]:
    """The JSON document of a fit's report (report.record.Report): plain JSON types, NaN
    and inf as null, messages in the user's words."""
    result, d = report.result, report.diagnostics
    doc = {"input": report.source, **result.to_dict()}
    doc["message"] = speak(doc["message"])
    doc["diagnostics"] = d.figures
    p = len(result.param_names)
    se = d.standard_errors if d.standard_errors is not None else [None] * p
    doc["standard_errors"] = dict(zip(result.param_names, se))
    doc["correlation"] = d.correlation if d.correlation is not None else [[None] * p] * p
    for s in report.sections:
        if s.key in FRONT:
            doc[s.key] = _angles(s.content) if s.key == "camera" else s.content
    if report.behind is not None:
        count = len(report.behind) if report.behind_count is None else report.behind_count
        doc["behind_camera"] = {"count": count, report.rows.kind + "s": report.behind}
    doc["robust"] = report.robust
    if report.request.residuals:
        doc["residuals_file"] = report.request.residuals
    if report.request.plot:
        doc["plot_file"] = report.request.plot
    doc["gates"] = [{"gate": g.gate, "limit": g.limit, "value": g.value, "passed": g.passed,
                     "text": speak(g.text)} for g in report.gates]
    doc["warnings"] = [speak(w) for w in report.warnings]
    for s in report.sections:
        if s.key not in FRONT:
            doc[s.key] = s.content
    return plain(doc)


def _angles(camera: dict[str, Any]) -> dict[str, Any]:
    """The camera with `angles` as the angles themselves ({rx, ry, rz} in degrees, null
    for a left-handed camera), their convention in `angle_convention`."""
    figures = camera.get("figures", {})
    if not isinstance(camera.get("angles"), str) or "rx" not in figures:
        return camera
    out = {}
    for key, value in camera.items():
        if key == "angles":
            out["angles"] = {k: figures[k] for k in ("rx", "ry", "rz")}
            out["angle_convention"] = value  # the model's (e.g. with a mirrored world axis)
        else:
            out[key] = value
    return out

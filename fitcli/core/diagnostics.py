"""What a fit tells its user: residual figures, a noise test, standard errors.

With independent Gaussian noise of standard deviation sigma on every target coordinate,
the sum of squares at the least-squares optimum follows sigma^2 chi2(dof) with

    dof = n * (targets per point) - (free parameters)
        = 2n - 11 (project3d),  n - 5 (ratio2d),  n - 2 (linear-tanh)

so the estimated sigma is sqrt(SS / dof), and the expected root-mean-square point error
is sigma sqrt(dof / n)  (sigma sqrt(2 - 11/n) for project3d, docs/math.md s.3).

Standard errors come from the Gauss-Newton matrix J^T J at the optimum, computed in the
fit's Hartley frame (well conditioned).  A model with a scale gauge has J q = 0: J^T J
is inverted on the tangent space of the unit sphere at q and the result is mapped to
the reported normalisation by the Jacobian of that normalisation (which also kills the
gauge direction), so the covariance of the reported parameters has rank p - 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models.base import Frame, Model
from .robust import squared_errors, truncated_moments
from .stats import chi2_cdf, chi2_sf, median

ALPHA = 0.001  # the noise test's significance on each side
# A loss that is a mean negative log-likelihood (linear-tanh's cross-entropy) has no noise
# scale: the covariance is the inverse of the total Hessian n H, and since the kernel's H
# plays the part of 2 J^T J / n below, that is (J^T J)^-1 / 2, i.e. sigma^2 = 1/2.
LIKELIHOOD_SIGMA = math.sqrt(0.5)
LIKELIHOOD_SOURCE = "none: the loss is -log P(label), errors from the inverse Hessian"
VERDICTS = {
    "ok": "the residual is what the noise explains",
    "too_large": "the residual is larger than the noise explains: the fit has not reached "
                 "the optimum or the model does not fit (or sigma is too small)",
    "too_small": "the residual is smaller than the noise explains: sigma is too large "
                 "(or the points were fitted before)",
}


def dof(model: Model, n: int) -> int:
    """Residual degrees of freedom: targets minus free parameters (the manifold's dim)."""
    return n * model.n_targets - model.manifold.dim


def internal_params(model: Model, frame: Frame, params: np.ndarray) -> np.ndarray:
    """q with params = frame.linear q + frame.offset (unit norm for a gauge model)."""
    q = np.linalg.solve(frame.linear, params - frame.offset)
    return q / np.linalg.norm(q) if model.manifold.gauge else q


def fitted_residuals(model: Model, params: np.ndarray, data, **options) -> np.ndarray:
    """r (n, targets): the residuals whose mean square the fit minimised, in the input's
    units (for linear-tanh that is tanh(z / z_scale) - l)."""
    frame = model.frame(data, False, **options)
    q = internal_params(model, frame, params)
    r = model.residuals(q, *frame.data) * math.sqrt(frame.cost_scale)
    return r.reshape(len(data[0]), model.n_targets)


def fitted_squares(model: Model, params: np.ndarray, data, **options) -> np.ndarray:
    """s (n,): each point's squared error |r_i|^2 (fitted_residuals), computed in blocks
    of CHUNK points: no product over all the points at once."""
    frame = model.frame(data, False, **options)
    q = internal_params(model, frame, params)
    return squared_errors(model, q, frame.data, math.sqrt(frame.cost_scale))


@dataclass(frozen=True)
class Spectrum:
    """J^T J on the free directions (the tangent space of a gauge), in a normalised frame:
    its eigenvalues (ascending) and eigenvectors, and the map of those directions to the
    reported parameters."""

    evals: np.ndarray  # (dim,)
    evecs: np.ndarray  # (dim, dim)
    directions: np.ndarray  # (p, dim): G @ basis, a unit step along each to the reported params
    cost_scale: float

    @property
    def condition(self) -> float:
        """Largest over smallest eigenvalue (inf if singular): free of units in the
        normalised frame, 10 to 1000 for points well spread."""
        if not np.all(np.isfinite(self.evals)) or not self.evals[0] > 0:
            return math.inf
        return float(self.evals[-1] / self.evals[0])

    def factor(self, sigma: float) -> np.ndarray | None:
        """F (p, dim) with cov = F F^T for noise sigma; None if singular."""
        if not np.all(np.isfinite(self.evals)) or self.evals[0] <= 1e-13 * self.evals[-1]:
            return None
        scale = sigma / math.sqrt(self.cost_scale)
        return scale * (self.directions @ self.evecs) / np.sqrt(self.evals)


def gauss_newton(model: Model, params: np.ndarray, data, frame: Frame | None = None,
                 **options) -> Spectrum:
    """The Spectrum of J^T J at `params`, computed in a normalised frame (well
    conditioned): the fit's own (`frame`) when it was normalised on these points, else
    one built here; at the internal parameters that map to `params` exactly."""
    if frame is None or not frame.normalized:
        frame = model.frame(data, True, **options)
    q = internal_params(model, frame, params)
    kernel = model.kernel_for(frame)
    H = kernel.normal(q)[2] * (kernel.n / 2.0)  # J^T J, internal units
    return spectrum_from_normal(model, frame, q, H)


def spectrum_from_normal(model: Model, frame: Frame, q: np.ndarray, H: np.ndarray) -> Spectrum:
    """The Spectrum of J^T J (p, p) at the internal parameters q of `frame` (a pass the
    fit already made, on an engine)."""
    A, b = frame.linear, frame.offset
    basis = model.manifold.tangent_basis(q)
    evals, evecs = np.linalg.eigh(basis.T @ H @ basis)
    G = model.canonical_jacobian(A @ q + b) @ A
    return Spectrum(evals, evecs, G @ basis, frame.cost_scale)


def covariance_factor(model: Model, params: np.ndarray, data, sigma: float,
                      frame: Frame | None = None, **options) -> np.ndarray | None:
    """F (p, dim) with cov(reported params) = F F^T, for noise sigma per target
    coordinate.  Each column is a one-sigma change of the parameters along a principal
    axis of their uncertainty.  See gauss_newton for the frame.

    Returns:
        None if J^T J is singular on the free directions (the data do not determine
        the parameters at this optimum).
    """
    return gauss_newton(model, params, data, frame, **options).factor(sigma)


def covariance(model: Model, params: np.ndarray, data, sigma: float, **options) -> np.ndarray | None:
    """cov (p, p) of the reported params (rank p - 1 for a gauge model); see covariance_factor."""
    F = covariance_factor(model, params, data, sigma, **options)
    return None if F is None else F @ F.T


def correlation(cov: np.ndarray) -> np.ndarray:
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(all="ignore"):
        corr = cov / np.outer(se, se)
    return np.where(np.outer(se, se) > 0, corr, np.nan)


def noise_test(sum_squares: float, sigma: float, dof_: int, n: int,
               cut: tuple[int, float] | None = None) -> dict[str, Any]:
    """Is SS / sigma^2 a plausible draw of chi2(dof)?  Two-sided at ALPHA per side.

    With `cut` = (m, c): the n points counted are those whose squared error s is at most
    c^2 (the inliers of a robust fit), so each s / sigma^2 is a chi2(m) cut at
    t = (c / sigma)^2, whose mean and variance are smaller (core.robust.truncated_moments).
    SS / sigma^2 is then compared with a chi2 scaled to that mean and variance, with
    the fitted parameters' share (m n - dof) taken off as in the uncut case.
    """
    ratio = math.sqrt(sum_squares) / sigma  # sigma**2 underflows (--sigma 1e-300) or overflows
    chi2, scale, df = ratio * ratio, 1.0, float(dof_)
    out: dict[str, Any] = {}
    if cut is not None:
        m, c = cut
        mean_one, var_one = truncated_moments(m, (c / sigma) * (c / sigma))
        share = dof_ / (m * n)  # what the fitted parameters leave of each point's freedom
        mean, var = n * mean_one * share, n * var_one * share
        if mean > 0 and var > 0:
            scale, df = var / (2.0 * mean), 2.0 * mean * mean / var
        out["cut_at"] = c
    statistic = chi2 / scale
    if chi2_sf(statistic, df) < ALPHA:
        code = "too_large"
    elif chi2_cdf(statistic, df) < ALPHA:
        code = "too_small"
    else:
        code = "ok"
    return {"expected_rms": sigma * math.sqrt(scale * df / n), "chi2": chi2, "dof": dof_,
            "p_value": chi2_sf(statistic, df), "verdict_code": code, "verdict": VERDICTS[code],
            **out}


def residual_figures(model: Model, r: np.ndarray) -> dict[str, Any]:
    """n, dof, SS, RMS point error, median and max point error, estimated sigma (NaN
    when no point is counted: a robust fit whose threshold no point is within)."""
    return square_figures(model, np.einsum("ij,ij->i", r, r))


def square_figures(model: Model, squares: np.ndarray, own: bool = False) -> dict[str, Any]:
    """residual_figures from each point's squared error (n,); own: `squares` may be
    overwritten (no copy of n values is made)."""
    n = len(squares)
    error = np.sqrt(squares, out=squares if own else None)
    ss = float(error @ error)
    largest = float(np.max(error)) if n else math.nan
    return figures_of(model, n, ss, median(error, overwrite=True), largest)


def figures_of(model: Model, n: int, ss: float, median: float, largest: float) -> dict[str, Any]:
    """residual_figures from the count, the sum of squares, the median and the largest
    point error (the sums an engine's pass adds up)."""
    d = dof(model, n)
    out = {"n": n, "dof": d, "sum_squares": ss, "rms": math.sqrt(ss / n) if n else math.nan,
           "median_error": median, "max_error": largest,
           "sigma_estimate": math.sqrt(ss / d) if d > 0 else math.nan}
    if model.n_targets > 1:
        out["rms_coordinate"] = math.sqrt(ss / (n * model.n_targets)) if n else math.nan
    return out


def diagnose(model: Model, params: np.ndarray, data, *, sigma: float | None = None,
             inlier: np.ndarray | None = None, frame: Frame | None = None,
             threshold: float | None = None, **options) -> dict[str, Any]:
    """The statistics of a fit (plain numpy values; see the module docstring): the
    residual figures, the noise test, sigma, the covariance of the parameters (None where
    not determined) with its factor (cov = factor factor^T), standard errors and
    correlations, and what the model derives from them (Model.derived, e.g. the camera:
    its Sections under "sections", their content under their keys).

    Args:
        sigma: the known noise per target coordinate; None estimates it from the residual.
        inlier: (n,) bool; the figures then describe the inliers only.
        threshold: the point error that made `inlier` (s <= threshold^2): the noise test
            then allows for the errors it cut off.
        frame: the fit's frame, when it was normalised on these points (else one is built).
        options: the fit's model options (e.g. standardize for linear-tanh).
    """
    part = data if inlier is None else tuple(a[inlier] for a in data)
    squares = fitted_squares(model, params, data, **options)
    rms_all = None if inlier is None else math.sqrt(float(np.mean(squares)))
    out = square_figures(model, squares if inlier is None else squares[inlier], own=True)
    out["points"] = "all points" if inlier is None else "inliers (error <= threshold)"
    if inlier is not None:
        out["rms_all"] = rms_all

    def spectrum() -> Spectrum:
        return gauss_newton(model, params, part, frame if inlier is None else None, **options)

    cut = (model.n_targets, threshold) if inlier is not None and threshold else None
    return complete(model, params, out, sigma, spectrum, cut)


def complete(model: Model, params: np.ndarray, out: dict[str, Any], sigma: float | None,
             spectrum, cut: tuple[int, float] | None = None) -> dict[str, Any]:
    """diagnose() after the residual figures `out`: sigma, the noise test (with `cut`,
    see noise_test), the covariance from spectrum() (a Spectrum, see gauss_newton) and
    its condition number, what the model derives."""
    given = sigma is not None
    sigma = sigma if given else out["sigma_estimate"]
    out["sigma"], out["sigma_source"] = sigma, ("given" if given else "estimated from the residual")
    if model.likelihood:
        sigma, out["sigma"], out["sigma_source"] = LIKELIHOOD_SIGMA, None, LIKELIHOOD_SOURCE
    if given:  # with no degrees of freedom left there is nothing to test: null
        out["noise_test"] = None if out["dof"] <= 0 else noise_test(
            out["sum_squares"], sigma, out["dof"], out["n"], cut)
    found, F = None, None
    if out["dof"] > 0:
        try:
            found = spectrum()
        except np.linalg.LinAlgError:  # e.g. parameters of a diverged fit
            found = None
    out["condition_number"] = found.condition if found is not None else None
    if found is not None and sigma > 0:
        F = found.factor(sigma)
    out["factor"] = F
    out["covariance"] = None if F is None else F @ F.T
    if F is not None:
        out["standard_errors"] = np.sqrt(np.einsum("ij,ij->i", F, F))
        out["correlation"] = correlation(out["covariance"])
    out["sections"] = tuple(model.derived(params, F))
    for section in out["sections"]:
        out[section.key] = section.content
    return out

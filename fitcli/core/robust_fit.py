"""robust_fit(): least squares, a Huber or Cauchy loss, or RANSAC, with an inlier mask.

    none     least squares on every point (the threshold, if given, only labels points)
    huber    minimise mean rho(s_i) with Huber's rho (core.robust), from a robust start
    cauchy   minimise mean rho(s_i) with Cauchy's rho, from a robust start
    ransac   MSAC over minimal sets on the Hartley-normalised data, then least squares on
             the consensus set, re-labelled and refitted until the inliers stop changing

Without a threshold, a robust method estimates the noise scale first: least median of
squares (LMedS) over minimal sets, refined on the points within 2.5 of its sigma, and
takes the threshold as 3 sigma.  The robust start of Huber and Cauchy is least squares
on RANSAC's consensus set; a Huber or Cauchy fit is then checked against least squares
on its own inliers, and one that outliers pulled away from them fails the check (the
report refuses it: exit 4).  RANSAC's check is that its refits keep most of the
consensus; an estimated scale's, that most points are within its threshold.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .choices import ROBUST_METHODS as METHODS
from .fit import fit, loss_floor
from .models import MODELS, Model
from .normalize import DegenerateDataError
from .result import FitResult, Status
from .robust import (
    INLIER_SIGMAS,
    LOSSES,
    least_median,
    ransac,
    squared_errors,
    truncated_moments,
)

MAX_ROUNDS = 10  # RANSAC: refit on the inliers at most this often
THRESHOLD_SIGMAS = 3.0  # the threshold from an estimated scale
CHECK_EXCESS = 0.05  # Huber/Cauchy: mean squared error of the inliers at most 5% above LS's
CHECK_KEPT = 0.9  # Huber/Cauchy: keep at least 90% of the robust start's inliers
RANSAC_LOSS = ("mean over the inliers of s, the squared point error (least squares on the "
               "RANSAC consensus set)")


@dataclass(frozen=True)
class RobustFit:
    """The fit, which points it counts as inliers, and how it treated the others."""

    result: FitResult
    inlier: np.ndarray | None  # (n,) bool; None when no threshold was given
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Start:
    """A robust start: parameters (input units) fitted by least squares to a consensus
    set, and that set."""

    result: FitResult
    inlier: np.ndarray
    trials: int  # minimal sets drawn


def robust_fit(model: str | Model, data: tuple[np.ndarray, ...], method: str = "none",
               threshold: float | None = None, seed: int = 0, **fit_options: Any) -> RobustFit:
    """Fit `model` to `data` by `method` (one of METHODS).

    Args:
        threshold: inlier error in the input's units (pixels for project3d, ratio units
            for ratio2d): the scale of huber/cauchy and RANSAC's inlier test; None with a
            robust method estimates it (3 x a robust sigma, see the module docstring).
        seed: the draws of minimal sets (and random starts).
        fit_options: passed to core.fit (optimizer, max_iter, callback, ...).

    Raises:
        ValueError: unknown method, or a threshold that is not > 0.
        DegenerateDataError: as fit(); a robust method also when too few points are
            inliers, or no minimal set gives a model.
    """
    model = MODELS[model] if isinstance(model, str) else model
    if method not in METHODS:
        raise ValueError(f"unknown robust method {method!r}; choose from {METHODS}")
    if threshold is not None and not threshold > 0:
        raise ValueError(f"the threshold must be > 0; got {threshold!r}")
    started = time.perf_counter()
    described = RANSAC_LOSS if method == "ransac" else _loss_text(LOSSES.get(method))
    info: dict[str, Any] = {"method": method, "threshold": threshold, "loss": described}
    start = None
    if method != "none":
        model.check(data)
        info["threshold_source"] = "given" if threshold is not None else "estimated"
        if threshold is None:
            start, scale = _estimated_scale(model, data, seed, **fit_options)
            # exact data: a sigma of rounding, the threshold not below the targets' digits
            threshold = max(THRESHOLD_SIGMAS * scale, math.sqrt(loss_floor(data[-1])))
            info.update(threshold=threshold, sigma_estimate=scale,
                        scale="3 x sigma from least median of squares, refined on the points "
                              f"within {INLIER_SIGMAS:g} sigma")
            if start.result.status is Status.INTERRUPTED:
                return _finish(model, data, start.result, method, threshold, info, started)
    if method == "ransac":
        result, more = _ransac_fit(model, data, threshold, seed, start, **fit_options)
        info.update(more)
    elif method in LOSSES:
        result, more = _m_estimate(model, data, LOSSES[method](threshold), seed, start,
                                   **fit_options)
        info.update(more)
    else:
        result = fit(model, data, seed=seed, **fit_options)
    return _finish(model, data, result, method, threshold, info, started)


def _finish(model, data, result, method, threshold, info, started) -> RobustFit:
    """The inlier mask, n_inliers, and the RMS of the point errors (robust) or of the
    residuals least squares minimised (for linear-tanh those of tanh(z / z_scale))."""
    rmse, inlier = math.sqrt(result.cost), None
    if threshold is not None or method != "none":
        s = squared_errors(model, result.params, data)
        inlier = None if threshold is None else s <= threshold * threshold
        if inlier is not None:
            info["n_inliers"] = int(np.count_nonzero(inlier))
        if method != "none":
            rmse = math.sqrt(float(np.mean(s)))
        if info.get("threshold_source") == "estimated":
            majority = _majority(info["n_inliers"], len(inlier))
            if not majority["passed"] or "check" not in info:
                info["check"] = majority
    extra = {**result.extra, "rmse": rmse}
    result = dataclasses.replace(result, n_points=len(data[0]), extra=extra,
                                 seconds=time.perf_counter() - started)
    return RobustFit(result, inlier, info)


def _loss_text(loss) -> str:
    """What a fit with `loss` (a class or an instance of core.robust's, or None for least
    squares) minimises, in words."""
    if loss is None:
        return "mean over the points of s, the squared point error (least squares)"
    return f"mean over the points of rho(s), s = the squared point error; {loss.formula}"


def _subset(data: tuple[np.ndarray, ...], mask: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.ascontiguousarray(a[mask]) for a in data)


def _least_squares_on(model, data, inlier, what: str, threshold: float, **fit_options):
    """Least squares on the points of `inlier` (n,).

    Raises:
        DegenerateDataError: fewer inliers than the model needs.
    """
    count = int(np.count_nonzero(inlier))
    if count < model.min_points:
        raise DegenerateDataError(
            f"{what}: only {count} points lie within the threshold {threshold:g}; "
            f"{model.name} needs {model.min_points} (is `threshold` in the input's units?)")
    return fit(model, _subset(data, inlier), **fit_options)


def _estimated_scale(model, data, seed: int, **fit_options) -> tuple[_Start, float]:
    """LMedS on the normalised data, then least squares on the points within 2.5 of its
    sigma, and sigma again from them: sqrt(SS / (m n_in - p)), corrected for the cut
    (E[chi2(m) | below (2.5)^2] < m).  Returns the start and sigma (input units)."""
    frame = model.frame(data, True)
    median = least_median(model, frame.data, np.random.default_rng(seed))
    sigma = median.sigma * math.sqrt(frame.cost_scale)
    cut = INLIER_SIGMAS * sigma
    s = squared_errors(model, frame.to_original(median.params), data)
    result = _least_squares_on(model, data, s <= cut * cut, "least median of squares", cut,
                               seed=seed, **fit_options)
    s = squared_errors(model, result.params, data)
    inlier = s <= cut * cut
    m, count = model.n_targets, int(np.count_nonzero(inlier))
    mean, _ = truncated_moments(m, INLIER_SIGMAS**2)
    dof = max(m * count - model.manifold.dim, 1)
    sigma = math.sqrt(float(np.sum(s[inlier])) / dof * m / mean) if count else sigma
    return _Start(result, inlier, median.trials), sigma


def _majority(inliers: int, n: int) -> dict[str, Any]:
    """The check of an estimated scale: LMedS assumes most points are inliers."""
    passed = inliers * 2 >= n
    text = (f"{inliers} of {n} points are within the estimated threshold" if passed else
            f"the estimated noise scale assumes most points fit, but only {inliers} of {n} "
            "are within 3 of its sigma: give `threshold` (or `sigma`)")
    return {"passed": passed, "kept": inliers, "start_inliers": None, "excess": None,
            "text": text}


def _consensus(model: Model, data, threshold: float, seed: int, start: _Start | None,
               **fit_options) -> tuple[_Start, dict[str, Any]]:
    """The robust start: least squares on RANSAC's consensus set (MSAC on the normalised
    data), with the threshold given or estimated (`start`: the estimate's, whose draws
    are counted too)."""
    frame = model.frame(data, True)
    consensus = ransac(model, frame.data, threshold / math.sqrt(frame.cost_scale),
                       np.random.default_rng(seed))
    result = _least_squares_on(model, data, consensus.inlier, "RANSAC", threshold, seed=seed,
                               **fit_options)
    trials = consensus.trials + (start.trials if start is not None else 0)
    info = {"seed": seed, "trials": trials, "confident": consensus.confident}
    return _Start(result, consensus.inlier, trials), info


def _ransac_fit(model: Model, data, threshold: float, seed: int, start: _Start | None,
                **fit_options):
    """Least squares on the consensus set, relabelled and refitted until stable (from
    RANSAC's consensus, and from the scale estimate's when there is one: the lower
    truncated loss sum min(s, threshold^2) wins); checked to keep most of the consensus."""
    first, info = _consensus(model, data, threshold, seed, start, **fit_options)
    ends = [_refitted(model, data, threshold, first, seed, **fit_options)]
    if start is not None and ends[0][0].status is not Status.INTERRUPTED:
        ends.append(_refitted(model, data, threshold, start, seed, **fit_options))
    result, inlier, rounds = min(ends, key=lambda end: end[3])[:3]
    info["refits"] = rounds
    if result.status is not Status.INTERRUPTED:
        info["check"] = _kept(model, result, data, first, threshold) or {
            "passed": True, "kept": int(np.count_nonzero(inlier)),
            "start_inliers": int(np.count_nonzero(first.inlier)), "excess": 0.0,
            "text": "least squares on its inliers"}
    return result, info


def _refitted(model, data, threshold: float, start: _Start, seed: int, **fit_options):
    """(result, inlier, refits, sum min(s, threshold^2)): least squares relabelled and
    refitted from `start` until its inliers stop changing (at most MAX_ROUNDS fits)."""
    result, rounds, inlier, t2 = start.result, 1, start.inlier, threshold * threshold
    while result.status is not Status.INTERRUPTED:
        s = squared_errors(model, result.params, data)
        new = s <= t2
        if np.array_equal(new, inlier) or rounds == MAX_ROUNDS:
            break
        inlier, rounds = new, rounds + 1
        result = _least_squares_on(model, data, inlier, "RANSAC", threshold, seed=seed,
                                   **fit_options)
    if result.status is Status.INTERRUPTED:
        return result, inlier, rounds, -math.inf  # the interrupted one is reported
    score = float(np.sum(np.minimum(squared_errors(model, result.params, data), t2)))
    return result, inlier, rounds, score


def _m_estimate(model: Model, data, loss, seed: int, start: _Start | None, **fit_options):
    """Huber or Cauchy from a robust start (least squares on a consensus set), checked
    against least squares on its own inliers."""
    start, info = _consensus(model, data, loss.c, seed, start, **fit_options)
    info["start"] = "least squares on a consensus set"
    if start.result.status is Status.INTERRUPTED:
        return start.result, info
    result = fit(model, data, seed=seed, loss=loss, start=start.result.params, **fit_options)
    if result.status is not Status.INTERRUPTED:
        try:
            info["check"] = _check(model, data, result, start, loss.c)
        except KeyboardInterrupt:  # in the check's own fit: the run is interrupted all the same
            result = dataclasses.replace(result, status=Status.INTERRUPTED)
    return result, info


def _kept(model, result, data, start: _Start, threshold: float) -> dict | None:
    """The failed check of a fit that kept fewer than CHECK_KEPT of its start's inliers
    (outliers pulled it away from them); None if it kept them."""
    s = squared_errors(model, result.params, data)
    kept = int(np.count_nonzero(s <= threshold * threshold))
    before = int(np.count_nonzero(start.inlier))
    if kept >= max(model.min_points, CHECK_KEPT * before):
        return None
    return {"passed": False, "kept": kept, "start_inliers": before, "excess": None,
            "text": f"the fit kept {kept} of the robust start's {before} inliers: its "
                    "outliers pulled it away from them (`robust=ransac` ignores them)"}


def _check(model, data, result, start: _Start, threshold: float) -> dict:
    """Whether the M-estimate still fits its inliers: at least CHECK_KEPT of the start's
    kept, and their mean squared error within CHECK_EXCESS of least squares on them."""
    failed = _kept(model, result, data, start, threshold)
    if failed is not None:
        return failed
    s = squared_errors(model, result.params, data)
    inlier = s <= threshold * threshold
    kept, before = int(np.count_nonzero(inlier)), int(np.count_nonzero(start.inlier))
    part = _subset(data, inlier)
    best = fit(model, part, start=result.params)
    if best.status is Status.INTERRUPTED:
        raise KeyboardInterrupt
    mine = float(np.mean(s[inlier]))
    excess = float((mine - best.cost) / max(best.cost, loss_floor(part[-1]), 1e-300))
    passed = bool(excess <= CHECK_EXCESS)
    text = (f"the mean squared error of its {kept} inliers is {excess:.2%} above least "
            "squares on them" + ("" if passed else ": its outliers pulled it away "
                                 "(`robust=ransac` or `robust=cauchy` ignore far outliers)"))
    return {"passed": passed, "kept": kept, "start_inliers": before, "excess": excess,
            "text": text}

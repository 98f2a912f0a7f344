"""robust_fit(): least squares, a Huber or Cauchy loss, or RANSAC, with an inlier mask.

    none     least squares on every point (the threshold, if given, only labels points)
    huber    minimise mean rho(s_i) with Huber's rho (core.robust)
    cauchy   minimise mean rho(s_i) with Cauchy's rho
    ransac   MSAC over minimal sets on the Hartley-normalised data, then least squares on
             the consensus set, re-labelled and refitted until the inliers stop changing
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .choices import ROBUST_METHODS as METHODS
from .fit import fit
from .models import MODELS, Model
from .normalize import DegenerateDataError
from .result import FitResult
from .robust import LOSSES, ransac, squared_errors

MAX_ROUNDS = 10  # RANSAC: refit on the inliers at most this often


@dataclass(frozen=True)
class RobustFit:
    """The fit, which points it counts as inliers, and how it treated the others."""

    result: FitResult
    inlier: np.ndarray | None  # (n,) bool; None when no threshold was given
    info: dict[str, Any] = field(default_factory=dict)


def robust_fit(model: str | Model, data: tuple[np.ndarray, ...], method: str = "none",
               threshold: float | None = None, seed: int = 0, **fit_options: Any) -> RobustFit:
    """Fit `model` to `data` by `method` (one of METHODS).

    Args:
        threshold: inlier error in the input's units (pixels for project3d, ratio units
            for ratio2d): the scale of huber/cauchy and RANSAC's inlier test.
        seed: RANSAC's draws (and random starts).
        fit_options: passed to core.fit (optimizer, max_iter, callback, ...).

    Raises:
        ValueError: unknown method, or a robust method without a positive threshold.
        DegenerateDataError: as fit(); RANSAC also when too few points are inliers.
    """
    model = MODELS[model] if isinstance(model, str) else model
    if method not in METHODS:
        raise ValueError(f"unknown robust method {method!r}; choose from {METHODS}")
    if method != "none" and not (threshold is not None and threshold > 0):
        raise ValueError(f"robust method {method!r} needs a threshold > 0; got {threshold!r}")
    started = time.perf_counter()
    info: dict[str, Any] = {"method": method, "threshold": threshold}
    if method == "ransac":
        result, ransac_info = _ransac_fit(model, data, threshold, seed, **fit_options)
        info.update(ransac_info)
    else:
        loss = LOSSES[method](threshold) if method in LOSSES else None
        result = fit(model, data, seed=seed, loss=loss, **fit_options)
        info["loss"] = _loss_text(loss)
    # least squares: the RMS of the residuals the fit minimised (for linear-tanh those of
    # tanh(z / z_scale), not of the raw z); a robust fit: of the point errors
    rmse, inlier = math.sqrt(result.cost), None
    if threshold is not None or method != "none":
        s = squared_errors(model, result.params, data)
        inlier = None if threshold is None else s <= threshold * threshold
        if inlier is not None:
            info["n_inliers"] = int(np.count_nonzero(inlier))
        if method != "none":
            rmse = math.sqrt(float(np.mean(s)))
    extra = {**result.extra, "rmse": rmse}
    result = dataclasses.replace(result, n_points=len(data[0]), extra=extra,
                                 seconds=time.perf_counter() - started)
    return RobustFit(result, inlier, info)


def _loss_text(loss) -> str:
    if loss is None:
        return "mean over the points of s, the squared point error (least squares)"
    return f"mean over the points of rho(s), s = the squared point error; {loss.formula}"


def _subset(data: tuple[np.ndarray, ...], mask: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.ascontiguousarray(a[mask]) for a in data)


def _ransac_fit(model: Model, data, threshold: float, seed: int, **fit_options):
    """RANSAC on the normalised data, then least squares on the inliers until stable."""
    model.check(data)
    frame = model.frame(data, True)
    consensus = ransac(model, frame.data, threshold / math.sqrt(frame.cost_scale),
                       np.random.default_rng(seed))
    inlier, rounds = consensus.inlier, 0
    while True:
        rounds += 1
        count = int(np.count_nonzero(inlier))
        if count < model.min_points:
            raise DegenerateDataError(
                f"RANSAC: only {count} points lie within the threshold {threshold:g}; "
                f"{model.name} needs {model.min_points} (is `threshold` in the input's units?)"
            )
        result = fit(model, _subset(data, inlier), seed=seed, **fit_options)
        new = squared_errors(model, result.params, data) <= threshold * threshold
        if np.array_equal(new, inlier) or rounds == MAX_ROUNDS:
            break
        inlier = new
    info = {"seed": seed, "trials": consensus.trials, "confident": consensus.confident,
            "refits": rounds,
            "loss": "mean over the inliers of s, the squared point error "
                    "(least squares on the RANSAC consensus set)"}
    return result, info

"""Robust fitting: Huber and Cauchy losses on the per-point error, and RANSAC.

A robust loss replaces the squared error s_i of point i (ru^2 + rv^2 for project3d,
r^2 for ratio2d) by rho(s_i); the fit then minimises mean_i rho(s_i).  With the weight
w_i = rho'(s_i) the gradient is 2 J^T W r / n exactly, and 2 J^T W J / n is the
Gauss-Newton matrix of iteratively reweighted least squares (IRLS).

Both losses take a threshold c in the units of the residual: a point with error
sqrt(s) <= c is weighted (nearly) as in least squares, and beyond c its influence
is bounded (Huber) or falls off (Cauchy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models.base import Model
from .normalize import DegenerateDataError
from .objective import CHUNK, COST, GRADIENT, NORMAL, Kernel, blocks
from .stats import chi2_cdf


@dataclass(frozen=True)
class Huber:
    """rho(s) = s for s <= c^2, else 2 c sqrt(s) - c^2;  rho'(s) = min(1, c / sqrt(s))."""

    c: float
    name = "huber"
    formula = "rho(s) = s if s <= T^2, else 2 T sqrt(s) - T^2, T the threshold"

    def rho(self, s: np.ndarray) -> np.ndarray:
        root = np.sqrt(s)  # c * c: a float's c**2 raises OverflowError for c = 1e300
        return np.where(root <= self.c, s, 2.0 * self.c * root - self.c * self.c)

    def weight(self, s: np.ndarray) -> np.ndarray:
        root = np.sqrt(s)
        return np.where(root <= self.c, 1.0, self.c / np.maximum(root, 1e-300))


@dataclass(frozen=True)
class Cauchy:
    """rho(s) = c^2 log(1 + s / c^2);  rho'(s) = 1 / (1 + s / c^2)."""

    c: float
    name = "cauchy"
    formula = "rho(s) = T^2 log(1 + s / T^2), T the threshold"

    def rho(self, s: np.ndarray) -> np.ndarray:
        return (self.c * self.c) * np.log1p(s / (self.c * self.c))

    def weight(self, s: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + s / (self.c * self.c))


LOSSES = {"huber": Huber, "cauchy": Cauchy}


def chunk_of(data: tuple[np.ndarray, ...], start: int, stop: int) -> tuple[np.ndarray, ...]:
    return tuple(a[start:stop] for a in data)


def squared_errors(model: Model, params: np.ndarray, data: tuple[np.ndarray, ...],
                   scale: float = 1.0) -> np.ndarray:
    """s (n,): each point's squared error |r_i * scale|^2, summed over its targets
    (Model.point_squares in blocks of CHUNK points: no product over all the points at
    once)."""
    out = np.empty(len(data[0]))
    for s, e in blocks(len(out)):
        out[s:e] = model.point_squares(params, chunk_of(data, s, e), scale)
    return out


class RobustKernel(Kernel):
    """mean rho(s_i), its gradient 2 J^T W r / n and 2 J^T W J / n, chunk by chunk.

    Works for any model from its hand-derived residuals() and jacobian(); the
    least-squares kernels stay untouched (and fast) when no robust loss is asked for.
    """

    def __init__(self, model: Model, data: tuple[np.ndarray, ...], loss: Any):
        super().__init__(len(data[0]))
        self.model, self.data, self.loss = model, data, loss
        self.m = model.n_targets

    def _chunk(self, params, s, e, jacobian: bool):
        part = chunk_of(self.data, s, e)
        r = self.model.residuals(params, *part).reshape(e - s, self.m)
        sq = np.einsum("ij,ij->i", r, r)
        J = self.model.jacobian(params, *part) if jacobian else None
        return r, sq, J

    @np.errstate(all="ignore")
    def sums(self, params, level):
        """(sum rho) for the cost, then sum J^T w r (p,), then sum J^T w J (p, p)."""
        if level == COST:
            total = 0.0
            for s, e in self.chunks():
                total += float(np.sum(self.loss.rho(self._chunk(params, s, e, False)[1])))
            return np.array([total])
        p = len(params)
        out = np.zeros(1 + p + (p * p if level == NORMAL else 0))
        g, H, total = out[1 : 1 + p], out[1 + p :].reshape(-1, p), 0.0
        for s, e in self.chunks():
            r, sq, J = self._chunk(params, s, e, True)
            total += float(np.sum(self.loss.rho(sq)))
            w = np.repeat(self.loss.weight(sq), self.m)
            g += J.T @ (w * r.ravel())
            if level == NORMAL:
                H += (J * w[:, None]).T @ J
        out[0] = total
        return out

    def finish(self, total, n, level):
        if level == COST:
            return float(total[0]) / n
        p = self.model.n_params
        grad = (2.0 / n) * total[1 : 1 + p]
        if level == GRADIENT:
            return float(total[0]) / n, grad
        return float(total[0]) / n, grad, (2.0 / n) * total[1 + p :].reshape(p, p)

    def chunks(self):
        # residuals() and jacobian() allocate per chunk: a smaller chunk keeps them in cache
        return blocks(self.n, max(1, CHUNK // 4))


def robust_kernel(model: Model, data: tuple, loss: Any, cost_scale: float) -> RobustKernel:
    """The kernel for `loss` (threshold in the input's units) on internal `data`.

    Internal residuals are the input's divided by sqrt(cost_scale), so is the threshold;
    rho(lambda s; sqrt(lambda) c) = lambda rho(s; c), so the mean loss maps back by
    cost_scale like a squared error.
    """
    return RobustKernel(model, data, type(loss)(loss.c / math.sqrt(cost_scale)))


def trials_needed(inlier_fraction: float, sample: int, confidence: float) -> float:
    """Draws for `confidence` of at least one all-inlier minimal set."""
    good = inlier_fraction**sample
    if good >= 1.0:
        return 1.0
    if good <= 0.0:
        return math.inf
    return math.log(1.0 - confidence) / math.log1p(-good)


@dataclass(frozen=True)
class Consensus:
    params: np.ndarray  # the best minimal-set model, internal coordinates
    inlier: np.ndarray  # (n,) bool: squared error <= threshold^2
    trials: int
    confident: bool  # False: stopped at max_trials before reaching the confidence


CONFIDENCE = 0.999  # of drawing at least one all-inlier minimal set
MAX_TRIALS = 10000


def _minimal_fit(model: Model, data: tuple, n: int, rng: np.random.Generator):
    """The DLT of one random minimal set (model.min_points points), or None if degenerate."""
    pick = rng.choice(n, model.min_points, replace=False)
    part = tuple(a[pick] for a in data)
    try:
        return model.start(model.kernel(*part), part, "dlt", rng)
    except DegenerateDataError:
        return None


def _finite_errors(model: Model, params: np.ndarray, data: tuple) -> np.ndarray:
    with np.errstate(all="ignore"):
        s = squared_errors(model, params, data)
    return np.where(np.isfinite(s), s, np.inf)


def ransac(model: Model, data: tuple, threshold: float, rng: np.random.Generator,
           confidence: float = CONFIDENCE, max_trials: int = MAX_TRIALS) -> Consensus:
    """MSAC: draw minimal sets (model.min_points), fit each by the model's DLT, score
    every point by min(s_i, threshold^2), keep the lowest total.  Beyond SCORE_SAMPLE
    points the hypotheses are scored on a sample of that many and the best is
    verified on every point (its inliers are counted on all of them).

    Args:
        data: the model's data tuple (preferably Hartley-normalised).
        threshold: inlier error in the units of data's residuals.

    Raises:
        DegenerateDataError: no minimal set gave a model.
    """
    n, k, t2 = len(data[0]), model.min_points, threshold * threshold
    scored = data if n <= SCORE_SAMPLE else _scoring_sample(data, n)
    m = len(scored[0])
    best, best_score, needed, trial = None, math.inf, float(max_trials), 0
    while trial < min(needed, max_trials):
        trial += 1
        params = _minimal_fit(model, data, n, rng)
        if params is None:
            continue
        s = _finite_errors(model, params, scored)
        score = float(np.sum(np.minimum(s, t2)))
        if score < best_score:
            best, best_score = (params, s <= t2), score
            needed = trials_needed(np.count_nonzero(best[1]) / m, k, confidence)
    if best is None:
        raise DegenerateDataError(f"RANSAC: none of {trial} minimal sets of {k} points gave a model")
    inlier = best[1]
    if scored is not data:  # verify the best hypothesis on every point
        inlier = _finite_errors(model, best[0], data) <= t2
    return Consensus(best[0], inlier, trial, trial >= needed)


SCORE_SAMPLE = 20000  # RANSAC scores its hypotheses on this many points, then verifies


def _scoring_sample(data: tuple, n: int) -> tuple:
    """SCORE_SAMPLE points drawn at random by a generator of their own (seeded by n),
    so that the minimal sets are drawn as they would be without the sample."""
    pick = np.sort(np.random.default_rng(n).choice(n, SCORE_SAMPLE, replace=False))
    return tuple(np.ascontiguousarray(a[pick]) for a in data)


# -- the noise scale, estimated robustly ------------------------------------------------------

LMEDS_OUTLIERS = 0.5  # the share of outliers least median of squares draws enough sets for
LMEDS_SAMPLE = 4096  # points that score each minimal set (all of them, below this)
INLIER_SIGMAS = 2.5  # the inliers a robust scale is refined on: error <= 2.5 sigma


@dataclass(frozen=True)
class Median:
    """Least median of squares: the minimal-set model whose median squared point error
    is lowest, and the noise scale that median implies."""

    params: np.ndarray  # internal coordinates, as `data`
    sigma: float  # noise per target coordinate, in the units of data's residuals
    trials: int


def chi2_median(m: int) -> float:
    """The median of chi2(m): 0.4549 for m = 1, 2 ln 2 for m = 2 (by bisection)."""
    lo, hi = 0.0, 10.0 * m + 10.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if chi2_cdf(mid, m) < 0.5 else (lo, mid)
    return 0.5 * (lo + hi)


def least_median(model: Model, data: tuple, rng: np.random.Generator,
                 confidence: float = CONFIDENCE) -> Median:
    """LMedS (Rousseeuw 1984): enough minimal sets for `confidence` of one without an
    outlier when up to half the points are outliers, each scored by the median of the
    squared point errors (on a subsample of LMEDS_SAMPLE points of a large set).  The
    scale is sigma = sqrt(median s / median of chi2(m)) (1 + 5 / (n - p)), m the targets
    per point, p the free parameters: consistent for Gaussian noise on the inliers.

    Raises:
        DegenerateDataError: no minimal set gave a model.
    """
    n, k = len(data[0]), model.min_points
    scored = data
    if n > LMEDS_SAMPLE:
        pick = np.sort(rng.choice(n, LMEDS_SAMPLE, replace=False))
        scored = tuple(a[pick] for a in data)
    draws = min(MAX_TRIALS, math.ceil(trials_needed(1.0 - LMEDS_OUTLIERS, k, confidence)))
    best, best_median = None, math.inf
    for _ in range(draws):
        params = _minimal_fit(model, data, n, rng)
        if params is None:
            continue
        median = float(np.median(_finite_errors(model, params, scored)))
        if median < best_median:
            best, best_median = params, median
    if best is None or not math.isfinite(best_median):
        raise DegenerateDataError(f"least median of squares: none of {draws} minimal sets of "
                                  f"{k} points gave a model")
    m, dim, count = model.n_targets, model.manifold.dim, len(scored[0])
    factor = 1.0 + 5.0 / max(count - dim, 1)
    return Median(best, math.sqrt(best_median / chi2_median(m)) * factor, draws)


def truncated_share(m: int, t: float) -> tuple[float, float]:
    """For X ~ chi2(m) cut at X <= t: (P(X <= t), E[X | X <= t] / m), the share of
    points kept and how much smaller their mean square is than the whole's."""
    kept = chi2_cdf(t, m)
    if kept <= 0.0:
        return 0.0, 0.0
    return kept, chi2_cdf(t, m + 2) / kept


def truncated_moments(m: int, t: float) -> tuple[float, float]:
    """Mean and variance of X ~ chi2(m) given X <= t:  E = m F_{m+2}(t) / F_m(t),
    E[X^2] = m (m + 2) F_{m+4}(t) / F_m(t)  (F_k: the chi2(k) distribution function)."""
    kept = chi2_cdf(t, m)
    if kept <= 0.0:
        return 0.0, 0.0
    mean = m * chi2_cdf(t, m + 2) / kept
    square = m * (m + 2) * chi2_cdf(t, m + 4) / kept
    return mean, max(square - mean * mean, 0.0)

"""The report's figures of an engine fit, as reductions: the fit's last pass (at its
result, engines.fit) adds up the canonical sign's votes, the model's figures, the point
errors' count, sum of squares, largest and a histogram (256 bins per octave of
error / RMS), the inliers and the points behind a camera; one more pass collects the
errors in the histogram bins that hold the median, which is then exact (np.median's
value).  The covariance reads the Gauss-Newton matrix of the fit's last LM pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..diagnostics import complete, figures_of, internal_params, spectrum_from_normal
from .base import Partial
from .tasks import chunk_residuals, point_errors, raw_data  # noqa: F401  (public here)

PER_OCTAVE, OCTAVES = 256, 48  # bins of log2(error / rms) in [-OCTAVES, OCTAVES)
BINS = 2 * PER_OCTAVE * OCTAVES + 2  # and one below, one above
CAP = 1000  # rows named per list (points behind the camera, outliers)
NOT_AHEAD, NOT_BEHIND, OUTLIER = 0, 1, 2  # depth <= 0, depth >= 0, error > threshold
HEAD = 8  # sums before the model's figure sums and the histogram


def _bins(e: np.ndarray, rms: float) -> np.ndarray:
    """Histogram bin (m,) of each error: 0 below the range, BINS - 1 above it."""
    with np.errstate(divide="ignore"):
        b = np.floor((np.log2(e) - math.log2(rms) + OCTAVES) * PER_OCTAVE)
    return (np.clip(b, -1, BINS - 2) + 1).astype(np.int64)


@dataclass(frozen=True)
class Request:
    """What the fit's last pass needs on every partition (picklable)."""

    model: Any
    params: np.ndarray  # the result in the input's units, before its canonical sign
    q: np.ndarray  # the result in the fit's frame
    q0: np.ndarray  # the result in the frame of the input's units
    frame0_map: tuple
    raw_map: tuple
    cost_scale: float  # of the input-units frame
    rms: float  # the histogram's unit
    threshold2: float | None  # squared inlier threshold
    counted: bool  # figures over the inliers only (a robust fit)
    n_figures: int = 0  # the model's figure sums (none: its normalised points are not made)


def final_sums(state, req: Request) -> Partial | None:
    """sums: votes, n counted, SS counted, SS all, inliers, not ahead, not behind, n,
    the model's figure sums, the histogram; maxima: the largest counted error; items:
    (global row, kind) of the rows the report may name (CAP of each kind)."""
    if state.kernel is None:
        return None
    model, first = req.model, state.chunk.first
    raw = raw_data(state, model, req.raw_map)
    with np.errstate(all="ignore"):
        votes = model.votes(req.params, raw)
        figures = model.figure_sums(req.q, state.data) if req.n_figures else np.zeros(0)
        e = point_errors(state, model, req.q0, req.frame0_map, req.cost_scale)
        inlier = None if req.threshold2 is None else e * e <= req.threshold2
        counted = inlier if req.counted else np.ones(len(e), bool)
        ec = e[counted]
        depth = model.depths(req.params, raw)
    hist = np.bincount(_bins(ec, req.rms), minlength=BINS) if len(ec) else np.zeros(BINS)
    rows, sides = [], [0, 0]
    if depth is not None:
        for kind, bad in ((NOT_AHEAD, ~(depth > 0) & counted), (NOT_BEHIND, ~(depth < 0) & counted)):
            sides[kind] = int(np.count_nonzero(bad))
            rows.append(_named(np.flatnonzero(bad)[:CAP], first, kind))
    if inlier is not None:
        rows.append(_named(np.flatnonzero(~inlier)[:CAP], first, OUTLIER))
    head = [votes, len(ec), float(ec @ ec), float(e @ e),
            np.count_nonzero(inlier) if inlier is not None else 0, *sides, len(e)]
    sums = np.concatenate([head, figures, hist.astype(float)])
    return Partial(sums, np.array([ec.max() if len(ec) else -np.inf]),
                   np.concatenate(rows) if rows else None)


def _named(index, first, kind) -> np.ndarray:
    return np.column_stack([index + first, np.full(len(index), kind)]).astype(np.int64)


def median_values(state, req: Request, low_bin: int, high_bin: int) -> Partial | None:
    """The counted errors whose histogram bin lies in [low_bin, high_bin]."""
    if state.kernel is None:
        return None
    with np.errstate(all="ignore"):
        e = point_errors(state, req.model, req.q0, req.frame0_map, req.cost_scale)
        if req.counted:
            e = e[e * e <= req.threshold2]
    b = _bins(e, req.rms)
    return Partial(items=e[(b >= low_bin) & (b <= high_bin)][:, None])


def exact_median(engine, handle, req: Request, hist: np.ndarray) -> float:
    """np.median of the counted errors, from the histogram and a pass over its bins."""
    n = int(hist.sum())
    if not n:
        return math.nan
    ranks = ((n - 1) // 2, n // 2)
    cum = np.cumsum(hist)
    bins = [int(np.searchsorted(cum, k + 1)) for k in ranks]
    below = int(cum[bins[0] - 1]) if bins[0] else 0
    found = engine.reduce(median_values, req, bins[0], bins[1], on=handle).items
    values = np.sort(found[:, 0])
    a, b = values[ranks[0] - below], values[ranks[1] - below]
    return float(a) if ranks[0] == ranks[1] else float((a + b) / 2)


@dataclass
class EngineReport:
    """The figures (as diagnostics.diagnose returns them), the robust method's numbers,
    and the global indices (0-based) of the rows the report names."""

    figures: dict
    behind: np.ndarray | None
    behind_count: int
    outliers: np.ndarray | None
    n_inliers: int | None
    rms_all: float
    request: Request | None = None  # what a per-point file needs of the report pass


def engine_report(engine, fitted, *, sigma: float | None = None) -> EngineReport:
    """The report of an engines.fit.EngineFit from its last pass, and one more pass
    for the median."""
    model, result, stats, part, req = (fitted.model, fitted.result, fitted.stats,
                                       fitted.final, fitted.request)
    _, n_counted, ss, ss_all, n_in, not_ahead, not_behind, n = part.sums[:HEAD]
    hist = part.sums[HEAD + fitted.n_figures :]
    largest = float(part.maxima[0]) if n_counted else math.nan
    median = exact_median(engine, fitted.handle, req, hist) if result.cost > 0 else (
        0.0 if n_counted else math.nan)
    out = figures_of(model, int(n_counted), float(ss), median, largest)
    out["points"] = "inliers (error <= threshold)" if req.counted else "all points"
    if req.counted:
        out["rms_all"] = math.sqrt(ss_all / stats.n)
    cut = (model.n_targets, math.sqrt(req.threshold2)) if req.counted and req.threshold2 else None
    d = complete(model, result.params, out, sigma, _spectrum(engine, fitted, req), cut)
    items = part.items if part.items is not None else np.zeros((0, 2), np.int64)
    flipped = fitted.flipped
    side, count = (NOT_BEHIND, not_behind) if flipped else (NOT_AHEAD, not_ahead)
    named = {kind: items[items[:, 1] == kind, 0][:CAP] for kind in (side, OUTLIER)}
    camera = model.depths(result.params, no_points(model)) is not None
    threshold = req.threshold2 is not None
    return EngineReport(d, named[side] if camera else None, int(count),
                        named[OUTLIER] if threshold else None, int(n_in) if threshold else None,
                        math.sqrt(ss_all / stats.n), req)


def no_points(model) -> tuple:
    """The model's data tuple of no points (a finisher's, or a probe of its hooks)."""
    return model.chunk_data(np.empty((len(model.columns), 0)))


def _spectrum(engine, fitted, req: Request):
    """spectrum(): J^T J's (diagnostics.Spectrum) from the fit's kept Gauss-Newton matrix
    at its optimum (least squares, normalised); else from a pass of the plain kernel
    (over the inliers)."""
    model, frame, n = fitted.model, fitted.frame, fitted.stats.n
    if not frame.normalized:
        frame = model.frame_of(fitted.stats, True)
    q = fitted.q if frame is fitted.frame else internal_params(model, frame, fitted.result.params)

    def spectrum():
        if not req.counted and frame is fitted.frame and fitted.loss is None:
            H = fitted.kernel.normal_at(q)[2] * (n / 2.0)
        else:
            H, m = _normal_pass(engine, fitted, frame, q, req if req.counted else None)
            H = H * (m / 2.0)
        return spectrum_from_normal(model, frame, q, H)

    return spectrum


def _normal_pass(engine, fitted, frame, q, req):
    """The least-squares NORMAL pass at q in `frame` (over the inliers of req)."""
    from .tasks import inlier_normal

    total = engine.reduce(inlier_normal, fitted.model, frame.chunk_map, q, req,
                          on=fitted.handle).sums
    m = int(total[-1])
    return fitted.finisher.finish(total[:-1], m, "normal")[2], m


__all__ = ["EngineReport", "Request", "engine_report", "exact_median", "final_sums"]

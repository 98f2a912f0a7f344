"""engine_fit(): core.fit's steps as reductions over an engine's partitions.

    two passes    counts, sums and extremes; spreads and scatters about the centroids
                  (engines.stats): the range checks, the degeneracy checks, the frame
    one pass      the start's moments (DLT), or a sample of points for linear-tanh's
    LM passes     the kernel's sums at each trial point (engines.objective)
    one pass      at the result: the canonical sign's votes, the model's figures and the
                  report's sums (engines.report)

The optimizer is core.lm's, unchanged; the first-order methods, which need thousands of
passes, are refused.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..fit import DEFAULT_MAX_ITER, _Seeded
from ..lm import levenberg_marquardt
from ..loop import Callback, Tolerances
from ..models import MODELS, Model
from ..diagnostics import internal_params
from ..normalize import DegenerateDataError
from ..result import FitResult
from .objective import EngineKernel
from .stats import point_stats
from .report import HEAD, Request, final_sums, no_points
from .tasks import prepare, robust, rows_at

TINY = 1e-75  # as io's readers: a column whose every value is below this underflows


def refusal(engine: str, optimizer: str) -> str:
    """Why a first-order method does not run on a streaming or cluster engine."""
    return (f"`optimizer={optimizer}` needs thousands of passes over the data (Levenberg-"
            f"Marquardt about ten), and on the {engine} engine every pass reads all the "
            "points again; use `optimizer=lm` or `engine=memory`")


def engine_fit(model: str | Model, engine, *, optimizer: str | None = None,
               init: str | None = None, normalize: bool = True, max_iter: int | None = None,
               tol: Tolerances = Tolerances(), seed: int = 0, callback: Callback | None = None,
               loss: Any = None, columns: tuple[str, ...] = (), threshold: float | None = None,
               counted: bool = False, **options: Any) -> "EngineFit":
    """Fit `model` to the points of `engine` (an engines.base.Engine); as core.fit.

    Args:
        columns: the input's names of the model's columns, for messages.
        threshold: the inlier threshold of the report (input's units), if any;
        counted: the report's figures describe the inliers only (a robust fit).

    Returns:
        EngineFit: the FitResult (.result) and what the report's passes need.

    Raises:
        ValueError: unknown names, a first-order optimizer, values the model cannot take;
        DegenerateDataError: data that cannot determine the model.
    """
    model = (MODELS[model] if isinstance(model, str) else model).variant(**options)
    optimizer, init = optimizer or model.default_optimizer, init or model.inits[0]
    _check_names(model, engine, optimizer, init)
    started = time.perf_counter()
    out = _prepared(model, engine, normalize, columns, options)
    kernel = EngineKernel(engine, out.handle, out.finisher, out.stats.n)
    rng = _Seeded(seed)
    sample = _sample(engine, out.handle, model, out.stats.n, init, rng)
    params = model.manifold.retract(model.start(kernel, sample, init, rng))
    start_passes = kernel.n_eval
    out.kernel, out.loss = kernel, loss
    if loss is not None:
        internal = type(loss)(loss.c / math.sqrt(out.frame.cost_scale))
        out.kernel = EngineKernel(engine, engine.prepare(robust, internal, on=out.handle),
                                  _robust_finisher(model, internal), out.stats.n)
    outcome = levenberg_marquardt(out.kernel, params, model.manifold,
                                  max_iter or DEFAULT_MAX_ITER["lm"], tol, callback,
                                  out.frame.cost_scale)
    out.q = outcome.params
    params = _last_pass(engine, out, outcome, threshold, counted, options)
    cost = outcome.cost * out.frame.cost_scale
    extra = {**model.describe(params), **out.frame.notes,
             **model.figures_of(out.final.sums[HEAD : HEAD + out.n_figures], out.stats.n, cost),
             **({"start_passes": start_passes} if start_passes else {})}
    out.result = FitResult(
        model=model.name, optimizer=optimizer, param_names=model.param_names, params=params,
        cost=cost, grad_norm=outcome.grad_norm, n_iter=outcome.n_iter,
        n_eval=out.kernel.n_eval - (start_passes if out.kernel is kernel else 0),
        status=outcome.status, n_points=out.stats.n, seconds=time.perf_counter() - started,
        history=tuple(c * out.frame.cost_scale for c in outcome.history), extra=extra,
        frame=out.frame)
    return out


def _check_names(model: Model, engine, optimizer: str, init: str) -> None:
    if optimizer != "lm":
        raise ValueError(refusal(engine.name, optimizer))
    if not model.point_groups:
        raise ValueError(f"{model.name} runs on the memory engine only (`engine=memory`)")
    if init not in model.inits:
        raise ValueError(f"unknown init {init!r} for {model.name}; choose from {model.inits}")


def _prepared(model: Model, engine, normalize: bool, columns, options) -> "EngineFit":
    """The two statistics passes, the checks, the frame and the partitions' kernels."""
    out = EngineFit(model)
    out.stats = point_stats(engine, model.point_groups)
    _check_range(out.stats, model, columns)
    model.check_stats(out.stats)
    out.frame = model.frame_of(out.stats, normalize, **options)
    out.handle = engine.prepare(prepare, model, out.frame.chunk_map)
    out.finisher = model.kernel(*no_points(model))
    out.raw_map = raw_map(model, out.frame.chunk_map)
    return out


def _last_pass(engine, out: "EngineFit", outcome, threshold, counted, options) -> np.ndarray:
    """The pass at the result (the sign's votes, the figures, the report's sums); the
    canonical parameters."""
    model, stats, frame = out.model, out.stats, out.frame
    mapped = frame.to_original(outcome.params)
    frame0 = model.frame_of(stats, False, **options)
    cost = outcome.cost * frame.cost_scale
    out.n_figures = len(model.figure_sums(outcome.params, no_points(model)))
    out.request = Request(model, mapped, outcome.params, internal_params(model, frame0, mapped),
                          frame0.chunk_map, out.raw_map, frame0.cost_scale,
                          math.sqrt(cost) if cost > 0 else 1.0,
                          None if threshold is None else threshold * threshold, counted,
                          out.n_figures)
    out.final = engine.reduce(final_sums, out.request, on=out.handle)
    params = model.canonical_of(mapped, int(out.final.sums[0]), stats.n)
    if not np.all(np.isfinite(params)):
        raise DegenerateDataError(
            "the fitted parameters overflow double precision in the input's units: the "
            "values span too many orders of magnitude (rescale the columns)")
    out.flipped = bool(np.dot(params, mapped) < 0)  # canonical() turned the sign
    return params


def raw_map(model: Model, frame_map) -> tuple[np.ndarray, np.ndarray]:
    """The chunk map that leaves the points in the input's units and maps only the
    class labels (to +1/-1 as the frame does)."""
    labels = [c for g in model.point_groups if g.spread == "labels" for c in g.columns]
    shift, scale = np.zeros(len(frame_map[0])), np.ones(len(frame_map[0]))
    shift[labels], scale[labels] = frame_map[0][labels], frame_map[1][labels]
    return shift, scale


class EngineFit:
    """An engine fit: its FitResult (`result`) and what the report's passes need: the
    statistics, the frame, the prepared partitions (`handle`), the kernel with its kept
    passes, the internal optimum `q`, the robust loss or None, the plain kernel's
    `finisher`, the last pass's sums (`final`, from `request`) and whether the canonical
    form turned the sign (`flipped`)."""

    def __init__(self, model):
        self.model = model
        self.result = self.stats = self.frame = self.handle = self.kernel = None
        self.q = self.loss = self.finisher = self.raw_map = None
        self.final = self.request = None
        self.n_figures, self.flipped = 0, False


class RangeError(ValueError):
    """A column the fit cannot take (the shell names the file before the column)."""


def _check_range(stats, model: Model, columns) -> None:
    """A column whose every value is below TINY in size (io's readers refuse the large
    ones chunk by chunk, naming the line)."""
    labels = {c for g in model.point_groups if g.spread == "labels" for c in g.columns}
    for j, largest in enumerate(stats.largest):
        if j not in labels and 0 < largest < TINY:
            name = columns[j] if j < len(columns) else model.columns[j]
            raise RangeError(
                f"column '{name}': every value is below {TINY:.0e} in size (the largest is "
                f"{largest:.6g}), where powers of them underflow double precision; rescale "
                "the column")


def _sample(engine, handle, model: Model, n: int, init: str, rng):
    """The start's sample of internal points (the rows core.fit's start would draw),
    or None when the start needs none."""
    size = model.start_sample(init)
    if not size:
        return None
    index = np.arange(n) if n <= size else np.sort(rng.choice(n, size, replace=False))
    rows = engine.reduce(rows_at, index, on=handle).items
    return model.chunk_data(np.ascontiguousarray(rows.T))


def _robust_finisher(model, loss):
    from ..robust import RobustKernel

    return RobustKernel(model, no_points(model), loss)


__all__ = ["EngineFit", "RangeError", "engine_fit", "refusal"]

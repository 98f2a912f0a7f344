"""fit(): check the data, normalise it, start, optimise, map back, report."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .choices import OPTIMIZER_NAMES  # == ("lm", *OPTIMIZERS): tested
from .diagnostics import internal_params
from .lm import levenberg_marquardt
from .loop import Callback, IterInfo, Tolerances, descend
from .models import MODELS, Model
from .normalize import DegenerateDataError
from .optimizers import OPTIMIZERS
from .result import FitResult
from .robust import robust_kernel

DEFAULT_MAX_ITER = {"lm": 200, "gd": 20000, "momentum": 20000, "adam": 20000}


def loss_floor(targets: np.ndarray, resolution: float = 1e-8) -> float:
    """The mean loss below which a fit is not judged diverged or stalled: residuals of
    1e-8 times the targets' RMS, finer than any measured input's digits."""
    t = np.asarray(targets, dtype=float)
    return float(resolution**2 * np.mean(t * t)) if t.size else 0.0


def fit(
    model: str | Model,
    data: tuple[np.ndarray, ...],
    *,
    optimizer: str | None = None,
    learning_rate: float | None = None,
    init: str | None = None,
    normalize: bool = True,
    max_iter: int | None = None,
    tol: Tolerances = Tolerances(),
    seed: int = 0,
    callback: Callback | None = None,
    loss: Any = None,
    start: np.ndarray | None = None,
    **options: Any,
) -> FitResult:
    """Fit `model` to `data` (the model's tuple of arrays, e.g. X (n, 3), uv (n, 2)).

    Args:
        optimizer: "lm", "gd", "momentum" or "adam"; None takes the model's default.
        learning_rate: step size of the first-order methods (gd: None = line search).
        init: one of model.inits; None takes the first.
        normalize: Hartley normalisation (docs/math.md s.4) before fitting.
        loss: a robust loss (core.robust.Huber/Cauchy, threshold in the input's units);
            None is least squares.  The fit then minimises mean rho(s_i).
        start: parameters (p,) in the input's units to start from, instead of `init`'s
            (e.g. a robust estimate).
        options: model-specific, e.g. standardize=False or loss_function="cross-entropy"
            for linear-tanh (see its variant()).

    Returns:
        FitResult in the input's units and the model's stated normalisation.

    Raises:
        ValueError: unknown names; DegenerateDataError: data that cannot determine the model.
    """
    model = MODELS[model] if isinstance(model, str) else model
    model = model.variant(**options)
    optimizer = optimizer or model.default_optimizer
    init = init or model.inits[0]
    if optimizer not in OPTIMIZER_NAMES:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose from {OPTIMIZER_NAMES}")
    if init not in model.inits:
        raise ValueError(f"unknown init {init!r} for {model.name}; choose from {model.inits}")
    started = time.perf_counter()
    model.check(data)
    frame = model.frame(data, normalize, **options)
    manifold = model.manifold
    kernel = start_kernel = model.kernel_for(frame)
    if start is None:
        start = model.start(kernel, frame.data, init, _Seeded(seed))
    else:
        start = internal_params(model, frame, np.asarray(start, dtype=float))
    params = manifold.retract(start)
    start_passes = kernel.n_eval  # linear-tanh's start polishes candidates on the data
    if loss is not None:
        kernel = robust_kernel(model, frame.data, loss, frame.cost_scale)
    if callback is not None:
        callback = _with_figures(callback, model, frame.data)
    run = dict(max_iter=max_iter or DEFAULT_MAX_ITER[optimizer], tol=tol,
               callback=callback, cost_scale=frame.cost_scale)
    if optimizer == "lm":
        outcome = levenberg_marquardt(kernel, params, manifold, **run)
    else:
        method = OPTIMIZERS[optimizer](learning_rate)
        outcome = descend(kernel, params, method, manifold.retract, **run,
                          floor=loss_floor(frame.data[-1]))
    params = model.canonical(frame.to_original(outcome.params), data)
    if not np.all(np.isfinite(params)):
        raise DegenerateDataError(
            "the fitted parameters overflow double precision in the input's units: the "
            "values span too many orders of magnitude (rescale the columns)"
        )
    cost = outcome.cost * frame.cost_scale
    extra = {**model.describe(params), **frame.notes,
             **model.figures(outcome.params, frame.data, cost),
             **({"start_passes": start_passes} if model.start_reads_data else {})}
    return FitResult(
        model=model.name,
        optimizer=optimizer,
        param_names=model.param_names,
        params=params,
        cost=cost,
        grad_norm=outcome.grad_norm,
        n_iter=outcome.n_iter,
        n_eval=kernel.n_eval - (start_passes if kernel is start_kernel else 0),  # the fit's
        status=outcome.status,
        n_points=len(data[0]),
        seconds=time.perf_counter() - started,
        history=tuple(c * frame.cost_scale for c in outcome.history),
        extra=extra,
        frame=frame,
    )


class _Seeded:
    """np.random.default_rng(seed), built on first use: most starts never draw, and
    building a generator costs as much as a small fit's Levenberg-Marquardt step."""

    def __init__(self, seed: int):
        self._seed, self._rng = seed, None

    def __getattr__(self, name: str):
        if self._rng is None:
            self._rng = np.random.default_rng(self._seed)
        return getattr(self._rng, name)


def _with_figures(callback: Callback, model: Model, data) -> Callback:
    """Attach the model's error measures (computed only if the callback asks)."""

    def wrapped(info: IterInfo) -> None:
        callback(info._replace(figures=lambda: model.figures(info.params, data, info.cost)))

    return wrapped


__all__ = ["DEFAULT_MAX_ITER", "IterInfo", "OPTIMIZER_NAMES", "Tolerances", "fit"]

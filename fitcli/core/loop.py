"""The first-order fitting loop and the stopping rules every method shares."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from .objective import Objective
from .optimizers import Optimizer, StepContext
from .result import DIVERGE_AFTER, Status


@dataclass(frozen=True)
class Tolerances:
    """ftol: relative loss decrease; xtol: step relative to |params|; gtol: optimality."""

    ftol: float = 1e-10
    xtol: float = 1e-10
    gtol: float = 1e-10


class IterInfo(NamedTuple):
    """What the callback sees after each iteration (loss in the input's units)."""

    iteration: int
    cost: float
    grad_norm: float
    params: np.ndarray  # internal coordinates
    figures: Callable[[], dict] | None = None  # the model's error measures, on demand


class Outcome(NamedTuple):
    params: np.ndarray
    cost: float  # internal units
    grad_norm: float
    n_iter: int
    status: Status
    history: tuple[float, ...]  # internal units, one per iteration, starting point first


Callback = Callable[[IterInfo], None]


def optimality(grad: np.ndarray, cost: float) -> float:
    """|g| / (2 sqrt(cost)): the gradient relative to the residual, free of its units."""
    g = float(np.linalg.norm(grad))
    if g == 0.0:
        return 0.0
    return g / (2.0 * math.sqrt(cost)) if cost > 0 else math.inf


def step_small(step: np.ndarray, params: np.ndarray, xtol: float) -> bool:
    """|step| <= xtol (|params| + xtol): relative to the parameters, so free of their scale."""
    return math.sqrt(step @ step) <= xtol * (math.sqrt(params @ params) + xtol)


def loss_settled(old: float, new: float, tol: Tolerances) -> bool:
    return abs(old - new) <= tol.ftol * max(old, 0.0)


class Best:
    """The lowest finite loss seen and where: what a diverged or interrupted fit reports."""

    def __init__(self, params, cost, grad):
        self.params, self.cost, self.grad = params, cost, grad

    def offer(self, params, cost, grad) -> None:
        if math.isfinite(cost) and not cost > self.cost:
            self.params, self.cost, self.grad = params, cost, grad


def can_descend(kernel, params, cost, grad, retract, rtol: float, shortest: float) -> bool:
    """Whether some step along -grad, from |params| long down to `shortest` (the last
    step's length: shorter ones are what the method was already taking), lowers the loss
    by more than rtol relative: the check that a set step which stopped moving (ftol or
    xtol) stopped at the optimum, and not merely because it is small.  At most ~25 passes."""
    g = float(np.linalg.norm(grad))
    if g == 0.0 or not cost > 0:
        return False
    length = max(float(np.linalg.norm(params)), 1.0)
    for _ in range(25):
        if length <= shortest:
            break
        if kernel.cost(retract(params - (length / g) * grad)) < cost * (1.0 - rtol):
            return True
        length *= 0.25
    return False


@np.errstate(all="ignore")  # overflow is detected and reported as Status.NON_FINITE
def descend(
    kernel: Objective,
    params: np.ndarray,
    optimizer: Optimizer,
    retract: Callable[[np.ndarray], np.ndarray],
    max_iter: int,
    tol: Tolerances,
    callback: Callback | None = None,
    cost_scale: float = 1.0,
    floor: float = 0.0,
) -> Outcome:
    """Iterate params <- retract(params + step) until a stopping rule fires (`retract`:
    the model's manifold, core.manifold, or any projection onto the parameters).  Below
    `floor` a loss counts as zero: no divergence or stall is judged there."""
    cost, grad = kernel.cost_grad(params)
    if not (math.isfinite(cost) and np.all(np.isfinite(grad))):
        return Outcome(params, cost, math.nan, 0, Status.NON_FINITE, (cost,))
    best, history, state = Best(params, cost, grad), [cost], optimizer.init(params)
    status, it, rising, low, last = Status.MAX_ITER, 0, 0, math.inf, 0.0
    try:
        while it < max_iter:
            if optimality(grad, cost) <= tol.gtol:
                status = Status.GTOL
                break
            it += 1
            ctx = StepContext(params, cost, kernel.cost, retract)
            step, state = optimizer.update(grad, state, ctx)
            new = retract(params + step)
            last = math.sqrt(step @ step)
            new_cost, grad = kernel.cost_grad(new)
            if not (math.isfinite(new_cost) and np.all(np.isfinite(grad))):
                status = Status.NON_FINITE
                break
            history.append(new_cost)
            best.offer(new, new_cost, grad)
            if new_cost > max(history[0], floor):  # above the start: count the iterations
                if new_cost < low:  # since the lowest loss of this stretch
                    rising, low = 0, new_cost
                else:
                    rising += 1
                if rising >= DIVERGE_AFTER:
                    status = Status.DIVERGED
                    break
            else:
                rising, low = 0, math.inf
            if callback:
                callback(IterInfo(it, new_cost * cost_scale, float(np.linalg.norm(grad)), new))
            settled = loss_settled(cost, new_cost, tol)
            params, cost = new, new_cost
            if step_small(step, params, tol.xtol):
                status = Status.XTOL
                break
            if settled and new_cost <= best.cost:
                status = Status.FTOL
                break
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
    final = best if status in (Status.NON_FINITE, Status.DIVERGED, Status.INTERRUPTED) else None
    if final is None and best.cost < cost:
        final = best  # non-monotone methods: report the best point, not the last
    if final is not None:
        params, cost, grad = final.params, final.cost, final.grad
    if status in (Status.FTOL, Status.XTOL) and not optimizer.line_search and cost > floor:
        if can_descend(kernel, params, cost, grad, retract, math.sqrt(tol.ftol), last):
            status = Status.STALLED  # judged at the point reported
    return Outcome(params, cost, float(np.linalg.norm(grad)), it, status, tuple(history))

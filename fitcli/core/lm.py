"""Levenberg-Marquardt on the hand-derived Jacobian rows, J^T J accumulated by the kernel.

Each iteration is one pass over the data: the kernel returns the loss, the gradient
2 J^T r / n and the Gauss-Newton matrix H = 2 J^T J / n at the trial point, so an
accepted step needs no second pass.  For a model with a scale gauge (params and s*params
give the same residuals) J params = 0 and H is singular along params; the step is solved
in the tangent space of the unit sphere and retracted onto it.

The damping is Marquardt's, mu * D with D the largest diag(H) seen so far (as MINPACK
scales its trust region), so a weakly determined parameter (say the depth terms of
nearly coplanar points) is damped on its own scale; it starts small (MU0) because the
closed-form starts are close to the optimum, and grows as soon as a step fails.
"""

from __future__ import annotations

import math

import numpy as np

from .loop import Best, Callback, IterInfo, Outcome, Tolerances, step_small
from .manifold import Euclidean
from .objective import Objective
from .result import Status


def lm_optimality(grad: np.ndarray, H: np.ndarray, cost: float) -> float:
    """max_j |cos(angle between r and column j of J)| (MINPACK's gtol measure):
    max_j |g_j| / sqrt(H_jj 2 cost), H_jj = 2 |J_j|^2 / n.  (Not squared: g_j^2 leaves
    double precision for gradients beyond 1e154 or below 1e-162.)"""
    if cost <= 0.0:
        return 0.0
    column_norms = np.sqrt(np.maximum(H.diagonal(), 1e-300))
    return float((np.abs(grad) / column_norms).max()) / math.sqrt(2.0 * cost)


MU0 = 1e-8  # initial damping, relative to each parameter's curvature


def _damping_scale(scale: np.ndarray, H: np.ndarray) -> np.ndarray:
    """D, in place: the running maximum of diag(H), floored at 1e-12 of its largest entry."""
    np.maximum(scale, H.diagonal(), out=scale)
    return np.maximum(scale, 1e-12 * float(scale.max()) + 1e-300, out=scale)


class DampedSystem:
    """(H + mu diag(scale)) d = -g; with a gauge, subject to params . d = 0.

    The constraint keeps the step in the tangent space of the unit sphere: it is solved
    as the (p+1) x (p+1) system [[A, params], [params^T, 0]] [d; lambda] = [-g; 0].  The
    matrix is allocated once per fit: at small n a step's cost is its numpy calls.
    """

    def __init__(self, p: int, gauge: bool):
        m = p + 1 if gauge else p
        self.p, self.gauge = p, gauge
        self.A, self.rhs = np.zeros((m, m)), np.zeros(m)
        self.diagonal = self.A.reshape(-1)[: p * (m + 1) : m + 1]  # of the H block (a view)

    def step(self, H, grad, mu, scale, params) -> np.ndarray | None:
        """The step d (p,), or None if the system is singular."""
        p = self.p
        self.A[:p, :p] = H
        self.diagonal += mu * scale
        np.negative(grad, out=self.rhs[:p])
        if self.gauge:
            self.A[:p, p] = self.A[p, :p] = params
        try:
            return np.linalg.solve(self.A, self.rhs)[:p]
        except np.linalg.LinAlgError:
            return None


@np.errstate(all="ignore")  # a trial step into nz = 0 is rejected, not warned about
def levenberg_marquardt(
    kernel: Objective,
    params: np.ndarray,
    manifold: Euclidean,
    max_iter: int,
    tol: Tolerances,
    callback: Callback | None = None,
    cost_scale: float = 1.0,
) -> Outcome:
    """Minimise the kernel's mean loss from params on `manifold` (core.manifold: its
    retraction after each step, and with a gauge the steps kept in its tangent space);
    damping as in Nielsen (1999)."""
    cost, grad, H = kernel.normal(params)
    if not math.isfinite(cost):
        return Outcome(params, cost, math.nan, 0, Status.NON_FINITE, (cost,))
    mu, nu, scale = MU0, 2.0, np.zeros(len(params))
    system = DampedSystem(len(params), manifold.gauge)
    best, history, status, it = Best(params, cost, grad), [cost], Status.MAX_ITER, 0
    try:
        while it < max_iter:
            if lm_optimality(grad, H, cost) <= tol.gtol:
                status = Status.GTOL
                break
            it += 1
            scale = _damping_scale(scale, H)
            step = system.step(H, grad, mu, scale, params)
            if step is None or not math.isfinite(step @ step):  # NaN or inf anywhere
                mu, nu = mu * nu, nu * 2.0
                continue
            if step_small(step, params, tol.xtol):
                status = Status.XTOL
                break
            predicted = -(grad @ step + 0.5 * step @ H @ step)
            trial = manifold.retract(params + step)
            new_cost, new_grad, new_H = kernel.normal(trial)
            if math.isfinite(new_cost) and new_cost < cost and predicted > 0:
                rho = (cost - new_cost) / predicted
                mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
                settled = cost - new_cost <= tol.ftol * cost and predicted <= tol.ftol * cost
                params, cost, grad, H = trial, new_cost, new_grad, new_H
                best.offer(params, cost, grad)
                history.append(cost)
                if callback:
                    callback(IterInfo(it, cost * cost_scale, float(np.linalg.norm(grad)), params))
                if settled:
                    status = Status.FTOL
                    break
            else:
                mu, nu = mu * nu, nu * 2.0
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
    params, cost, grad = best.params, best.cost, best.grad
    return Outcome(params, cost, math.sqrt(grad @ grad), it, status, tuple(history))

"""Tiny residual problems as kernels, for the optimizer and loop tests."""

import numpy as np

from fitcli.core.objective import Objective as Kernel


class ResidualKernel(Kernel):
    """cost = |r(p)|^2 / n_points for a residual function with a hand Jacobian."""

    def __init__(self, residuals, jacobian, n_points=1):
        super().__init__(n_points)
        self.r, self.J = residuals, jacobian

    def _cost(self, p):
        r = self.r(p)
        return float(r @ r) / self.n

    def _cost_grad(self, p):
        r = self.r(p)
        return float(r @ r) / self.n, 2 * self.J(p).T @ r / self.n

    def _normal(self, p):
        r, J = self.r(p), self.J(p)
        return float(r @ r) / self.n, 2 * J.T @ r / self.n, 2 * J.T @ J / self.n


SCALES = np.array([1.0, 3.0, 0.5])


def parabola():
    """cost = sum (s_i (p_i - 1))^2, minimum 0 at p = 1."""
    return ResidualKernel(lambda p: SCALES * (p - 1.0), lambda p: np.diag(SCALES))


def rosenbrock():
    """r = (10 (y - x^2), 1 - x): cost = 100 (y - x^2)^2 + (1 - x)^2, minimum at (1, 1)."""
    return ResidualKernel(
        lambda p: np.array([10 * (p[1] - p[0] ** 2), 1 - p[0]]),
        lambda p: np.array([[-20 * p[0], 10.0], [-1.0, 0.0]]),
    )

"""The objective contract between the models and the optimizers (docs/math.md s.5).

An optimizer sees an Objective: the mean loss over the points, its gradient and its
Gauss-Newton matrix, each call one pass over the data, counted in `n_eval`.

A model's Kernel is an Objective built from additive sums: `sums(params, level)` turns
the kernel's points into a flat vector that adds up over disjoint sets of points, and
`finish(total, n, level)` turns the summed vector into the cost, the gradient or the
Gauss-Newton matrix.  So a pass over data held anywhere (in memory, in a file read in
chunks, on the workers of a cluster) is a sum of kernels' `sums` and one `finish`.
"""

from __future__ import annotations

import numpy as np

CHUNK = 8192  # points per block inside a kernel: the temporaries of one block stay in cache

COST, GRADIENT, NORMAL = "cost", "gradient", "normal"  # the levels of a pass
MOMENTS = "moments"  # the closed-form start's sums (a homogeneous model's A^T A)


def blocks(n: int, size: int | None = None):
    """(start, stop) of consecutive blocks of at most `size` (default CHUNK) of n points."""
    size = size or CHUNK
    for start in range(0, n, size):
        yield start, min(n, start + size)


class Objective:
    """Mean loss, gradient and Gauss-Newton matrix of a model over fixed data.

    Subclasses implement `_cost(params)`, `_cost_grad(params)` and `_normal(params)`.
    """

    def __init__(self, n: int):
        self.n = n
        self.n_eval = 0

    def cost(self, params: np.ndarray) -> float:
        self.n_eval += 1
        return self._cost(params)

    def cost_grad(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        self.n_eval += 1
        return self._cost_grad(params)

    def normal(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """cost, grad = 2 J^T r / n (p,), H = 2 J^T J / n (p, p)."""
        self.n_eval += 1
        return self._normal(params)

    def chunks(self):
        return blocks(self.n)


class Kernel(Objective):
    """An Objective from additive sums: subclasses implement `sums` and `finish`.

    sums(params, level) -> (k,) float64: adds up over disjoint sets of points.
    finish(total, n, level) -> cost (COST), (cost, grad) (GRADIENT), (cost, grad, H) (NORMAL).
    """

    def sums(self, params: np.ndarray, level: str) -> np.ndarray:
        raise NotImplementedError

    def finish(self, total: np.ndarray, n: int, level: str):
        raise NotImplementedError

    def _cost(self, params):
        return self.finish(self.sums(params, COST), self.n, COST)

    def _cost_grad(self, params):
        return self.finish(self.sums(params, GRADIENT), self.n, GRADIENT)

    def _normal(self, params):
        return self.finish(self.sums(params, NORMAL), self.n, NORMAL)

    def moments(self) -> np.ndarray:
        """The closed-form start's moment matrix (not a pass of the fit: not counted)."""
        return self.finish(self.sums(None, MOMENTS), self.n, MOMENTS)


class MomentKernel(Kernel):
    """A Kernel whose sums are laid out one way: SS (the sum of squared residuals) first,
    then the gradient's sums (GRADIENT) or the weighted moments (NORMAL), both scaled by
    2/n; the closed-form start's sums (MOMENTS) alone.  Subclasses give `gram` (the
    start's sums to its moment matrix) and `normal_parts` (the scaled moments to the
    gradient and the Gauss-Newton matrix)."""

    def gram(self, total: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def normal_parts(self, scaled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def finish(self, total, n, level):
        if level == COST:
            return total[0] / n
        if level == GRADIENT:
            return total[0] / n, (2.0 / n) * total[1:]
        if level == MOMENTS:
            return self.gram(total)
        grad, H = self.normal_parts(total[1:] * (2.0 / n))
        return total[0] / n, grad, H


__all__ = ["CHUNK", "COST", "GRADIENT", "MOMENTS", "NORMAL", "Kernel", "MomentKernel", "Objective",
           "blocks"]

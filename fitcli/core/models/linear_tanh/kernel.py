"""The tutorial's linear-tanh kernel (tanh, squared loss, z = k x + b - y): the additive
sums of a pass over the points (docs/math.md s.1)."""

from __future__ import annotations

import numpy as np

from ...objective import CHUNK, COST, GRADIENT, Kernel


class LinearTanhKernel(Kernel):
    """Holds D (3, n) = (x, 1, x^2): g and J^T J are one small product per chunk."""

    def __init__(self, x, y, l):
        super().__init__(len(x))
        self.D = np.stack([x, np.ones_like(x), x * x])
        self.y = np.ascontiguousarray(y)
        self.l = np.ascontiguousarray(l)
        m = min(self.n, CHUNK)
        self._W = np.empty((2, m))
        self._t = np.empty(m)

    def _residual_chunk(self, params, s, e):
        """t = tanh(z) in a buffer; returns (t, r) with r = t - l in W[0]."""
        m = e - s
        t, r = self._t[:m], self._W[0, :m]
        np.multiply(params[0], self.D[0, s:e], out=t)
        t += params[1]
        t -= self.y[s:e]
        np.tanh(t, out=t)
        np.subtract(t, self.l[s:e], out=r)
        return t, r

    def sums(self, params, level):
        """(SS) for the cost, then sum r dz (x, 1, x^2) for the gradient, then
        sum dz^2 (x, 1, x^2) for J^T J (dz = 1 - tanh^2 z)."""
        if level == COST:
            total = 0.0
            for s, e in self.chunks():
                r = self._residual_chunk(params, s, e)[1]
                total += r @ r
            return np.array([total])
        rows = 1 if level == GRADIENT else 2
        out = np.zeros(1 + 3 * rows)
        S, total = out[1:].reshape(rows, 3), 0.0
        for s, e in self.chunks():
            t, r = self._residual_chunk(params, s, e)
            W = self._W[:rows, : e - s]
            np.multiply(t, t, out=t)
            np.subtract(1.0, t, out=t)  # dz = 1 - tanh^2 z
            total += r @ r
            r *= t
            if rows > 1:
                np.multiply(t, t, out=W[1])
            S += W @ self.D[:, s:e].T
        out[0] = total
        return out

    def finish(self, total, n, level):
        if level == COST:
            return total[0] / n
        S = total[1:].reshape(-1, 3)
        grad = (2.0 / n) * S[0, :2]
        if level == GRADIENT:
            return total[0] / n, grad
        H = np.array([[S[1, 2], S[1, 0]], [S[1, 0], S[1, 1]]])
        return total[0] / n, grad, (2.0 / n) * H

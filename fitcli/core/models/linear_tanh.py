"""linear-tanh: a separating line y = k x + b trained through tanh (MATH.md s.1).

    z = k x + b - y,   loss_i = (tanh(z) - l)^2,   l in {+1, -1}

z > 0 (the point lies below the line) predicts +1.  params = (k, b).

The fit may measure z in units of s (z = (k x + b - y) / s): s = 1 is the tutorial's
loss; s = std(y) is the standardised fit, well-conditioned whatever y's units.
"""

from __future__ import annotations

import numpy as np

from ..normalize import DegenerateDataError
from .base import Frame, Kernel, Model

PARAM_NAMES = ("k", "b")


def scores(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z (n,) = k x + b - y."""
    k, b = params
    return k * x + b - y


def classify(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Labels (n,) in {+1, -1}: +1 where z >= 0."""
    return np.where(scores(params, x, y) >= 0, 1.0, -1.0)


def residuals(params, x, y, l):
    """r (n,) = tanh(z) - l with z = k x + b - y."""
    return np.tanh(scores(params, x, y)) - l


def jacobian(params, x, y, l):
    """dr/dk = (1 - tanh^2 z) x,  dr/db = 1 - tanh^2 z.  Shape (n, 2)."""
    dz = 1.0 - np.tanh(scores(params, x, y)) ** 2
    return np.column_stack([dz * x, dz])


class LinearTanhKernel(Kernel):
    """Holds D (3, n) = (x, 1, x^2): g and J^T J are one small product per chunk."""

    def __init__(self, x, y, l):
        super().__init__(len(x))
        self.D = np.stack([x, np.ones_like(x), x * x])
        self.y = np.ascontiguousarray(y)
        self.l = np.ascontiguousarray(l)
        m = min(self.n, 8192)
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

    def _cost(self, params):
        total = 0.0
        for s, e in self.chunks():
            r = self._residual_chunk(params, s, e)[1]
            total += r @ r
        return total / self.n

    def _pass(self, params, rows):
        total, S = 0.0, np.zeros((rows, 3))
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
        return total / self.n, S

    def _cost_grad(self, params):
        cost, S = self._pass(params, 1)
        return cost, (2.0 / self.n) * S[0, :2]

    def _normal(self, params):
        cost, S = self._pass(params, 2)
        H = np.array([[S[1, 2], S[1, 0]], [S[1, 0], S[1, 1]]])
        return cost, (2.0 / self.n) * S[0, :2], (2.0 / self.n) * H


def encode_labels(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Map labels to {+1, -1}.  Accepts +1/-1 and 0/1 (0 -> -1).

    Returns:
        (l (n,), a sentence saying which encoding was found).

    Raises:
        ValueError: other values, or only one class.
    """
    seen = set(np.unique(values).tolist())
    if seen <= {-1.0, 1.0}:
        l, how = values.astype(float), "labels +1/-1"
    elif seen <= {0.0, 1.0}:
        l, how = 2.0 * values - 1.0, "labels 0/1 read as -1/+1"
    else:
        odd = sorted(seen - {-1.0, 0.0, 1.0})[:3]
        raise ValueError(f"labels must be +1/-1 or 0/1; found {', '.join(map(repr, odd))}")
    if len(np.unique(l)) < 2:
        raise DegenerateDataError(
            f"only one class is present (every label is {values[0]:g}): no line separates it"
        )
    return l, how


class LinearTanh(Model):
    name = "linear-tanh"
    param_names = PARAM_NAMES
    columns = ("x", "y", "label")
    n_targets = 1
    min_points = 2
    min_points_why = "one of each class"
    gauge = False
    inits = ("auto", "zero", "random")

    def split(self, table):
        l, how = encode_labels(table[:, 2])
        notes = [how] if "read as" in how else []
        return (np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1]), l), notes

    def residuals(self, params, x, y, l):
        return residuals(params, x, y, l)

    def jacobian(self, params, x, y, l):
        return jacobian(params, x, y, l)

    def kernel(self, x, y, l):
        return LinearTanhKernel(x, y, l)

    def frame(self, data, normalize, standardize=True, **options):
        """Internal x' = (x - mx)/sx and y' = (y - my)/s with s = std(y) (standardised)
        or 1 (the tutorial's z); only s changes the loss, the rest is reparametrisation."""
        x, y, l = data
        mx, sx = float(x.mean()), float(x.std())
        my = float(y.mean())
        s = float(y.std()) if standardize else 1.0
        if not normalize:
            mx, sx, my = 0.0, 1.0, 0.0
        if not sx > 0 or not s > 0:
            raise DegenerateDataError(_constant_message(sx, s))

        def to_original(p):
            k, b = p
            return np.array([s * k / sx, s * b + my - s * k * mx / sx])

        data_int = ((x - mx) / sx, (y - my) / s, l)
        return Frame(data_int, to_original, notes={"z_scale": s, "standardized": standardize})

    def start(self, kernel, data, init, rng):
        if init == "zero":
            return np.zeros(2)
        if init == "random":
            return rng.standard_normal(2)
        return best_start(data, rng)

    def figures(self, params, data, cost):
        x, y, l = data
        return {"accuracy": float(np.mean(classify(params, x, y) == l))}

    def example(self, rng, n=12):
        x, y = rng.normal(0, 1, (2, n))
        l = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        return (x, y, l), rng.normal(0, 1, 2)


def _constant_message(sx: float, s: float) -> str:
    if not sx > 0:
        return "all x values are equal: a line y = k x + b cannot separate the points"
    return "all y values are equal: standardising y is impossible (try --no-standardize)"


def best_start(data, rng, grid: int = 32, sample: int = 2048) -> np.ndarray:
    """The loss is not convex: take the best of a least-squares start and a grid of
    lines (angle x offset quantiles), scored on a subsample of the points."""
    x, y, l = data
    if len(x) > sample:
        pick = rng.choice(len(x), sample, replace=False)
        x, y, l = x[pick], y[pick], l[pick]
    k = np.tan(np.linspace(-np.pi / 2, np.pi / 2, grid + 1)[1:-1])
    offsets = np.quantile(y - k[:, None] * x, np.linspace(0.0, 1.0, grid), axis=1).T
    C = np.vstack([_least_squares_start(x, y, l),
                   np.column_stack([np.repeat(k, grid), offsets.ravel()])])
    Z = C[:, 0:1] * x + C[:, 1:2] - y  # one row per candidate line; in place from here
    np.tanh(Z, out=Z)
    Z -= l
    np.square(Z, out=Z)
    return C[int(np.argmin(Z.mean(axis=1)))]


def _least_squares_start(x, y, l) -> tuple[float, float]:
    """Regress l on (x, y, 1); the boundary w.(x, y, 1) = 0 rewritten as y = k x + b."""
    A = np.column_stack([x, y, np.ones_like(x)])
    w = np.linalg.lstsq(A, l, rcond=None)[0]
    if w[1] >= -1e-12:  # +1 is not below the line: fall back to the horizontal split
        return 0.0, float(np.median(y))
    return -w[0] / w[1], -w[2] / w[1]


MODEL = LinearTanh()

"""What a user would otherwise write, run on the same data as fitcli (used by bench.py).

* gold_standard(): Hartley normalisation + DLT start (fitcli's own functions, so both
  tools start at the same point and pay the same for it), then
  scipy.optimize.least_squares(method='lm') with the analytic Jacobian rows of docs/math.md.
* logistic(): scikit-learn's LogisticRegression, the usual tool for a separating line.
* tanh_optimum(): the reference minimum of the tanh loss, by a dense grid of lines and a
  local least-squares refinement of the best cells.
* mean_loss(): the mean per-point loss in the input's units, plain numpy, independent
  of fitcli's kernels; every loss in the benchmark is computed by it.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from fitcli.core.models import MODELS


class Peer(NamedTuple):
    seconds: float
    params: np.ndarray  # in the input's units
    loss: float  # mean per-point loss in the input's units
    iterations: str  # what the peer counts: "nfev/njev" or "n_iter"


def mean_loss(name: str, params: np.ndarray, data: tuple, z_scale: float = 1.0) -> float:
    """Mean per-point loss (docs/math.md) in the input's units."""
    if name == "project3d":
        X, uv = data
        M = np.asarray(params).reshape(3, 4)
        N = X @ M[:, :3].T + M[:, 3]
        r = N[:, :2] / N[:, 2:3] - uv
        return float(np.mean(np.sum(r * r, axis=1)))
    if name == "ratio2d":
        x, y, l = data
        a, b, t1, c, d, t2 = params
        return float(np.mean(((a * x + b * y + t1) / (c * x + d * y + t2) - l) ** 2))
    x, y, l = data
    k, b = params
    return float(np.mean((np.tanh((k * x + b - y) / z_scale) - l) ** 2))


def _project3d_problem(X, uv):
    """residuals(m) (2n,) and jacobian(m) (2n, 12) of docs/math.md s.3, P = (X, 1) precomputed."""
    P = np.column_stack([X, np.ones(len(X))])
    n = len(X)

    def residuals(m):
        N = P @ m.reshape(3, 4).T
        return (N[:, :2] / N[:, 2:3] - uv).ravel()

    def jacobian(m):
        N = P @ m.reshape(3, 4).T
        Pz = P / N[:, 2:3]
        J = np.zeros((n, 2, 12))
        J[:, 0, 0:4] = J[:, 1, 4:8] = Pz
        J[:, 0, 8:12] = -(N[:, 0:1] / N[:, 2:3]) * Pz
        J[:, 1, 8:12] = -(N[:, 1:2] / N[:, 2:3]) * Pz
        return J.reshape(2 * n, 12)

    return residuals, jacobian


def _ratio2d_problem(x, y, l):
    """residuals(theta) (n,) and jacobian(theta) (n, 6) of docs/math.md s.2."""
    q = np.column_stack([x, y, np.ones(len(x))])

    def residuals(theta):
        N = q @ theta.reshape(2, 3).T
        return N[:, 0] / N[:, 1] - l

    def jacobian(theta):
        N = q @ theta.reshape(2, 3).T
        qz = q / N[:, 1:2]
        return np.hstack([qz, -(N[:, 0:1] / N[:, 1:2]) * qz])

    return residuals, jacobian


PROBLEMS = {"project3d": _project3d_problem, "ratio2d": _ratio2d_problem}


def gold_standard(name: str, data: tuple, tol: float = 1e-10) -> Peer:
    """Normalise, DLT, then scipy's MINPACK LM on the geometric error; timed as a whole."""
    from scipy.optimize import least_squares

    model = MODELS[name]
    started = time.perf_counter()
    frame = model.frame(data, True)
    start = model.start(model.kernel(*frame.data), frame.data, "dlt", None)
    residuals, jacobian = PROBLEMS[name](*frame.data)
    method = "lm" if len(residuals(start)) >= len(start) else "trf"  # MINPACK needs m >= p
    sol = least_squares(residuals, start, jac=jacobian, method=method,
                        ftol=tol, xtol=tol, gtol=tol)
    seconds = time.perf_counter() - started
    params = frame.to_original(sol.x)
    return Peer(seconds, params, mean_loss(name, params, data), f"{sol.nfev}/{sol.njev}")


def logistic(data: tuple, z_scale: float) -> Peer:
    """LogisticRegression on (x, y); its boundary w.(x, y, 1) = 0 as the line y = k x + b."""
    from sklearn.linear_model import LogisticRegression

    x, y, l = data
    started = time.perf_counter()
    clf = LogisticRegression().fit(np.column_stack([x, y]), l)
    seconds = time.perf_counter() - started
    (w1, w2), w0 = clf.coef_[0], clf.intercept_[0]
    params = np.array([-w1 / w2, -w0 / w2])
    return Peer(seconds, params, mean_loss("linear-tanh", params, data, z_scale),
                str(int(clf.n_iter_[0])))


def tanh_optimum(data: tuple, z_scale: float, grid: int = 160, sample: int = 4000,
                 refine: int = 8, seed: int = 0) -> Peer:
    """Minimum of mean (tanh((k x + b - y)/s) - l)^2: every line of a grid of `grid` angles
    x `grid` offsets scored on a subsample, then the `refine` best cells polished by
    least_squares on all points (analytic Jacobian).  Slow on purpose: a reference."""
    from scipy.optimize import least_squares

    x, y, l = data
    started = time.perf_counter()
    mx, sx, my = x.mean(), x.std(), y.mean()
    xs, ys = (x - mx) / sx, (y - my) / z_scale  # the same loss, in well-scaled coordinates
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(x), min(sample, len(x)), replace=False)
    cells = _grid_cells(xs[pick], ys[pick], l[pick], grid)[:refine]
    best = None
    for k, b in cells:
        sol = least_squares(lambda p: np.tanh(p[0] * xs + p[1] - ys) - l, [k, b],
                            jac=lambda p: _tanh_jacobian(p, xs, ys), method="lm",
                            ftol=1e-15, xtol=1e-15, gtol=1e-15)
        if best is None or sol.cost < best.cost:
            best = sol
    k, b = best.x
    params = np.array([z_scale * k / sx, z_scale * b + my - z_scale * k * mx / sx])
    return Peer(time.perf_counter() - started, params,
                mean_loss("linear-tanh", params, data, z_scale), f"{grid}x{grid}+{refine}")


def _grid_cells(x, y, l, grid):
    """(k, b) of every grid line, best first by the loss on the sample."""
    scored = []
    for angle in np.linspace(-np.pi / 2, np.pi / 2, grid + 2)[1:-1]:
        k = np.tan(angle)
        lo, hi = np.quantile(y - k * x, [0.0, 1.0])
        offsets = np.linspace(lo - 1.0, hi + 1.0, grid)
        Z = k * x + offsets[:, None] - y
        losses = np.mean((np.tanh(Z) - l) ** 2, axis=1)
        scored.extend(zip(losses, [k] * grid, offsets))
    scored.sort(key=lambda row: row[0])
    return [(k, b) for _, k, b in scored]


def _tanh_jacobian(p, x, y):
    t = np.tanh(p[0] * x + p[1] - y)
    d = 1.0 - t * t
    return np.column_stack([d * x, d])


def streaming_read(arrays) -> None:
    """The memory-bandwidth floor: read every value once, do nothing with it."""
    for a in arrays:
        np.add.reduce(a)


def vectorised_pass(X: np.ndarray, uv: np.ndarray, M: np.ndarray):
    """The project3d loss and gradient as one whole-array numpy expression (docs/math.md s.3)."""
    P = np.column_stack([X, np.ones(len(X))])
    N = P @ M.T
    uh, vh = N[:, 0] / N[:, 2], N[:, 1] / N[:, 2]
    C1, C2 = 2 * (uh - uv[:, 0]) / N[:, 2], 2 * (vh - uv[:, 1]) / N[:, 2]
    G = np.vstack([C1 @ P, C2 @ P, -(C1 * uh + C2 * vh) @ P]) / len(X)
    return float(np.mean((uh - uv[:, 0]) ** 2 + (vh - uv[:, 1]) ** 2)), G

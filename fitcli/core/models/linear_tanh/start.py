"""Starting points for linear-tanh.  The squared losses are not convex in the line, so a
grid of lines is scored on a subsample, the best few (in different directions) are
polished by Levenberg-Marquardt, and the lowest minimum is the start of the fit.
Cross-entropy is convex in the parameters: a least-squares line is start enough.
"""

from __future__ import annotations

import numpy as np

from .separator import losses

SAMPLE = 2048  # points that score the candidates
GRID = 32  # directions x offsets
KEEP = 4  # candidates polished
SCALES = (1.0, 4.0)  # steepness of the general form's candidates, in standardised units
BLOCK = 256  # candidates scored at a time (bounds the temporaries)


def subsample(data, rng, sample: int = SAMPLE):
    """(data or a random subset of `sample` points, whether it is a subset)."""
    n = len(data[0])
    if n <= sample:
        return data, False
    pick = np.sort(rng.choice(n, sample, replace=False))
    return tuple(a[pick] for a in data), True


def tutorial_candidates(x, y, l, grid: int = GRID):
    """Lines y = k x + b: a least-squares line, then directions x offset quantiles.

    Returns:
        C (m, 2) as (k, b), and the direction index (m,) of each (-1: least squares).
    """
    C, group = [_least_squares_line(x, y, l)], [-1]
    for j, angle in enumerate(np.linspace(-np.pi / 2, np.pi / 2, grid + 1)[1:-1]):
        k = np.tan(angle)
        offsets = np.quantile(y - k * x, np.linspace(0.0, 1.0, grid))
        C.extend((k, b) for b in offsets)
        group.extend([j] * grid)
    return np.array(C), np.array(group)


def general_candidates(x, y, l, grid: int = GRID):
    """z = c (cos a x + sin a y - q): every direction a of the normal (so both sides of a
    line), offsets q at quantiles, steepness c in SCALES; and least squares on (x, y, 1).

    Returns:
        C (m, 3) as (w1, w2, w0), and the direction index (m,) of each (-1: least squares).
    """
    A = np.column_stack([x, y, np.ones_like(x)])
    w = np.linalg.lstsq(A, l, rcond=None)[0]
    C, group = [c * w for c in SCALES], [-1] * len(SCALES)
    for j, a in enumerate(np.linspace(0.0, 2 * np.pi, grid, endpoint=False)):
        q = np.quantile(np.cos(a) * x + np.sin(a) * y, np.linspace(0.0, 1.0, grid))
        for c in SCALES:
            C.extend(c * np.array([np.cos(a), np.sin(a), -v]) for v in q)
            group.extend([j] * grid)
    return np.array(C), np.array(group)


def mean_losses(model, C: np.ndarray, data) -> np.ndarray:
    """The model's mean loss (m,) at each candidate row of C over the points `data`."""
    x, y, l = data
    out = np.empty(len(C))
    for s in range(0, len(C), BLOCK):
        block = C[s : s + BLOCK]
        if model.form == "general":
            Z = block[:, 0:1] * x + block[:, 1:2] * y + block[:, 2:3]
        else:
            Z = block[:, 0:1] * x + block[:, 1:2] - y
        out[s : s + BLOCK] = np.mean(losses(model.activation, model.loss_function, Z, l), axis=1)
    return out


def diverse_best(losses, group, keep: int, period: int | None = None) -> list[int]:
    """Indices of the `keep` lowest losses, at most one per pair of neighbouring directions
    (direction indices wrap around modulo `period` if given)."""
    picked: list[int] = []
    for i in np.argsort(losses, kind="stable"):
        g = group[i]
        near = [abs(g - group[j]) for j in picked if group[j] >= 0]
        if period:
            near = [min(d, period - d) for d in near]
        if g < 0 or all(d >= 2 for d in near):
            picked.append(int(i))
        if len(picked) == keep:
            break
    return picked


def polish(kernel, params, max_iter: int = 40):
    """A short Levenberg-Marquardt run: (params, loss)."""
    from ...lm import levenberg_marquardt
    from ...loop import Tolerances
    from ...manifold import Euclidean

    out = levenberg_marquardt(kernel, params, Euclidean(len(params)), max_iter,
                              Tolerances(1e-9, 1e-9, 1e-9))
    return out.params, out.cost


def multistart(model, kernel, data, rng, keep: int = KEEP) -> np.ndarray:
    """The start of the fit for `model` (a LinearTanh variant) on its internal data (or,
    with fewer points than the kernel's, on a sample of them drawn as subsample() does)."""
    sub, sampled = (data, True) if len(data[0]) < kernel.n else subsample(data, rng)
    general, convex = model.form == "general", model.loss_function == "cross-entropy"
    grid = 0 if convex else GRID  # any start reaches a convex loss's minimum: least squares
    C, group = (general_candidates if general else tutorial_candidates)(*sub, grid=grid)
    losses = mean_losses(model, C, sub)
    if convex:
        return C[int(np.argmin(losses))]
    picks = diverse_best(losses, group, keep, GRID if general else None)
    small = model.kernel(*sub) if sampled else kernel
    ends = [polish(small, C[i]) for i in picks]
    costs = [kernel.cost(p) for p, _ in ends] if sampled else [c for _, c in ends]
    return ends[int(np.argmin(costs))][0]


def best_start(data, rng, grid: int = GRID, sample: int = SAMPLE) -> np.ndarray:
    """The best grid line (k, b) for the tutorial's tanh + squared loss, unpolished."""
    x, y, l = subsample(data, rng, sample)[0]
    C, _ = tutorial_candidates(x, y, l, grid)
    Z = C[:, 0:1] * x + C[:, 1:2] - y
    return C[int(np.argmin(np.mean((np.tanh(Z) - l) ** 2, axis=1)))]


def _least_squares_line(x, y, l) -> tuple[float, float]:
    """Regress l on (x, y, 1); the boundary w.(x, y, 1) = 0 rewritten as y = k x + b."""
    A = np.column_stack([x, y, np.ones_like(x)])
    w = np.linalg.lstsq(A, l, rcond=None)[0]
    if w[1] >= -1e-12:  # +1 is not below the line: fall back to the horizontal split
        return 0.0, float(np.median(y))
    return -w[0] / w[1], -w[2] / w[1]

"""Starting points for linear-tanh.  The squared losses are not convex in the line, so a
grid of lines is scored on a subsample, the best few (in different directions) are
polished by Levenberg-Marquardt, and the lowest minimum is the start of the fit.
Cross-entropy is convex in the parameters: a least-squares line is start enough.

Where z is measured in large units (`standardize=False` with y spread over many units),
tanh saturates and the loss is a landscape of flat plateaus, about 4 / n per point on
the wrong side; it changes only where the line crosses a point, so the lines through
pairs of points (just above and just below both) are candidates too: all pairs of up to
PAIR_POINTS points (every line that matters, for that many points), the fewest
misclassified of them scored and polished with the grid's.
"""

from __future__ import annotations

import numpy as np

from .separator import losses

SAMPLE = 2048  # points that score the candidates
GRID = 32  # directions x offsets
KEEP = 4  # candidates polished
SCALES = (1.0, 4.0)  # steepness of the general form's candidates, in standardised units
BLOCK = 256  # candidates scored at a time (bounds the temporaries)
SATURATED = 3.0  # std of the internal y beyond which tanh saturates: scan pairs of points
PAIR_POINTS = 300  # the points whose pairs are scanned (44850 lines, each shifted both ways)
PAIR_KEEP = 64  # the pair lines that misclassify fewest go on to be scored and polished
PAIR_SCORED = 1024  # the points that count the pair lines' misclassifications


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


def pair_candidates(x, y, l, rng, grid: int = GRID, points: int = PAIR_POINTS,
                    keep: int = PAIR_KEEP):
    """Lines y = k x + b through each pair of `points` of the points (all of them, if
    fewer), shifted by 1e-3 std(y) up and down: the sign patterns of a saturated loss;
    the `keep` that misclassify fewest of the points.

    Returns:
        C (keep, 2) as (k, b), and the direction index of each, as tutorial_candidates'.
    """
    pick = np.arange(len(x)) if len(x) <= points else rng.choice(len(x), points, replace=False)
    i, j = np.triu_indices(len(pick), 1)
    x0, y0, x1, y1 = x[pick[i]], y[pick[i]], x[pick[j]], y[pick[j]]
    steep = np.abs(x1 - x0) > 1e-12 * (np.abs(x0) + np.abs(x1) + 1e-300)
    k = (y1 - y0)[steep] / (x1 - x0)[steep]
    b = y0[steep] - k * x0[steep]
    shift = 1e-3 * float(np.std(y))
    C = np.column_stack([np.concatenate([k, k]), np.concatenate([b + shift, b - shift])])
    wrong = np.empty(len(C), dtype=np.int64)
    xs, ys, positive = x[:PAIR_SCORED], y[:PAIR_SCORED], l[:PAIR_SCORED] > 0  # a random sample
    for s in range(0, len(C), BLOCK):
        block = C[s : s + BLOCK]
        wrong[s : s + BLOCK] = np.count_nonzero(
            (block[:, 0:1] * xs + block[:, 1:2] - ys >= 0) != positive, axis=1)
    C = C[np.argsort(wrong, kind="stable")[:keep]]
    angle = np.arctan(C[:, 0])
    group = np.clip(np.round((angle + np.pi / 2) / (np.pi / grid)).astype(int) - 1, 0, grid - 2)
    return C, group


def saturated(model, y) -> bool:
    """Whether the start scans pairs of points: the tutorial form's squared loss with z
    in units in which y spreads beyond SATURATED (`standardize=False`)."""
    return (model.form == "tutorial" and model.loss_function == "squared"
            and not model.standardized and float(np.std(y)) > SATURATED)


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
    """A short Levenberg-Marquardt run: (params, loss).

    Raises:
        KeyboardInterrupt: it was interrupted (the run is, not only this polish).
    """
    from ...lm import levenberg_marquardt
    from ...loop import Tolerances
    from ...manifold import Euclidean
    from ...result import Status

    out = levenberg_marquardt(kernel, params, Euclidean(len(params)), max_iter,
                              Tolerances(1e-9, 1e-9, 1e-9))
    if out.status is Status.INTERRUPTED:
        raise KeyboardInterrupt
    return out.params, out.cost


def multistart(model, kernel, data, rng, keep: int = KEEP) -> np.ndarray:
    """The start of the fit for `model` (a LinearTanh variant) on its internal data (or,
    with fewer points than the kernel's, on a sample of them drawn as subsample() does)."""
    sub, sampled = (data, True) if len(data[0]) < kernel.n else subsample(data, rng)
    general, convex = model.form == "general", model.loss_function == "cross-entropy"
    grid = 0 if convex else GRID  # any start reaches a convex loss's minimum: least squares
    C, group = (general_candidates if general else tutorial_candidates)(*sub, grid=grid)
    if not general and not convex and saturated(model, data[1]):
        pairs, their = pair_candidates(*sub, rng)
        C, group = np.vstack([C, pairs]), np.concatenate([group, their])
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

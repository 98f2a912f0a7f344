"""ratio2d's model: an affine map of 2D points seen only through the ratio nx/ny (docs/math.md s.2).

    nx = a x + b y + t1,   ny = c x + d y + t2,   r_hat = nx / ny
    loss_i = (r_hat - l)^2

params = (a, b, t1, c, d, t2), the rows of the 2x3 matrix [[a, b, t1], [c, d, t2]]:
a one-dimensional projective camera.
"""

from __future__ import annotations

import numpy as np

from ... import camera
from ...manifold import Sphere, unit
from ...normalize import DegenerateDataError, PointGroup, affine_1d, planar_rank, similarity_xy
from ...objective import CHUNK, GRADIENT, MOMENTS, NORMAL, MomentKernel
from ...samples import Synthetic, draw_until, pick_outliers
from ..base import Frame, Model, dlt_solution, identity_frame, thinness
from . import CARD

PARAM_NAMES = ("a", "b", "t1", "c", "d", "t2")
NEARLY = 0.05  # a spread below this share of the widest: nearly degenerate
POLE_SHARE = 0.5  # the share of the sum of squares a few points at the pole decide
POLE_NEAR = 0.2  # their |ny| at most this share of the median: at the pole
_PAIRS = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
_PRODUCT_ROW = [3, 4, 0, 5, 1, 2]  # row of D = (x, y, 1, xx, xy, yy) holding q_a q_b


def predict(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """r_hat (n,) = nx / ny for theta = (a, b, t1, c, d, t2)."""
    a, b, t1, c, d, t2 = theta
    return (a * x + b * y + t1) / (c * x + d * y + t2)


def denominators(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ny (n,): where it crosses zero a point maps to infinity."""
    return theta[3] * x + theta[4] * y + theta[5]


def residuals(params, x, y, l):
    """r (n,) = nx/ny - l."""
    return predict(params, x, y) - l


def jacobian(params, x, y, l):
    """dr/dtheta (n, 6): d r/d row1 = q/ny, d r/d row2 = -r_hat q/ny, q = (x, y, 1)."""
    a, b, t1, c, d, t2 = params
    ny = c * x + d * y + t2
    q = np.column_stack([x, y, np.ones_like(x)]) / ny[:, None]
    r_hat = (a * x + b * y + t1) / ny
    return np.hstack([q, -r_hat[:, None] * q])


_SYM3 = np.empty((3, 3), dtype=np.intp)
for (_i, _j), _row in zip(_PAIRS, _PRODUCT_ROW):
    _SYM3[_i, _j] = _SYM3[_j, _i] = _row


def _sym3(s: np.ndarray) -> np.ndarray:
    return s[_SYM3]


# _gram as one gather: block (i, j) of G is sign * _sym3(vector k) of (s1, sl, sll).
_GRAM_INDEX = np.block([[_SYM3, 6 + _SYM3], [6 + _SYM3, 12 + _SYM3]])
_GRAM_SIGN = np.kron([[1.0, -1.0], [-1.0, 1.0]], np.ones((3, 3)))


def _gram(sums: np.ndarray) -> np.ndarray:
    """The 6x6 matrix [[S1, -Sl], [-Sl, Sll]] from the 6-vectors of weighted moments
    s1, sl, sll laid end to end in `sums` (18,)."""
    return sums[_GRAM_INDEX] * _GRAM_SIGN


class Ratio2dKernel(MomentKernel):
    """Streams the points in chunks.  Per chunk, D (6, m) = (x, y, 1, xx, xy, yy) is built
    in a cache-sized buffer, so J^T J is one small product per chunk; the points themselves
    are held once, as given."""

    def __init__(self, x, y, l):
        super().__init__(len(x))
        self.x, self.y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        self.l = np.ascontiguousarray(l)
        m = min(self.n, CHUNK)
        self._D = np.empty((6, m))
        self._D[2] = 1.0
        self._held = (0, 0, 0)  # (s, e, rows) of the D rows the buffer holds
        self._N = np.empty((2, m))
        self._W = np.empty((5, m))
        self._inv = np.empty(m)

    def _design(self, s, e, rows=3):
        """The chunk's D rows 0..rows-1 (rows is 3 or 6), in the buffer; kept from the
        last call when it was the same chunk (all the data, when it fits in one)."""
        D = self._D[:, : e - s]
        if self._held[:2] == (s, e) and self._held[2] >= rows:
            return D[:rows]
        D[0], D[1] = self.x[s:e], self.y[s:e]
        if rows > 3:
            np.multiply(D[0], D[0:2], out=D[3:5])
            np.multiply(D[1], D[1], out=D[5])
        self._held = (s, e, rows)
        return D[:rows]

    def _residual_chunk(self, theta, s, e, rows=3):
        m = e - s
        N, inv, r = self._N[:, :m], self._inv[:m], self._W[0, :m]
        np.matmul(theta, self._design(s, e, rows)[0:3], out=N)
        np.divide(1.0, N[1], out=inv)
        N[0] *= inv
        np.subtract(N[0], self.l[s:e], out=r)
        return N[0], inv, r

    def sums(self, params, level):
        """(SS) for the cost; (SS, G (2, 3)) for the gradient; (SS, the 5 x 6 weighted
        moments) for the Gauss-Newton matrix; (the DLT's 3 x 6) for the start."""
        if level == MOMENTS:
            return self._moments()
        theta, total = params.reshape(2, 3), 0.0
        out = np.zeros(7) if level == GRADIENT else np.empty(31 if level == NORMAL else 1)
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                rows = 6 if level == NORMAL else 3
                rh, inv, r = self._residual_chunk(theta, s, e, rows)
                total += r @ r
                if level == GRADIENT:
                    out[1:].reshape(2, 3)[...] += self._weights(rh, inv, r, 2) @ self._D[0:3, : e - s].T
                elif level == NORMAL:
                    W, D, S = self._weights(rh, inv, r, 5), self._D[:, : e - s], out[1:].reshape(5, 6)
                    if s == 0:
                        np.matmul(W, D.T, out=S)
                    else:
                        S += W @ D.T
        out[0] = total
        return out

    def _weights(self, rh, inv, r, rows):
        """r -> r/ny (row 0), -r r_hat/ny (row 1); rows > 2 adds the J^T J weights."""
        W = self._W[:, : len(r)]
        r *= inv
        np.multiply(r, rh, out=W[1])
        np.negative(W[1], out=W[1])
        if rows > 2:
            np.multiply(inv, inv, out=W[2])
            np.multiply(W[2], rh, out=W[3])
            np.multiply(W[3], rh, out=W[4])
        return W[:rows]

    def _moments(self) -> np.ndarray:
        """The DLT's weighted moments (3, 6) for rows [-q, l q] (docs/math.md s.2)."""
        out = np.zeros(18)
        S = out.reshape(3, 6)
        for s, e in self.chunks():
            l, w = self.l[s:e], self._W[0:3, : e - s]
            w[0], w[1] = 1.0, l
            np.multiply(l, l, out=w[2])
            S += w @ self._design(s, e, 6).T
        return out

    def gram(self, total):
        return _gram(total)

    def normal_parts(self, flat):
        S = flat.reshape(5, 6)
        return S[0:2, 0:3].ravel(), _gram(S[2:5].ravel())


def _frame(T, T1, data, chunk_map=None) -> Frame:
    """The frame of point normalisation T (3, 3) and ratio normalisation T1 (2, 2)."""
    T1_inv = np.array([[1.0 / T1[0, 0], -T1[0, 1] / T1[0, 0]], [0.0, 1.0]])

    def to_original(p):
        return (T1_inv @ p.reshape(2, 3) @ T).ravel()

    return Frame(data, to_original, lambda: (np.kron(T1_inv, T.T), np.zeros(6)),
                 cost_scale=T1_inv[0, 0] ** 2, chunk_map=chunk_map)


def _check_rank(rank: int) -> None:
    if rank < 2:
        shape = "are all the same point" if rank == 0 else "lie on one line"
        raise DegenerateDataError(f"the points (x, y) {shape}: the map is not unique for them")


class Ratio2d(Model):
    card = CARD
    param_names = PARAM_NAMES
    n_targets = 1
    min_points = 5
    min_points_why = "each point gives 1 equation for the 5 degrees of freedom of the map"
    manifold = Sphere(6)
    loss_label = "mean squared point error"

    def residuals(self, params, x, y, l):
        return residuals(params, x, y, l)

    def jacobian(self, params, x, y, l):
        return jacobian(params, x, y, l)

    def kernel(self, x, y, l):
        return Ratio2dKernel(x, y, l)

    def frame(self, data, normalize, **options):
        x, y, l = data
        if not normalize:
            return identity_frame(data, 6)
        T, xn, yn = similarity_xy(x, y, "points (x, y)")
        T1, ln = affine_1d(l, "ratios")
        return _frame(T, T1, (xn, yn, ln))

    def check(self, data):
        super().check(data)
        _check_rank(planar_rank(data[0], data[1]))

    # -- the engines' hooks ----------------------------------------------------------
    point_groups = (PointGroup("points (x, y)", (0, 1), "distance"),
                    PointGroup("ratios", (2,), "rms"))

    def check_stats(self, stats):
        super().check_stats(stats)
        _check_rank(stats.rank(0))

    def frame_of(self, stats, normalize, **options):
        if not normalize:
            return identity_frame(None, 6, 3)
        T, T1 = stats.similarity(0), stats.affine(1)
        shift = np.concatenate([stats.centroid(0), stats.centroid(1)])
        return _frame(T, T1, None, (shift, np.array([T[0, 0], T[0, 0], T1[0, 0]])))

    def votes(self, params, data):
        return int(np.count_nonzero(denominators(unit(params), data[0], data[1]) > 0))

    def canonical_of(self, params, votes, n):
        theta = unit(params)
        return -theta if votes * 2 < n else theta

    def geometry(self, data):
        """Points (x, y) nearly on a line."""
        spread = thinness(np.column_stack(data[:2]))
        if spread < NEARLY:
            return (f"the points (x, y) are nearly on one line (their thinnest spread is "
                    f"{spread:.2g} of their widest)")
        return None

    def fit_warnings(self, params, data):
        """A loss decided by points at the pole of the ratio: the few points with the
        largest errors carry most of the sum of squares, and their denominators ny are
        small beside the others' (a small error in their x, y blows up there)."""
        x, y, l = data
        with np.errstate(all="ignore"):
            ny = denominators(params, x, y)
            s = (predict(params, x, y) - l) ** 2
        k = max(3, len(s) // 100)
        if len(s) < 4 * k or not np.all(np.isfinite(s)) or not s.sum() > 0:
            return []
        top = np.argsort(-s)[:k]
        share = float(s[top].sum() / s.sum())
        near = float(np.max(np.abs(ny[top])) / np.median(np.abs(ny)))
        if share < POLE_SHARE or not near <= POLE_NEAR:
            return []
        return [f"the loss is decided at the pole of the ratio: the {k} points with the largest "
                f"errors make {share:.0%} of the sum of squares, and their denominators ny are "
                f"at most {near:.2g} of its median, where a small error in x, y makes a large "
                "one in nx / ny; the fit follows those points"]

    def start(self, kernel, data, init, rng):
        if init == "identity":
            return unit(np.array([1.0, 0.0, 0.0, 0.0, 0.0, 1.0]))
        if init == "random":
            return unit(rng.standard_normal(6))
        return dlt_solution(kernel.moments(), "ratio map")

    def canonical(self, params, data):
        """Unit norm, sign such that ny > 0 for most points."""
        return self.canonical_of(params, self.votes(params, data), len(data[0]))

    def describe(self, params):
        return {"matrix": params.reshape(2, 3), "normalization": "unit norm, ny > 0 for most points"}

    def point_table(self, params, data, **notes):
        x, y, l = data
        ratio_hat = predict(params, x, y)
        return {"ratio_hat": ratio_hat, "residual": ratio_hat - l}

    def example(self, rng, n=12):
        x, y = rng.uniform(-2, 2, (2, n))
        theta = np.array([1.0, 0.5, 0.2, 0.1, -0.2, 3.0]) + rng.normal(0, 0.1, 6)
        l = predict(theta, x, y) + rng.normal(0, 0.05, n)
        return (x, y, l), theta + rng.normal(0, 0.05, 6)

    def predict(self, params, inputs, **options):
        """{"ratio": nx / ny} (n,); inf where ny = 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"ratio": predict(params, inputs[:, 0], inputs[:, 1])}

    def synthesize(self, rng, n=200, noise=0.5, outliers=0.0, focal=1500.0, width=1920.0,
                   height=1080.0, distance=5.0, size=3.0, offset=0.0) -> Synthetic:
        """Points (x, y) on a plane target, ratio = the pixel column u of their image: one
        row of a plane homography over its third row (docs/math.md s.2)."""
        K, R, C, M = camera.random_camera(rng, focal, width, height, distance)
        theta = np.array([M[0, 0], M[0, 1], M[0, 3], M[2, 0], M[2, 1], M[2, 3]])

        def draw(m):  # keep the points in front of the camera whose column is in the image
            cand = rng.uniform(-size / 2, size / 2, (m, 2))
            with np.errstate(all="ignore"):
                u = predict(theta, cand[:, 0], cand[:, 1])
                front = theta[3] * cand[:, 0] + theta[4] * cand[:, 1] + theta[5] > 0.1
            return cand[front & (u >= 0) & (u <= width)]

        xy = draw_until(n, draw, f"of the plane (`size` {size:g}) are in front of the camera "
                        f"and in its image columns 0..{width:g} (`focal` {focal:g}, "
                        f"`distance` {distance:g})")
        x, y = xy[:, 0] + offset, xy[:, 1] + offset
        shift = np.array([[1.0, 0.0, -offset], [0.0, 1.0, -offset], [0.0, 0.0, 1.0]])
        theta = (theta.reshape(2, 3) @ shift).ravel()
        ratio = predict(theta, x, y) + rng.normal(0.0, noise, n)
        bad = pick_outliers(rng, n, outliers)
        ratio[bad] = rng.uniform(0, width, int(bad.sum()))
        params = self.canonical(theta, (x, y, ratio))
        settings = dict(n=n, noise=noise, outliers=outliers, focal=focal, width=width,
                        height=height, distance=distance, size=size, offset=offset)
        return Synthetic(self.name, self.columns, np.column_stack([x, y, ratio]), params,
                         settings, bad)


MODEL = Ratio2d()

"""project3d: a 3x4 perspective projection fitted to 3D-2D correspondences (MATH.md s.3).

    nx, ny, nz = M @ (X, Y, Z, 1),   u_hat = nx / nz,   v_hat = ny / nz
    loss_i = (u_hat - u)^2 + (v_hat - v)^2

params = M.ravel() = (a, b, c, t1, e, f, g, t2, i, j, k, t3).  Residuals are ordered
point by point: r = (ru_0, rv_0, ru_1, rv_1, ...).
"""

from __future__ import annotations

import math

import numpy as np

from ..normalize import DegenerateDataError, moment_rank, planar_rank, similarity
from .base import Frame, Kernel, Model, dlt_solution, unit

PARAM_NAMES = ("a", "b", "c", "t1", "e", "f", "g", "t2", "i", "j", "k", "t3")
_PAIRS = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]
# Row of D (see Project3dKernel) holding P_a * P_b for each (a, b) above.
_PRODUCT_ROW = [4, 5, 6, 0, 7, 8, 1, 9, 2, 3]


def to_homogeneous(X: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, d+1) with a trailing column of ones."""
    return np.column_stack([X, np.ones(len(X))])


def project_points(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """u_hat, v_hat (n, 2) of world points X (n, 3) under M (3, 4): a view into one
    (n, 3) array, worked in place (fresh memory is slow to touch at a million points)."""
    N = X @ M[:, :3].T
    N += M[:, 3]
    N[:, :2] /= N[:, 2:3]
    return N[:, :2]


def depths(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """nz (n,) of world points X (n, 3): positive in front of the camera."""
    return X @ M[2, :3] + M[2, 3]


def residuals(params: np.ndarray, X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """r (2n,) = (u_hat_i - u_i, v_hat_i - v_i) point by point."""
    return (project_points(params.reshape(3, 4), X) - uv).ravel()


def jacobian(params: np.ndarray, X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """dr/dM (2n, 12): d ru/d row1 = P/nz, d ru/d row3 = -u_hat P/nz (MATH.md s.3)."""
    M = params.reshape(3, 4)
    P = to_homogeneous(X)
    N = P @ M.T
    Pz = P / N[:, 2:3]
    J = np.zeros((len(X), 2, 12))
    J[:, 0, 0:4] = Pz
    J[:, 1, 4:8] = Pz
    J[:, 0, 8:12] = -(N[:, 0:1] / N[:, 2:3]) * Pz
    J[:, 1, 8:12] = -(N[:, 1:2] / N[:, 2:3]) * Pz
    return J.reshape(-1, 12)


_SYM4 = np.empty((4, 4), dtype=np.intp)
for (_a, _b), _row in zip(_PAIRS, _PRODUCT_ROW):
    _SYM4[_a, _b] = _SYM4[_b, _a] = _row


def _sym4(s: np.ndarray) -> np.ndarray:
    """4x4 sum of w P P^T from its 10 distinct entries s (ordered as D's rows)."""
    return s[_SYM4]


# _gram as one gather: block (i, j) of G is sign * _sym4(vector k) of (s1, su, sv, suv);
# the two zero blocks read the 0 that follows them (entry 40).
_BLOCKS = {(0, 0): (0, 1.0), (1, 1): (0, 1.0), (0, 2): (1, -1.0), (2, 0): (1, -1.0),
           (1, 2): (2, -1.0), (2, 1): (2, -1.0), (2, 2): (3, 1.0)}
_GRAM_INDEX, _GRAM_SIGN = np.full((12, 12), 40), np.zeros((12, 12))
for (_i, _j), (_k, _sign) in _BLOCKS.items():
    _GRAM_INDEX[4 * _i : 4 * _i + 4, 4 * _j : 4 * _j + 4] = 10 * _k + _SYM4
    _GRAM_SIGN[4 * _i : 4 * _i + 4, 4 * _j : 4 * _j + 4] = _sign


def _gram(sums: np.ndarray) -> np.ndarray:
    """The 12x12 matrix [[S1, 0, -Su], [0, S1, -Sv], [-Su, -Sv, Suv]] from the 10-vectors
    s1, su, sv, suv laid end to end in `sums` (41,), followed by a 0."""
    return sums[_GRAM_INDEX] * _GRAM_SIGN


class Project3dKernel(Kernel):
    """Streams the points in chunks.  Per chunk, D (10, m) = (X, Y, Z, 1, XX, XY, XZ, YY,
    YZ, ZZ) is built in a cache-sized buffer, so every weighted sum  sum_i w_i P_i P_i^T
    needed for J^T J is one small matrix product; the points themselves are held once."""

    def __init__(self, X: np.ndarray, uv: np.ndarray):
        super().__init__(len(X))
        self.P = np.ascontiguousarray(X.T)  # (3, n): a view when X is column-major
        self.u = np.ascontiguousarray(uv[:, 0])
        self.v = np.ascontiguousarray(uv[:, 1])
        m = min(self.n, 8192)
        self._D = np.empty((10, m))
        self._D[3] = 1.0
        self._held = (0, 0, 0)  # (s, e, rows) of the D rows the buffer holds
        self._N = np.empty((3, m))
        self._W = np.empty((7, m))
        self._t = np.empty((2, m))

    def _design(self, s, e, rows=4):
        """The chunk's D rows 0..rows-1 (rows is 4 or 10), in the buffer; kept from the
        last call when it was the same chunk (all the data, when it fits in one)."""
        D = self._D[:, : e - s]
        if self._held[:2] == (s, e) and self._held[2] >= rows:
            return D[:rows]
        D[0:3] = self.P[:, s:e]
        if rows > 4:
            np.multiply(D[0], D[0:3], out=D[4:7])
            np.multiply(D[1], D[1:3], out=D[7:9])
            np.multiply(D[2], D[2], out=D[9])
        self._held = (s, e, rows)
        return D[:rows]

    def _residual_chunk(self, M, s, e, rows=4):
        """Fill the chunk's D (`rows` rows), N = M P, inv = 1/nz, u_hat, v_hat, ru, rv."""
        m = e - s
        N, W, t = self._N[:, :m], self._W[:, :m], self._t[:, :m]
        np.matmul(M, self._design(s, e, rows)[0:4], out=N)
        inv = t[0]
        np.divide(1.0, N[2], out=inv)
        N[0] *= inv
        N[1] *= inv
        ru, rv = W[0], W[1]
        np.subtract(N[0], self.u[s:e], out=ru)
        np.subtract(N[1], self.v[s:e], out=rv)
        return N[0], N[1], inv, ru, rv

    def _cost(self, params):
        M, total = params.reshape(3, 4), 0.0
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                _, _, _, ru, rv = self._residual_chunk(M, s, e)
                total += ru @ ru + rv @ rv
        return total / self.n

    def _gradient_weights(self, uh, vh, inv, ru, rv, tmp):
        """ru, rv -> C1/2 = ru/nz, C2/2 = rv/nz, -(C1 u_hat + C2 v_hat)/2, in place."""
        ru *= inv
        rv *= inv
        c = self._W[2, : len(ru)]
        np.multiply(ru, uh, out=c)
        np.multiply(rv, vh, out=tmp)
        c += tmp
        np.negative(c, out=c)

    def _cost_grad(self, params):
        M, total, G = params.reshape(3, 4), 0.0, np.zeros((3, 4))
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                uh, vh, inv, ru, rv = self._residual_chunk(M, s, e)
                total += ru @ ru + rv @ rv
                self._gradient_weights(uh, vh, inv, ru, rv, self._t[1, : e - s])
                G += self._W[0:3, : e - s] @ self._D[0:4, : e - s].T
        return total / self.n, (2.0 / self.n) * G.ravel()

    def _normal(self, params):
        M, total = params.reshape(3, 4), 0.0
        flat = np.empty(71)  # the 7 x 10 weighted sums, then the 0 that _gram reads
        flat[70], S = 0.0, flat[:70].reshape(7, 10)
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                m = e - s
                uh, vh, inv, ru, rv = self._residual_chunk(M, s, e, 10)
                total += ru @ ru + rv @ rv
                W, tmp = self._W[:, :m], self._t[1, :m]
                self._gradient_weights(uh, vh, inv, ru, rv, tmp)
                np.multiply(inv, inv, out=W[3])  # J^T J weights: 1/nz^2 (1, uh, vh, uh^2+vh^2)
                np.multiply(W[3], uh, out=W[4])
                np.multiply(W[3], vh, out=W[5])
                np.multiply(uh, uh, out=tmp)
                np.multiply(vh, vh, out=W[6])
                W[6] += tmp
                W[6] *= W[3]
                if s == 0:
                    np.matmul(W, self._D[:, :m].T, out=S)
                else:
                    S += W @ self._D[:, :m].T
        flat *= 2.0 / self.n
        return total / self.n, S[0:3, 0:4].ravel(), _gram(flat[30:])

    def moments(self) -> np.ndarray:
        """The DLT's 12x12 A^T A, accumulated in one pass (MATH.md s.3)."""
        S = np.zeros((4, 10))
        W = np.empty((4, min(self.n, 8192)))
        for s, e in self.chunks():
            D = self._design(s, e, 10)
            w = W[:, : e - s]
            u, v = self.u[s:e], self.v[s:e]
            w[0] = 1.0
            w[1], w[2] = u, v
            np.multiply(u, u, out=w[3])
            w[3] += v * v
            S += w @ D.T
        return _gram(np.append(S, 0.0))


class Project3d(Model):
    name = "project3d"
    param_names = PARAM_NAMES
    columns = ("X", "Y", "Z", "u", "v")
    n_targets = 2
    min_points = 6
    min_points_why = "each point gives 2 equations for the 11 degrees of freedom of M"
    gauge = True
    inits = ("dlt", "identity", "random")

    def split(self, table):
        return (table[:, 0:3], table[:, 3:5]), []  # views: no copy of a million-row table

    def residuals(self, params, X, uv):
        return residuals(params, X, uv)

    def jacobian(self, params, X, uv):
        return jacobian(params, X, uv)

    def kernel(self, X, uv):
        return Project3dKernel(X, uv)

    def frame(self, data, normalize, **options):
        X, uv = data
        if not normalize:
            return Frame(data, to_original=lambda p: p)
        T, uvn = similarity(uv, "image points")
        U, Xn = similarity(X, "world points")
        T_inv = np.diag([1.0 / T[0, 0], 1.0 / T[0, 0], 1.0])  # T's inverse: scale, then shift
        T_inv[:2, 2] = -T[:2, 2] / T[0, 0]

        def to_original(p):
            return (T_inv @ p.reshape(3, 4) @ U).ravel()

        return Frame((Xn, uvn), to_original, cost_scale=1.0 / T[0, 0] ** 2)

    def check(self, data):
        super().check(data)
        rank = moment_rank(data[0])
        if rank < 3:
            shape = {0: "are all the same point", 1: "lie on one line", 2: "lie on one plane"}
            hint = " (fit a plane homography instead, e.g. ratio2d per image coordinate)"
            raise DegenerateDataError(
                f"the world points {shape[rank]}: a 3x4 projection is not unique for them"
                + (hint if rank == 2 else "; they must span 3D space")
            )
        if planar_rank(data[1][:, 0], data[1][:, 1]) == 0:
            raise DegenerateDataError("the image points are all the same point")

    def start(self, kernel, data, init, rng):
        if init == "identity":
            return unit(np.eye(3, 4).ravel())
        if init == "random":
            return unit(rng.standard_normal(12))
        return dlt(kernel)

    def canonical(self, params, data):
        """Scale so that |(i, j, k)| = 1 and nz > 0 for most points (nz = depth)."""
        M = params.reshape(3, 4)
        M = M / math.hypot(*M[2, :3])
        if np.count_nonzero(depths(M, data[0]) > 0) * 2 < len(data[0]):
            M = -M
        return M.ravel()

    def describe(self, params):
        return {
            "matrix": params.reshape(3, 4),
            "normalization": "|(i, j, k)| = 1, nz > 0 for most points (nz = depth)",
        }

    def canonical_jacobian(self, params):
        """d (x / |(x_8, x_9, x_10)|) / dx: the |(i, j, k)| = 1 normalisation."""
        e = np.zeros(12)
        e[8:11] = params[8:11]
        norm = math.hypot(*e)
        return (np.eye(12) - np.outer(params / norm, e / norm)) / norm  # norm**3 overflows

    def depths(self, params, data):
        return depths(params.reshape(3, 4), data[0])

    def point_table(self, params, data, **notes):
        X, uv = data
        M = params.reshape(3, 4)
        uv_hat = project_points(M, X)
        r = uv_hat - uv
        return {"u_hat": uv_hat[:, 0], "v_hat": uv_hat[:, 1], "ru": r[:, 0], "rv": r[:, 1],
                "error": np.hypot(r[:, 0], r[:, 1]), "depth": depths(M, X)}

    def example(self, rng, n=12):
        X = rng.uniform(-1, 1, (n, 3)) + [0.0, 0.0, 4.0]
        M = np.hstack([np.diag([2.0, 2.0, 1.0]), rng.normal(0, 0.1, (3, 1))])
        M[:, :3] += rng.normal(0, 0.1, (3, 3))
        uv = project_points(M, X) + rng.normal(0, 0.05, (n, 2))
        return (X, uv), M.ravel() + rng.normal(0, 0.05, 12)

    def predict(self, params, inputs, **options):
        """u, v (n,) of world points inputs (n, 3), and depth nz / |(i, j, k)| (n,)."""
        M = params.reshape(3, 4)
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = project_points(M, inputs)
        depth = depths(M, inputs) / math.hypot(*M[2, :3])
        return {"u": uv[:, 0], "v": uv[:, 1], "depth": depth}

    def evaluate(self, params, table, **options):
        """Mean loss, RMS reprojection distance (rmse), RMS per coordinate, the largest
        distance and the number of points at or behind the camera (depth <= 0)."""
        out = self.predict(params, table[:, 0:3])
        du, dv = out["u"] - table[:, 3], out["v"] - table[:, 4]
        with np.errstate(over="ignore", invalid="ignore"):
            d2 = du * du + dv * dv
            return {"loss": float(d2.mean()), "rmse": float(np.sqrt(d2.mean())),
                    "rms_u": float(np.sqrt(np.mean(du * du))), "rms_v": float(np.sqrt(np.mean(dv * dv))),
                    "max_error": float(np.sqrt(d2.max())), "behind_camera": int(np.sum(~(out["depth"] > 0)))}


def dlt(kernel: Project3dKernel) -> np.ndarray:
    """The algebraic estimate: smallest eigenvector of A^T A (unit norm); see dlt_solution."""
    return dlt_solution(kernel.moments(), "3x4 projection")


MODEL = Project3d()

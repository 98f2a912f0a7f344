"""project3d's kernel: the additive sums of a pass over the points (docs/math.md s.3)."""

from __future__ import annotations

import numpy as np

from ...objective import CHUNK, GRADIENT, MOMENTS, NORMAL, MomentKernel
from ..base import dlt_solution

_PAIRS = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]
# Row of D (see Project3dKernel) holding P_a * P_b for each (a, b) above.
_PRODUCT_ROW = [4, 5, 6, 0, 7, 8, 1, 9, 2, 3]


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


class Project3dKernel(MomentKernel):
    """Streams the points in blocks.  Per block, D (10, m) = (X, Y, Z, 1, XX, XY, XZ, YY,
    YZ, ZZ) is built in a cache-sized buffer, so every weighted sum  sum_i w_i P_i P_i^T
    needed for J^T J is one small matrix product; the points themselves are held once.

    The sums of a pass: (SS) for the cost; (SS, G (3, 4)) for the gradient; (SS, the
    7 x 10 weighted moments, 0) for the Gauss-Newton matrix; (the DLT's 4 x 10, 0) for
    the start.  SS is the sum of squared residuals.
    """

    def __init__(self, X: np.ndarray, uv: np.ndarray, chunk_map=None):
        """chunk_map (shift (5,), scale (5,)): the points are in the input's units and
        each block is normalised as (value - shift) * scale when it is read (the same
        numbers as normalising all of them first, without a copy of them)."""
        super().__init__(len(X))
        self.P = np.ascontiguousarray(X.T)  # (3, n): a view when X is column-major
        self.u = np.ascontiguousarray(uv[:, 0])
        self.v = np.ascontiguousarray(uv[:, 1])
        m = min(self.n, CHUNK)
        self._D = np.empty((10, m))
        self._D[3] = 1.0
        self._held = (0, 0, 0)  # (s, e, rows) of the D rows the buffer holds
        self._N = np.empty((3, m))
        self._W = np.empty((7, m))
        self._t = np.empty((2, m))
        self._map = chunk_map
        if chunk_map is not None:
            shift, scale = chunk_map
            self._shift, self._scale = shift[:3, None], scale[0]
            self._uv_shift, self._uv_scale = shift[3:5], scale[3]
            self._uv = np.empty((2, m))
            self._uv_held = (0, 0)

    def _targets(self, s, e):
        """u, v of the block (normalised in a buffer when the kernel normalises)."""
        if self._map is None:
            return self.u[s:e], self.v[s:e]
        uv = self._uv[:, : e - s]
        if self._uv_held != (s, e):
            np.subtract(self.u[s:e], self._uv_shift[0], out=uv[0])
            np.subtract(self.v[s:e], self._uv_shift[1], out=uv[1])
            uv *= self._uv_scale
            self._uv_held = (s, e)
        return uv[0], uv[1]

    def _design(self, s, e, rows=4):
        """The block's D rows 0..rows-1 (rows is 4 or 10), in the buffer; kept from the
        last call when it was the same block (all the data, when it fits in one)."""
        D = self._D[:, : e - s]
        if self._held[:2] == (s, e) and self._held[2] >= rows:
            return D[:rows]
        if self._map is None:
            D[0:3] = self.P[:, s:e]
        else:
            np.subtract(self.P[:, s:e], self._shift, out=D[0:3])
            D[0:3] *= self._scale
        if rows > 4:
            np.multiply(D[0], D[0:3], out=D[4:7])
            np.multiply(D[1], D[1:3], out=D[7:9])
            np.multiply(D[2], D[2], out=D[9])
        self._held = (s, e, rows)
        return D[:rows]

    def _residual_chunk(self, M, s, e, rows=4):
        """Fill the block's D (`rows` rows), N = M P, inv = 1/nz, u_hat, v_hat, ru, rv."""
        m = e - s
        N, W, t = self._N[:, :m], self._W[:, :m], self._t[:, :m]
        np.matmul(M, self._design(s, e, rows)[0:4], out=N)
        inv = t[0]
        np.divide(1.0, N[2], out=inv)
        N[0] *= inv
        N[1] *= inv
        ru, rv = W[0], W[1]
        u, v = self._targets(s, e)
        np.subtract(N[0], u, out=ru)
        np.subtract(N[1], v, out=rv)
        return N[0], N[1], inv, ru, rv

    def _gradient_weights(self, uh, vh, inv, ru, rv, tmp):
        """ru, rv -> C1/2 = ru/nz, C2/2 = rv/nz, -(C1 u_hat + C2 v_hat)/2, in place."""
        ru *= inv
        rv *= inv
        c = self._W[2, : len(ru)]
        np.multiply(ru, uh, out=c)
        np.multiply(rv, vh, out=tmp)
        c += tmp
        np.negative(c, out=c)

    def sums(self, params, level):
        if level == MOMENTS:
            return self._moments()
        M, total = params.reshape(3, 4), 0.0
        out = np.zeros(13) if level == GRADIENT else np.empty(72 if level == NORMAL else 1)
        G = out[1:13].reshape(3, 4) if level == GRADIENT else None
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                if level == NORMAL:
                    total += self._normal_block(M, s, e, out[1:71].reshape(7, 10), s == 0)
                    continue
                uh, vh, inv, ru, rv = self._residual_chunk(M, s, e)
                total += ru @ ru + rv @ rv
                if level == GRADIENT:
                    self._gradient_weights(uh, vh, inv, ru, rv, self._t[1, : e - s])
                    G += self._W[0:3, : e - s] @ self._D[0:4, : e - s].T
        out[0] = total
        if level == NORMAL:
            out[71] = 0.0  # the 0 that _gram reads
        return out

    def _normal_block(self, M, s, e, S, first):
        """Add the block's 7 x 10 weighted moments to S; return its sum of squares."""
        m = e - s
        uh, vh, inv, ru, rv = self._residual_chunk(M, s, e, 10)
        ss = ru @ ru + rv @ rv
        W, tmp = self._W[:, :m], self._t[1, :m]
        self._gradient_weights(uh, vh, inv, ru, rv, tmp)
        np.multiply(inv, inv, out=W[3])  # J^T J weights: 1/nz^2 (1, uh, vh, uh^2+vh^2)
        np.multiply(W[3], uh, out=W[4])
        np.multiply(W[3], vh, out=W[5])
        np.multiply(uh, uh, out=tmp)
        np.multiply(vh, vh, out=W[6])
        W[6] += tmp
        W[6] *= W[3]
        if first:
            np.matmul(W, self._D[:, :m].T, out=S)
        else:
            S += W @ self._D[:, :m].T
        return ss

    def _moments(self):
        """The DLT's weighted moments (4, 10) and the 0 that _gram reads (docs/math.md s.3)."""
        out = np.zeros(41)
        S = out[:40].reshape(4, 10)
        W = np.empty((4, min(self.n, CHUNK)))
        for s, e in self.chunks():
            D = self._design(s, e, 10)
            w = W[:, : e - s]
            u, v = self._targets(s, e)
            w[0] = 1.0
            w[1], w[2] = u, v
            np.multiply(u, u, out=w[3])
            w[3] += v * v
            S += w @ D.T
        return out

    def gram(self, total):
        return _gram(total)  # A^T A (12, 12)

    def normal_parts(self, flat):
        return flat[:70].reshape(7, 10)[0:3, 0:4].ravel(), _gram(flat[30:])


def dlt(kernel: Project3dKernel) -> np.ndarray:
    """The algebraic estimate: smallest eigenvector of A^T A (unit norm); see dlt_solution."""
    return dlt_solution(kernel.moments(), "3x4 projection")
